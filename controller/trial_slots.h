#pragma once
// TrialSlots: the global cap on running trials, shared fairly between experiments.
//
// Every running trial holds one slot. An experiment asks for as many slots as it could use
// (Acquire); it gets them at once while slots are free and nobody waits. Once experiments wait,
// slots go to them in turn, first come first served: an experiment that was refused, or got
// fewer than it asked for, joins the back of the line, and a freed slot goes to the front of the
// line. Release tells which waiting experiments to reconcile now (as many as there are free
// slots), so an experiment never polls for a slot. With no cap (0), Acquire grants everything.
//
// Thread safety: every method may be called from any thread.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/mutex.h"

namespace ktune::controller {

template <typename Key>
class TrialSlots {
 public:
  explicit TrialSlots(int32_t cap) : cap_(cap) {}

  // Grants up to `want` slots to `key` (0 when it must wait its turn).
  int32_t Acquire(const Key& key, int32_t want) {
    if (want <= 0) return 0;
    MutexLock lock(mu_);
    if (cap_ <= 0) {
      used_ += want;
      return want;
    }
    const int32_t free = cap_ - used_;
    int32_t granted = 0;
    if (free > 0) {
      // Waiting experiments among the first `free` of the line may take a slot now; others
      // only when nobody waits.
      auto it = std::find(waiting_.begin(), waiting_.end(), key);
      const bool in_line = it != waiting_.end();
      const bool my_turn =
          in_line ? it - waiting_.begin() < free : static_cast<int32_t>(waiting_.size()) < free;
      if (my_turn) {
        const int32_t others_first = in_line ? static_cast<int32_t>(it - waiting_.begin())
                                             : static_cast<int32_t>(waiting_.size());
        granted = std::min(want, free - others_first);
        if (in_line) waiting_.erase(it);
      }
    }
    used_ += granted;
    if (granted < want && std::find(waiting_.begin(), waiting_.end(), key) == waiting_.end()) {
      waiting_.push_back(key);
    }
    return granted;
  }

  // Takes `n` slots whatever the cap (trials adopted after a restart are running already).
  void Take(int32_t n) {
    MutexLock lock(mu_);
    used_ += n;
  }

  // Frees `n` slots; returns the waiting experiments to wake (they are still in line until
  // they Acquire).
  std::vector<Key> Release(int32_t n) {
    MutexLock lock(mu_);
    used_ = std::max<int32_t>(0, used_ - n);
    return WakeLocked();
  }

  // Takes `key` out of the line (it completed, stopped or was deleted); returns whom to wake
  // in its place.
  std::vector<Key> Leave(const Key& key) {
    MutexLock lock(mu_);
    auto it = std::find(waiting_.begin(), waiting_.end(), key);
    if (it == waiting_.end()) return {};
    waiting_.erase(it);
    return WakeLocked();
  }

  int32_t used() const {
    MutexLock lock(mu_);
    return used_;
  }
  int32_t cap() const { return cap_; }

 private:
  std::vector<Key> WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (cap_ <= 0) return {};
    const int32_t free = cap_ - used_;
    std::vector<Key> wake;
    for (int32_t i = 0; i < free && i < static_cast<int32_t>(waiting_.size()); ++i) {
      wake.push_back(waiting_[i]);
    }
    return wake;
  }

  const int32_t cap_;
  mutable Mutex mu_;
  int32_t used_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Key> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktune::controller
