#pragma once
// Small POSIX I/O pieces of the local executor: an owned file descriptor and a buffered
// append-only writer for trial logs. (Following a metrics file is the metrics collector's.)
//
// Every descriptor opened here is O_CLOEXEC, so no trial inherits another trial's files.
//
// Thread safety: none of these classes is thread-safe; each is used by one thread at a time.

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ktune::controller::local {

// Owns one file descriptor (closed on destruction); -1 means none.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Appends to a file opened with O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, through a buffer of
// kBufferBytes. Flush() makes everything appended so far visible to readers of the file.
// The first write error is kept (status()); later appends are then dropped.
class LogWriter {
 public:
  static constexpr size_t kBufferBytes = 64 * 1024;

  // Errors: ErrnoStatus of open(2).
  static absl::StatusOr<LogWriter> Open(const std::filesystem::path& path);

  LogWriter(LogWriter&&) = default;
  LogWriter& operator=(LogWriter&&) = default;
  ~LogWriter();  // flushes

  void Append(std::string_view data);
  void Flush();
  const absl::Status& status() const { return status_; }

 private:
  LogWriter(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  void WriteAll(std::string_view data);

  UniqueFd fd_;
  std::string path_;
  std::string buffer_;
  absl::Status status_;
};

// Maps an errno to the canonical code STYLE asks for (EMFILE/ENFILE/ENOMEM/ENOSPC:
// ResourceExhausted; EACCES/EPERM: PermissionDenied; ENOENT: NotFound; others: Internal).
absl::Status ErrnoStatus(int err, std::string_view what);

}  // namespace ktune::controller::local
