#pragma once
// Executor: runs a trial's rendered runSpec somewhere (a local child process now, a Kubernetes
// resource later) and reports when it ends. Metrics are not the executor's business beyond
// handing the trial's output to the MetricsSink it was given.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/experiment.h"

namespace ktune::controller {

// How a trial's run ended.
struct TrialExit {
  // kKilled only when the executor had actually sent the stop signal before the process
  // ended; a trial that finished on its own just before a Kill reports its own outcome.
  enum class Kind { kSucceeded, kFailed, kKilled };
  std::string trial_name;
  Kind kind = Kind::kFailed;
  std::string reason;   // e.g. "ExitCode", "Signal", "StartError"
  std::string message;  // e.g. "process exited with code 1"
};

// Where collected observation logs go (the Store in-process, Katib's DBManager over gRPC).
// Thread-safe: called from executor threads.
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual absl::Status Report(const std::string& trial_name,
                              const std::vector<core::MetricLog>& logs) = 0;
};

class Executor {
 public:
  using ExitCallback = std::function<void(const TrialExit&)>;
  virtual ~Executor() = default;

  // Starts the trial. Returns an error (and calls nothing) when it cannot start at all;
  // otherwise `on_exit` is called exactly once, from another thread, when the run ends (it
  // may be called before Start returns). Every metric batch of the trial has been handed to
  // the MetricsSink before `on_exit` runs. `on_exit` and what it captures must stay valid
  // until KillAllAndWait() has returned or the executor is destroyed; destroying the
  // executor kills and waits for every trial first.
  virtual absl::Status Start(const core::Trial& trial, ExitCallback on_exit) = 0;
  // Asks a running trial to stop (SIGTERM, then SIGKILL after a grace period); its exit is
  // then reported as kKilled unless it had already ended. No-op if unknown.
  virtual void Kill(const std::string& trial_name) = 0;
  // Kills every running trial and waits until all exit callbacks have returned.
  virtual void KillAllAndWait() = 0;
  // Sends SIGKILL to every running trial at once, skipping the grace period, and returns
  // without waiting (the exits are still reported). For a second Ctrl-C. Any thread.
  virtual void KillAllNow() = 0;
  // Number of trials started and not yet reported.
  virtual int Running() const = 0;
};

}  // namespace ktune::controller
