#pragma once
// Internal to metrics-collector: splits a byte stream that arrives in arbitrary chunks into
// lines, with a bound on the bytes held for one line.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ktune::metrics::internal {

// Not thread-safe. A line is the bytes before a '\n' (one trailing '\r' is removed before it is
// handed out). A line longer than `max_line_bytes` (counted before the '\r' is removed) is
// dropped as a whole, wherever the chunk boundaries fall, and never buffered beyond the limit.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Calls on_line(std::string_view line, uint64_t line_number) for every line completed by
  // `chunk`, in order. Line numbers start at 1 and count dropped lines too. The view is valid
  // only during the call.
  template <typename OnLine>
  void Feed(std::string_view chunk, OnLine&& on_line) {
    size_t pos = 0;
    while (pos < chunk.size()) {
      const size_t newline = chunk.find('\n', pos);
      if (newline == std::string_view::npos) {
        Hold(chunk.substr(pos));
        return;
      }
      Complete(chunk.substr(pos, newline - pos), on_line);
      pos = newline + 1;
    }
  }

  // Flushes a last line that has no newline.
  template <typename OnLine>
  void Finish(OnLine&& on_line) {
    if (discarding_ || !partial_.empty()) Complete(std::string_view(), on_line);
  }

  uint64_t lines() const { return line_number_; }
  uint64_t dropped_lines() const { return dropped_lines_; }

 private:
  void Hold(std::string_view piece) {
    if (discarding_) return;
    if (partial_.size() + piece.size() > max_line_bytes_) {
      StartDiscarding();
      return;
    }
    partial_.append(piece);
  }

  // `piece` ends the current line.
  template <typename OnLine>
  void Complete(std::string_view piece, OnLine& on_line) {
    ++line_number_;
    if (discarding_) {
      discarding_ = false;  // counted when the discarding started
      return;
    }
    if (partial_.size() + piece.size() > max_line_bytes_) {
      StartDiscarding();
      discarding_ = false;
      return;
    }
    if (partial_.empty()) {
      on_line(StripCr(piece), line_number_);
    } else {
      partial_.append(piece);
      on_line(StripCr(partial_), line_number_);
      partial_.clear();
    }
  }

  void StartDiscarding() {
    ++dropped_lines_;
    discarding_ = true;
    // Give back the memory of a line that grew to the limit.
    std::string().swap(partial_);
  }

  static std::string_view StripCr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  const size_t max_line_bytes_;
  std::string partial_;      // the incomplete last line, at most max_line_bytes_
  bool discarding_ = false;  // skipping the rest of an overlong line
  uint64_t line_number_ = 0;
  uint64_t dropped_lines_ = 0;
};

}  // namespace ktune::metrics::internal
