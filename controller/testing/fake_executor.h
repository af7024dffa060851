#pragma once
// FakeExecutor: an Executor for tests whose trials end only when the test says so, in any
// order, with no threads and no sleeps. A test ends a trial with Exit()/Succeed() (typically
// from ControllerOptions::on_progress, i.e. on the controller's own thread), or arranges for
// an exit to happen inside Start() or inside Stop(), so that every interleaving the Executor
// contract allows can be produced on purpose:
//   - on_exit before Start returns:        ExitDuringStart(kind)
//   - a Stop that makes the trial end:     exit_on_kill(true) (the default): Stop() reports the
//                                          kind its reason maps to from inside the call
//   - a Stop racing an exit:               exit_on_kill(false), then Succeed() after the Stop
//                                          (the trial reports its own outcome, as the contract
//                                          says); WaitForKill() lets another thread wait for it;
//                                          KillAll(…, wait) then waits for the test's exits
//   - a trial that cannot start:           FailStarts(n, status)
//   - a restart:                           Adopt reports kInterrupted from inside the call, or,
//                                          with set_adopted_survive(true), keeps the trial
//                                          running (a Kubernetes Job that survived)
//
// Metrics: Succeed()/Exit() with metrics hand them to the MetricsSink first, as a real
// executor does before on_exit.
//
// Thread safety: all methods may be called from any thread; callbacks run without the
// fake's lock held, on the thread that triggered them.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "controller/executor.h"
#include "core/experiment.h"
#include "core/mutex.h"

namespace ktune::controller::testing {

class FakeExecutor : public Executor {
 public:
  explicit FakeExecutor(MetricsSink* sink = nullptr) : sink_(sink) {}
  // Like a real executor, reports every trial still running as interrupted.
  ~FakeExecutor() override { Shutdown(StopReason::kInterrupt); }

  absl::Status Start(const core::Trial& trial, ExitCallback on_exit) override {
    std::optional<TrialExit::Kind> exit_now;
    {
      MutexLock lock(mu_);
      starts_.push_back(trial);
      started_.SignalAll();
      if (failing_starts_ > 0) {
        --failing_starts_;
        return start_error_;
      }
      if (running_.count(trial.metadata.name)) {
        return absl::AlreadyExistsError("trial " + trial.metadata.name + " is already running");
      }
      running_[trial.metadata.name] = Run{TrialRef::Of(trial), std::move(on_exit), std::nullopt};
      order_.push_back(trial.metadata.name);
      peak_running_ = std::max(peak_running_, static_cast<int>(running_.size()));
      std::swap(exit_now, exit_during_start_);
    }
    if (exit_now) Exit(trial.metadata.name, *exit_now);
    return absl::OkStatus();
  }

  // Adopted trials did not survive (as with the local executor) unless adopted_survive(true):
  // then they run on until the test ends them.
  absl::Status Adopt(const core::Trial& trial, ExitCallback on_exit) override {
    bool survive;
    {
      MutexLock lock(mu_);
      adopts_.push_back(trial.metadata.name);
      if (running_.count(trial.metadata.name)) {
        return absl::AlreadyExistsError("trial " + trial.metadata.name + " is already running");
      }
      running_[trial.metadata.name] = Run{TrialRef::Of(trial), std::move(on_exit), std::nullopt};
      order_.push_back(trial.metadata.name);
      survive = adopted_survive_;
    }
    if (!survive) {
      Exit(trial.metadata.name, TrialExit::Kind::kInterrupted, {}, "Gone",
           "the run did not survive the controller's restart");
    }
    return absl::OkStatus();
  }

  void Stop(const TrialRef& trial, StopReason reason) override {
    bool exit_now = false;
    {
      MutexLock lock(mu_);
      auto it = running_.find(trial.name);
      if (it == running_.end() || it->second.ref != trial) return;
      it->second.stop = reason;
      kills_.push_back(trial.name);
      exit_now = exit_on_kill_;
      killed_.SignalAll();
    }
    if (exit_now) Exit(trial.name, KindFor(reason), {}, "Killed", "killed by the test");
  }

  void KillAll(const std::string& ns, const std::string& experiment, StopReason reason,
               bool wait) override {
    for (const TrialRef& ref : RunningRefs()) {
      if (ref.ns == ns && ref.experiment == experiment) Stop(ref, reason);
    }
    if (!wait) return;
    // With exit_on_kill(false) the exits come from the test, on another thread.
    MutexLock lock(mu_);
    while (RunningOfLocked(ns, experiment) > 0) exited_.Wait(mu_);
  }

  void Shutdown(StopReason reason) override {
    for (const TrialRef& ref : RunningRefs()) {
      Exit(ref.name, KindFor(reason), {}, "Killed", "stopped by Shutdown");
    }
  }

  void KillAllNow() override {
    {
      MutexLock lock(mu_);
      ++kill_all_now_calls_;
    }
    Shutdown(StopReason::kInterrupt);
  }

  int Running(const std::string& ns, const std::string& experiment) const override {
    MutexLock lock(mu_);
    return RunningOfLocked(ns, experiment);
  }
  int Running() const override {
    MutexLock lock(mu_);
    return static_cast<int>(running_.size());
  }

  static TrialExit::Kind KindFor(StopReason reason) {
    switch (reason) {
      case StopReason::kKill:
        return TrialExit::Kind::kKilled;
      case StopReason::kEarlyStop:
        return TrialExit::Kind::kEarlyStopped;
      case StopReason::kInterrupt:
        return TrialExit::Kind::kInterrupted;
    }
    return TrialExit::Kind::kKilled;
  }

  // Ends a running trial: reports `metrics` (name, value) to the sink, then calls its
  // on_exit. False when no such trial is running.
  bool Exit(const std::string& trial_name, TrialExit::Kind kind,
            const std::vector<std::pair<std::string, std::string>>& metrics = {},
            std::string reason = "", std::string message = "") {
    ExitCallback on_exit;
    TrialRef ref;
    {
      MutexLock lock(mu_);
      auto it = running_.find(trial_name);
      if (it == running_.end()) return false;
      on_exit = std::move(it->second.on_exit);
      ref = it->second.ref;
      running_.erase(it);
      order_.erase(std::find(order_.begin(), order_.end(), trial_name));
    }
    if (sink_ && !metrics.empty()) {
      std::vector<core::MetricLog> logs;
      for (const auto& [name, value] : metrics) {
        logs.push_back(core::MetricLog{"2026-01-01T00:00:00Z", name, value});
      }
      absl::Status reported = sink_->Report(trial_name, logs);
      MutexLock lock(mu_);
      last_report_ = std::move(reported);
    }
    if (reason.empty()) {
      reason = kind == TrialExit::Kind::kSucceeded ? "Completed"
               : kind == TrialExit::Kind::kFailed  ? "Error"
                                                   : "Stopped";
    }
    if (message.empty()) message = "ended by the test";
    on_exit(TrialExit{ref, kind, std::move(reason), std::move(message)});
    MutexLock lock(mu_);
    exited_.SignalAll();
    return true;
  }
  bool Succeed(const std::string& trial_name,
               const std::vector<std::pair<std::string, std::string>>& metrics) {
    return Exit(trial_name, TrialExit::Kind::kSucceeded, metrics);
  }
  bool Fail(const std::string& trial_name) {
    return Exit(trial_name, TrialExit::Kind::kFailed, {}, "Error", "process exited with code 1");
  }

  // The next Start reports `kind` from inside the call, before it returns.
  void ExitDuringStart(TrialExit::Kind kind) {
    MutexLock lock(mu_);
    exit_during_start_ = kind;
  }
  // The next `count` Starts fail with `status` (and call nothing).
  void FailStarts(int count, absl::Status status) {
    MutexLock lock(mu_);
    failing_starts_ = count;
    start_error_ = std::move(status);
  }
  // Whether adopted trials keep running (a Kubernetes Job that survived) or are reported
  // kInterrupted from inside Adopt (default, as the local executor).
  void set_adopted_survive(bool value) {
    MutexLock lock(mu_);
    adopted_survive_ = value;
  }
  // Whether Stop() reports its kind from inside the call (default) or only records the request.
  void set_exit_on_kill(bool value) {
    MutexLock lock(mu_);
    exit_on_kill_ = value;
  }
  // Blocks until Stop(trial_name) has been called for a running trial.
  void WaitForKill(const std::string& trial_name) {
    MutexLock lock(mu_);
    while (std::find(kills_.begin(), kills_.end(), trial_name) == kills_.end()) killed_.Wait(mu_);
  }

  // Blocks until Start has been called `n` times in all.
  void WaitForStarts(size_t n) {
    MutexLock lock(mu_);
    while (starts_.size() < n) started_.Wait(mu_);
  }

  // Running trials in start order.
  std::vector<std::string> running() const { return Running_(); }
  // Every Start call, in order (including re-runs and failed starts).
  std::vector<core::Trial> starts() const {
    MutexLock lock(mu_);
    return starts_;
  }
  std::vector<std::string> adopts() const {
    MutexLock lock(mu_);
    return adopts_;
  }
  std::vector<std::string> kills() const {
    MutexLock lock(mu_);
    return kills_;
  }
  int peak_running() const {
    MutexLock lock(mu_);
    return peak_running_;
  }
  int kill_all_now_calls() const {
    MutexLock lock(mu_);
    return kill_all_now_calls_;
  }
  // What the sink answered to the last metrics report.
  absl::Status last_report() const {
    MutexLock lock(mu_);
    return last_report_;
  }

 private:
  struct Run {
    TrialRef ref;
    ExitCallback on_exit;
    std::optional<StopReason> stop;
  };
  std::vector<std::string> Running_() const {
    MutexLock lock(mu_);
    return order_;
  }
  int RunningOfLocked(const std::string& ns, const std::string& experiment) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int n = 0;
    for (const auto& [name, run] : running_) {
      if (run.ref.ns == ns && run.ref.experiment == experiment) ++n;
    }
    return n;
  }
  std::vector<TrialRef> RunningRefs() const {
    MutexLock lock(mu_);
    std::vector<TrialRef> refs;
    for (const std::string& name : order_) {
      if (auto it = running_.find(name); it != running_.end()) refs.push_back(it->second.ref);
    }
    return refs;
  }

  MetricsSink* const sink_;
  mutable Mutex mu_;
  CondVar killed_;
  CondVar exited_;
  CondVar started_;
  std::map<std::string, Run> running_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> adopts_ ABSL_GUARDED_BY(mu_);
  bool adopted_survive_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::vector<core::Trial> starts_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> kills_ ABSL_GUARDED_BY(mu_);
  std::optional<TrialExit::Kind> exit_during_start_ ABSL_GUARDED_BY(mu_);
  int failing_starts_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status start_error_ ABSL_GUARDED_BY(mu_);
  bool exit_on_kill_ ABSL_GUARDED_BY(mu_) = true;
  int peak_running_ ABSL_GUARDED_BY(mu_) = 0;
  int kill_all_now_calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_report_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktune::controller::testing
