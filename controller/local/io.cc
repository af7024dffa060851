#include "controller/local/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ktune::controller::local {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::Status ErrnoStatus(int err, std::string_view what) {
  std::string message = absl::StrCat(std::string(what), ": ", std::strerror(err));
  switch (err) {
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOSPC:
    case EAGAIN:
      return absl::ResourceExhaustedError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<LogWriter> LogWriter::Open(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", path.string()));
  return LogWriter(UniqueFd(fd), path.string());
}

LogWriter::~LogWriter() { Flush(); }

void LogWriter::Append(std::string_view data) {
  if (!fd_.valid() || !status_.ok()) return;
  if (buffer_.size() + data.size() > kBufferBytes) {
    Flush();
    if (data.size() >= kBufferBytes) {
      WriteAll(data);
      return;
    }
  }
  if (buffer_.capacity() < kBufferBytes) buffer_.reserve(kBufferBytes);
  buffer_.append(data);
}

void LogWriter::Flush() {
  if (!fd_.valid() || buffer_.empty()) return;
  WriteAll(buffer_);
  buffer_.clear();
}

void LogWriter::WriteAll(std::string_view data) {
  while (!data.empty() && status_.ok()) {
    ssize_t n = write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      status_ = ErrnoStatus(errno, absl::StrCat("writing ", path_));
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace ktune::controller::local
