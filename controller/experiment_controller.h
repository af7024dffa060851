#pragma once
// ExperimentController: drives one experiment to completion with Katib's semantics.
//
// It is a reconciler whose state lives in the Store: every trial it creates and every status
// change is written through before it acts on it, so the process can stop at any point and a
// new controller over the same Store carries on. It is driven by events (a trial ended, Stop
// was called); it never sleeps to poll.
//
// Policies (README "How ktune run ends"):
// - Completion, as Katib: when the goal or maxFailedTrialCount is reached, or the suggestion
//   fails, the experiment gets its Succeeded/Failed condition at once and no new trial is
//   created, but trials already running run to their end and count: their results update the
//   counters and can change currentOptimalTrial. Run() returns only when none is left running,
//   so a returned experiment never shows "Failed, 2 running". The controller itself never
//   kills a trial to end an experiment.
// - Interrupts: a trial cut short because its controller stopped (Stop(), a Store error that
//   persists, a crash or `kill -9` of the process) is not final. Stop() writes it back as
//   pending (Running=False, reason TrialInterrupted); a crash leaves it Running. The next
//   Run() deletes its partial observation log and runs it again under the same name with the
//   same assignments, so it counts once toward maxTrialCount: a crash costs time, never budget
//   or a data point. Only a trial the executor reports Killed outside a stop (a user or a rule
//   stopped it) is final.
// - Restart, as Katib: a stored experiment that Succeeded with ExperimentMaxTrialsReached,
//   whose resumePolicy is LongRunning or FromVolume and whose maxTrialCount is now above its
//   number of trials, is restarted (condition Restarting, reason ExperimentRestarting) and runs
//   the new trials. Any other completed experiment is returned as it is.
// - Plugin-supplied trial names must be DNS-1123 subdomains (at most 253 characters of
//   [a-z0-9.-], starting and ending alphanumeric, no empty dot-separated part), unique among the
//   experiment's trials and within the reply; otherwise the suggestion fails ("Suggestion has
//   failed: ..." naming the trial name) and nothing of that reply is created.
// - Store errors are returned by Run() after the controller's own trials have been killed and
//   their exits waited for (the Store may then hold them Running; the next Run re-runs them).
//   Wrap the Store in db::RetryingStore to retry Unavailable (a busy SQLite file).
//
// Lifetime: every trial a Run() started has reported its exit before Run() returns, and the
// destructor kills and waits for any the executor still reports, so no exit callback can reach
// a destroyed controller. The executor, the Store and the SuggestionService must outlive it.
//
// Thread safety: Run() runs on one thread at a time (a second concurrent call returns
// FailedPrecondition); Run() may be called again after it returned, each call reloading the
// experiment from the Store. Stop() may be called from any thread (not from a signal handler).

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "controller/executor.h"
#include "core/experiment.h"
#include "core/mutex.h"
#include "db-manager/store.h"
#include "suggestion/suggestion.h"

namespace ktune::controller {

struct ControllerOptions {
  // Called on the Run() thread after each reconcile pass, with the current state.
  std::function<void(const core::Experiment&, const std::vector<core::Trial>&)> on_progress;
  // When set, at most this many trials run at once even if spec.parallelTrialCount is higher
  // (e.g. File-collector trials that cannot get their own metrics file run one at a time).
  std::optional<int32_t> max_parallel_trials;
};

// Reason of a trial interrupted by its controller stopping (not final: it runs again).
inline constexpr char kReasonTrialInterrupted[] = "TrialInterrupted";

// Empty when `name` is a DNS-1123 subdomain; otherwise what is wrong with it.
std::string CheckTrialName(const std::string& name);

class ExperimentController {
 public:
  ExperimentController(db::Store& store, suggestion::SuggestionService& suggestions,
                       Executor& executor, ControllerOptions options = {});
  // Kills the trials this controller started that have not reported their exit yet, and
  // waits for their exit callbacks.
  ~ExperimentController();
  ExperimentController(const ExperimentController&) = delete;
  ExperimentController& operator=(const ExperimentController&) = delete;

  // Runs the stored experiment `ns/name` until it Succeeds or Fails and no trial of it is
  // running any more, and returns its final state (a Failed experiment is a result, not an
  // error). Cancelled when Stop() was called: running trials are then killed and written back
  // as interrupted, the experiment stays resumable in the Store. Errors: NotFound, the Store's
  // errors, FailedPrecondition when another Run() of this controller is in progress.
  absl::StatusOr<core::Experiment> Run(const std::string& ns, const std::string& name);

  // Asks the Run() in progress to stop soon, or, when none is, makes the next Run() return
  // Cancelled before it starts any trial. Each Run() consumes the request.
  void Stop();

 private:
  struct SuggestionState {
    bool exhausted = false;
    std::vector<core::Setting> algorithm_settings;
  };

  absl::StatusOr<core::Experiment> RunLoop(const std::string& ns, const std::string& name);
  absl::Status Load(const std::string& ns, const std::string& name);
  absl::Status PrepareResume();
  absl::Status ApplyExit(const TrialExit& exit);
  absl::Status Reconcile(bool& done);
  absl::Status StartPendingTrials(int32_t limit, std::string& start_error);
  // `start_error` receives the message of a trial that could not start, if any.
  absl::Status CreateTrials(int count, std::string& start_error);
  absl::Status StartTrial(core::Trial& trial, std::string& start_error);
  absl::Status SaveTrial(const core::Trial& trial);
  absl::Status SaveExperiment();
  absl::Status SaveSuggestionState();
  absl::Status DrainEvents();
  // Kills every trial this controller started and has not seen end, waits for their exit
  // callbacks and applies the exits (kKilled ones as interrupted). Best effort on the Store.
  void InterruptOwnTrials();
  void KillOwnTrialsAndWait();
  bool StopRequested();
  void Fail(const std::string& message);
  std::string NewTrialName();
  core::Experiment ExperimentForSuggestion() const;
  core::Trial* FindTrial(const std::string& name);
  int32_t PendingCount() const;

  db::Store& store_;
  suggestion::SuggestionService& suggestions_;
  Executor& executor_;
  ControllerOptions options_;

  // Owned by the Run() thread: a mirror of what is in the Store.
  core::Experiment experiment_;
  std::vector<core::Trial> trials_;
  std::map<std::string, size_t> trial_index_;
  SuggestionState suggestion_state_;
  std::unique_ptr<suggestion::Suggester> suggester_;
  // Trials started by this Run whose exit has not been applied yet.
  std::set<std::string> started_;
  // Set while the Run thread is stopping its own trials: kKilled exits are interrupts.
  bool interrupting_ = false;

  Mutex mu_;
  CondVar wake_;
  std::deque<TrialExit> events_ ABSL_GUARDED_BY(mu_);
  // Trials whose exit callback has not fired yet.
  std::set<std::string> live_ ABSL_GUARDED_BY(mu_);
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool in_run_ ABSL_GUARDED_BY(mu_) = false;
};

// A MetricsSink that writes into a Store (the in-process DB manager).
class StoreMetricsSink : public MetricsSink {
 public:
  explicit StoreMetricsSink(db::Store& store) : store_(store) {}
  absl::Status Report(const std::string& trial_name,
                      const std::vector<core::MetricLog>& logs) override {
    return store_.ReportObservationLog(trial_name, logs);
  }

 private:
  db::Store& store_;
};

}  // namespace ktune::controller
