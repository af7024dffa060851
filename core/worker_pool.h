#pragma once
// WorkerPool: threads for blocking jobs that must not run on a caller's thread (a gRPC
// callback thread, say): one per job in flight, created when no idle one can take a job (up
// to `max`; more jobs wait in a queue), kept for reuse, joined by the destructor after the
// queue ran dry.
//
// Thread-safe. Run may be called from any thread, also from a job; not after destruction
// began.

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "core/mutex.h"

namespace ktune {

class WorkerPool {
 public:
  explicit WorkerPool(size_t max) : max_(std::max<size_t>(max, 1)) {}
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Runs the jobs still queued, then joins the threads.
  ~WorkerPool() {
    std::vector<std::thread> threads;
    {
      MutexLock lock(mu_);
      stop_ = true;
      cv_.SignalAll();
      threads = std::move(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  void Run(std::function<void()> job) {
    MutexLock lock(mu_);
    jobs_.push_back(std::move(job));
    // Each idle worker takes one job; start another for the jobs no idle worker will take.
    if (jobs_.size() > idle_ && threads_.size() < max_ && !stop_) {
      threads_.emplace_back([this] { Loop(); });
    } else {
      cv_.Signal();
    }
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> job;
      {
        MutexLock lock(mu_);
        while (jobs_.empty() && !stop_) {
          ++idle_;
          cv_.Wait(mu_);
          --idle_;
        }
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  const size_t max_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktune
