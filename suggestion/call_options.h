#pragma once
// CallOptions: the deadline and cancellation of one call into an algorithm. Its own header so
// that the registry (which does not know the core model) and suggestion.h share it.

#include <atomic>

#include "absl/time/time.h"

namespace ktune::suggestion {

// Bounds one GetSuggestions call. The call returns DeadlineExceeded once `deadline` has passed
// and Cancelled soon after `*cancelled` becomes true (an in-process plugin sees both through
// the ABI 1.1 host table; a plugin built against ABI 1.0 cannot be interrupted and is judged
// when it returns). `cancelled` may be null; it must outlive the call.
struct CallOptions {
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancelled = nullptr;
};

}  // namespace ktune::suggestion
