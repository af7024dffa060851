#include "metrics-collector/internal/file_follower.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ktune::metrics::internal {

FileFollower::~FileFollower() {
  if (fd_ >= 0) close(fd_);
}

bool FileFollower::OpenIfReplaced() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) return false;
  if (fd_ >= 0 && st.st_dev == dev_ && st.st_ino == ino_) return false;
  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return false;
  struct stat opened;
  if (fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
    close(fd);
    return false;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  dev_ = opened.st_dev;
  ino_ = opened.st_ino;
  offset_ = 0;
  seen_ = true;
  return true;
}

size_t FileFollower::Read(size_t max_bytes, absl::FunctionRef<void(std::string_view)> on_chunk) {
  if (fd_ < 0) OpenIfReplaced();
  if (fd_ < 0) return 0;
  size_t total = 0;
  char buf[kChunkBytes];
  bool switched = false;
  while (total < max_bytes) {
    struct stat st;
    if (fstat(fd_, &st) == 0 && st.st_size < offset_) offset_ = 0;  // truncated
    ssize_t n = pread(fd_, buf, sizeof buf, offset_);
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

}  // namespace ktune::metrics::internal
