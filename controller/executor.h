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
  // otherwise `on_exit` is called exactly once, from another thread, when the run ends.
  virtual absl::Status Start(const core::Trial& trial, ExitCallback on_exit) = 0;
  // Asks a running trial to stop; its exit is then reported as kKilled. No-op if unknown.
  virtual void Kill(const std::string& trial_name) = 0;
  // Kills every running trial and waits until all exit callbacks have returned.
  virtual void KillAllAndWait() = 0;
  // Number of trials started and not yet reported.
  virtual int Running() const = 0;
};

}  // namespace ktune::controller
