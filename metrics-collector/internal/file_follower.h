#pragma once
// Internal to metrics-collector: follows a file that another process appends to (the File
// collector's metrics file), in bounded chunks.

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace ktune::metrics::internal {

// Not thread-safe. Each Read() hands out what was added since the previous call, in chunks of
// at most kChunkBytes, never holding more than one chunk in memory. The file may not exist yet
// (then nothing is read), may be truncated (then reading restarts at its beginning) and may be
// replaced by a new file under the same name (then the rest of the old one is read first, then
// the new one from its beginning). The descriptor it holds is O_CLOEXEC.
class FileFollower {
 public:
  static constexpr size_t kChunkBytes = 64 * 1024;

  explicit FileFollower(std::filesystem::path path) : path_(std::move(path)) {}
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;
  ~FileFollower();

  // Reads at most `max_bytes` (rounded up to a chunk), calling on_chunk for each chunk read.
  // Returns the number of bytes read; 0 means nothing new right now.
  size_t Read(size_t max_bytes, absl::FunctionRef<void(std::string_view)> on_chunk);

  // Whether the file has existed at some Read().
  bool seen() const { return seen_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  bool OpenIfReplaced();

  std::filesystem::path path_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t offset_ = 0;
  bool seen_ = false;
};

}  // namespace ktune::metrics::internal
