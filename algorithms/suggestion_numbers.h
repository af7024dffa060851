#pragma once
// SuggestionNumbers: which suggestions of an experiment a GetSuggestions batch is, so that
// suggestion number k can draw from its own random stream (seed, k) and a new instance that
// continues at total_request_number continues the same sequence. Shared by algorithm plugins
// (header only). Not thread-safe.

#include <algorithm>
#include <cstdint>

#include "api/api.pb.h"

namespace ktune::algorithms {

class SuggestionNumbers {
 public:
  // The number of the first suggestion of `request`'s batch of current_request_number (> 0)
  // suggestions: total_request_number - current_request_number when the host says, else the
  // suggestions numbered so far.
  uint64_t FirstOfBatch(const api::v1::beta1::GetSuggestionsRequest& request) {
    const int64_t count = request.current_request_number();
    const int64_t total = request.total_request_number();
    const uint64_t first = total >= count ? static_cast<uint64_t>(total - count) : requested_;
    requested_ = std::max(requested_, first + static_cast<uint64_t>(count));
    return first;
  }

 private:
  uint64_t requested_ = 0;  // suggestions asked for so far, when the host does not say
};

}  // namespace ktune::algorithms
