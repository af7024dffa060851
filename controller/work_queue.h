#pragma once
// WorkQueue: the controller manager's queue of experiment keys, with client-go's workqueue
// semantics.
//
// - Deduplicated: a key added while it waits is queued once.
// - One worker per key: a key handed out by Get() is not handed out again until Done(key);
//   an Add() meanwhile marks it dirty, and Done() queues it again, so no event is lost and no
//   key is reconciled by two workers at once.
// - Rate-limited retries: AddRateLimited(key) queues the key after a delay that doubles with
//   each consecutive retry of that key (from `base_delay`, capped at `max_delay`); Forget(key)
//   resets the count after a success. The delay runs on the waiting Get() call's clock (a timed
//   wait), never a sleeping thread.
// - FIFO among ready keys, so every experiment gets its turn.
//
// Thread safety: every method may be called from any thread.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace ktune::controller {

template <typename Key>
class WorkQueue {
 public:
  WorkQueue(absl::Duration base_delay, absl::Duration max_delay)
      : base_delay_(base_delay), max_delay_(max_delay) {}

  void Add(const Key& key) {
    MutexLock lock(mu_);
    AddLocked(key);
  }

  // Adds `key` after its backoff delay; returns the number of retries so far (this one
  // included).
  int AddRateLimited(const Key& key) {
    MutexLock lock(mu_);
    if (shut_down_) return 0;
    int& retries = retries_[key];
    ++retries;
    absl::Duration delay = base_delay_;
    for (int i = 1; i < retries && delay < max_delay_; ++i) delay *= 2;
    delay = std::min(delay, max_delay_);
    if (delay <= absl::ZeroDuration()) {
      AddLocked(key);
    } else {
      delayed_.emplace(Clock::now() + absl::ToChronoNanoseconds(delay), key);
      cv_.Signal();
    }
    return retries;
  }

  // Stops counting retries of `key`.
  void Forget(const Key& key) {
    MutexLock lock(mu_);
    retries_.erase(key);
  }

  // Blocks until a key is ready (returned, and now processing) or the queue is shut down
  // (nullopt).
  std::optional<Key> Get() {
    MutexLock lock(mu_);
    while (true) {
      if (shut_down_) return std::nullopt;
      PromoteDueLocked();
      if (!ready_.empty()) {
        Key key = ready_.front();
        ready_.pop_front();
        queued_.erase(key);
        processing_.insert(key);
        return key;
      }
      if (delayed_.empty()) {
        cv_.Wait(mu_);
      } else {
        cv_.WaitUntil(mu_, delayed_.begin()->first);
      }
    }
  }

  // Ends the processing of `key`; a key added meanwhile is queued again.
  void Done(const Key& key) {
    MutexLock lock(mu_);
    processing_.erase(key);
    if (dirty_.erase(key) > 0) AddLocked(key);
    if (processing_.empty() && ready_.empty()) idle_.SignalAll();
  }

  // Blocks until no key is ready or processing (delayed retries do not count).
  void WaitIdle() {
    MutexLock lock(mu_);
    while (!shut_down_ && (!processing_.empty() || !ready_.empty())) idle_.Wait(mu_);
  }

  // Wakes every Get() with nullopt; later Adds are ignored.
  void ShutDown() {
    MutexLock lock(mu_);
    shut_down_ = true;
    cv_.SignalAll();
    idle_.SignalAll();
  }

  size_t Ready() const {
    MutexLock lock(mu_);
    return ready_.size();
  }

 private:
  using Clock = std::chrono::steady_clock;
  void AddLocked(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (shut_down_) return;
    if (processing_.count(key)) {
      dirty_.insert(key);
      return;
    }
    if (!queued_.insert(key).second) return;
    ready_.push_back(key);
    cv_.Signal();
  }

  void PromoteDueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const Clock::time_point now = Clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      Key key = delayed_.begin()->second;
      delayed_.erase(delayed_.begin());
      AddLocked(key);
    }
  }

  const absl::Duration base_delay_;
  const absl::Duration max_delay_;
  mutable Mutex mu_;
  CondVar cv_;
  CondVar idle_;
  std::deque<Key> ready_ ABSL_GUARDED_BY(mu_);
  std::set<Key> queued_ ABSL_GUARDED_BY(mu_);
  std::set<Key> processing_ ABSL_GUARDED_BY(mu_);
  std::set<Key> dirty_ ABSL_GUARDED_BY(mu_);
  std::multimap<Clock::time_point, Key> delayed_ ABSL_GUARDED_BY(mu_);
  std::map<Key, int> retries_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ktune::controller
