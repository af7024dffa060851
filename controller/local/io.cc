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

bool FileFollower::OpenIfReplaced() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) return false;
  if (fd_.valid() && st.st_dev == dev_ && st.st_ino == ino_) return false;
  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return false;
  struct stat opened;
  if (fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
    close(fd);
    return false;
  }
  fd_.reset(fd);
  dev_ = opened.st_dev;
  ino_ = opened.st_ino;
  offset_ = 0;
  seen_ = true;
  return true;
}

size_t FileFollower::Read(size_t max_bytes, absl::FunctionRef<void(std::string_view)> on_chunk) {
  if (!fd_.valid()) OpenIfReplaced();
  if (!fd_.valid()) return 0;
  size_t total = 0;
  char buf[kChunkBytes];
  bool switched = false;
  while (total < max_bytes) {
    struct stat st;
    if (fstat(fd_.get(), &st) == 0 && st.st_size < offset_) offset_ = 0;  // truncated
    ssize_t n = pread(fd_.get(), buf, sizeof buf, offset_);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      offset_ += n;
      total += static_cast<size_t>(n);
      on_chunk(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    // At the end of this file: follow a replacement, once per call.
    if (switched || !OpenIfReplaced()) break;
    switched = true;
  }
  return total;
}

}  // namespace ktune::controller::local
