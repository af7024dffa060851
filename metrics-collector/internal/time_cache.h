#pragma once
// Internal to metrics-collector: remembers the last formatted timestamp, because consecutive
// lines mostly share one (the `now` of a chunk, or a trainer's per-second time stamps).

#include <string>

#include "core/time_util.h"

namespace ktune::metrics::internal {

// Not thread-safe.
class TimeCache {
 public:
  // core::FormatRfc3339Micros(t); the reference is valid until the next call.
  const std::string& Format(core::Timestamp t) {
    if (text_.empty() || t != time_) {
      time_ = t;
      text_ = core::FormatRfc3339Micros(t);
    }
    return text_;
  }

 private:
  core::Timestamp time_;
  std::string text_;
};

}  // namespace ktune::metrics::internal
