#pragma once
// Executor: runs a trial's rendered runSpec somewhere (a local child process now, a Kubernetes
// resource later) and reports when it ends. Metrics are not the executor's business beyond
// handing the trial's output to the metrics collector it was given.
//
// One executor serves every experiment of a process; everything that acts on more than one
// trial is scoped by experiment, so one experiment ending never touches another's trials.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/experiment.h"
#include "metrics-collector/sink.h"

namespace ktune::controller {

// A trial as executors name it: trial names are unique within a namespace, and every trial
// belongs to one experiment of that namespace.
struct TrialRef {
  std::string ns;
  std::string experiment;
  std::string name;
  // From a stored trial (namespace, name and its katib.kubeflow.org/experiment label).
  static TrialRef Of(const core::Trial& trial);
  friend bool operator==(const TrialRef&, const TrialRef&) = default;
  friend auto operator<=>(const TrialRef&, const TrialRef&) = default;
};

// Why the executor is asked to stop a trial; the exit reports it back (see TrialExit::Kind).
enum class StopReason {
  kKill,       // a user (or the experiment's end, where the mode's policy kills) stopped it
  kEarlyStop,  // an early-stopping rule stopped it: reported kEarlyStopped
  kInterrupt,  // the controller is going away: reported kInterrupted, the trial runs again
};

// How a trial's run ended.
struct TrialExit {
  enum class Kind {
    kSucceeded,
    kFailed,
    // Stopped with StopReason::kKill before it ended on its own. Final.
    kKilled,
    // Stopped with StopReason::kEarlyStop before it ended on its own; its observation is
    // computed from what it reported, as Katib does. Final.
    kEarlyStopped,
    // Stopped with StopReason::kInterrupt, or (Adopt) a run that did not survive the
    // controller's restart. Not a result: the controller runs the trial again.
    kInterrupted,
  };
  // A stop request only turns into kKilled/kEarlyStopped/kInterrupted when the executor had
  // actually sent the stop before the run ended; a trial that finished on its own just before
  // reports its own outcome.
  TrialRef trial;
  Kind kind = Kind::kFailed;
  std::string reason;   // e.g. "ExitCode", "Signal", "StartError", "EarlyStopped"
  std::string message;  // e.g. "process exited with code 1"
};

std::string_view KindName(TrialExit::Kind kind);

// Where collected observation logs go (metrics-collector/sink.h): the ObservationStore
// in-process, Katib's DBManager over gRPC, or a FanOutSink to both the store and the
// controller's metric events. The name stays here for the controller's code.
using MetricsSink = metrics::MetricsSink;

class Executor {
 public:
  // Called exactly once per started or adopted trial, from an executor thread (never with an
  // executor lock held, so it may call Start/Stop). It may run before Start returns. It and
  // what it captures must stay valid until the trial's exit has been reported: KillAll(…)
  // with wait, Shutdown() or the destructor guarantee that.
  using ExitCallback = std::function<void(const TrialExit&)>;
  virtual ~Executor() = default;

  // Starts the trial. Returns an error (and calls nothing) when it cannot start at all;
  // otherwise `on_exit` is called exactly once when the run ends. Every metric batch of the
  // trial has been handed to the metrics sink before `on_exit` runs. AlreadyExists when a
  // trial with this ref is still running.
  virtual absl::Status Start(const core::Trial& trial, ExitCallback on_exit) = 0;
  // Resumes watching a run that a previous controller started and that may still be going
  // (Kubernetes: the Job survived a restart). Where runs cannot survive their controller (the
  // local executor: trials die with ktune), the trial is reported kInterrupted, from another
  // thread, and the controller runs it again. Same error contract as Start.
  virtual absl::Status Adopt(const core::Trial& trial, ExitCallback on_exit) = 0;
  // Asks a running trial to stop (local: SIGTERM, then SIGKILL after a grace period); its exit
  // is then reported with the kind `reason` maps to, unless it had already ended. No-op if
  // unknown. Returns at once; the exit arrives through on_exit.
  virtual void Stop(const TrialRef& trial, StopReason reason) = 0;
  // Stops every running trial of one experiment with `reason`; with `wait`, returns only when
  // every one of their exit callbacks has returned (must then not be called from one).
  virtual void KillAll(const std::string& ns, const std::string& experiment, StopReason reason,
                       bool wait) = 0;
  // Stops every trial of every experiment with `reason` and waits for all exit callbacks.
  // For process shutdown; not from an exit callback.
  virtual void Shutdown(StopReason reason) = 0;
  // Sends SIGKILL to every running trial at once, skipping the grace period, and returns
  // without waiting (the exits are still reported, with the reason of an earlier Stop if one
  // was sent, else kInterrupted). For a second Ctrl-C. Any thread.
  virtual void KillAllNow() = 0;
  // Trials started or adopted and not yet reported: of one experiment, and in all.
  virtual int Running(const std::string& ns, const std::string& experiment) const = 0;
  virtual int Running() const = 0;
};

}  // namespace ktune::controller
