#pragma once
// ControllerManager: runs every experiment of a process — one for `ktune run`, all of them for
// `ktune server` — with Katib's semantics and no thread per experiment or per trial.
//
// Shape (ARCHITECTURE "Many experiments in one process"): each experiment's reconciler is a
// step, Reconcile(key), over a cached copy of what the stores hold for it (the experiment, its
// trials, the suggestion session). A small pool of workers takes keys from a WorkQueue
// (deduplicated; one worker per key at a time; Unavailable retried with backoff). Keys are
// enqueued by events, never by timers: a trial's exit, a metric event, the store's change feed
// (a spec written by someone else — a REST PATCH of maxTrialCount —, a new or deleted
// experiment), and the calls below. A global cap on running trials (TrialSlots) is shared fairly
// between experiments.
//
// The rules of one experiment (README "How ktune run ends"):
// - Completion, as Katib: when the goal or maxFailedTrialCount is reached, or the suggestion
//   fails, the experiment gets its Succeeded/Failed condition at once and no new trial is
//   created, but trials already running run to their end and count (their results update the
//   counters and can change currentOptimalTrial). The experiment is "done" when it completed
//   and none of its trials is running. The manager never kills a trial to end an experiment.
// - Interrupts: a trial cut short because its controller stopped (Shutdown, a crash, `kill
//   -9`) is not final. Shutdown writes it back as pending (Running=False, reason
//   TrialInterrupted); a crash leaves it Running, and the next manager Adopts it (the local
//   executor reports it Interrupted). It then runs again under the same name with the same
//   assignments after its partial observation log is deleted, so it counts once toward
//   maxTrialCount: a crash costs time, never budget or a data point. Only a trial stopped by a
//   user (StopExperiment, Delete) is Killed.
// - Restart, as Katib: an experiment that Succeeded with ExperimentMaxTrialsReached, whose
//   resumePolicy is LongRunning or FromVolume and whose maxTrialCount is now above its number
//   of trials, is restarted (condition Restarting, reason ExperimentRestarting) when it is
//   loaded or its spec changes (UpdateBudget).
// - Plugin-supplied trial names must be DNS-1123 subdomains, unique among the experiment's
//   trials and within the reply; otherwise the suggestion fails ("Suggestion has failed: ..."
//   naming the trial name) and nothing of that reply is created.
// - Versions: the manager writes experiment status with compare-and-swap; a conflict means the
//   spec changed meanwhile: it re-reads the spec and carries on with the new one. Spec fields it
//   honours while running: maxTrialCount, parallelTrialCount, maxFailedTrialCount, goal.
// - Store errors: Unavailable is retried with backoff (up to `max_unavailable_retries` times in
//   a row); any other error, or Unavailable beyond that, ends the manager's work on that
//   experiment: its running trials are interrupted, Wait() returns the error, and the
//   experiment stays resumable in the store.
//
// Lifetime: the stores, the SuggestionService and the Executor must outlive the manager. The
// destructor calls Shutdown().
//
// Thread safety: every public method may be called from any thread except an exit callback,
// on_progress, or a worker.

#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/executor.h"
#include "controller/trial_slots.h"
#include "controller/work_queue.h"
#include "core/experiment.h"
#include "core/mutex.h"
#include "db-manager/experiment_store.h"
#include "db-manager/observation_store.h"
#include "suggestion/suggestion.h"

namespace ktune::controller {

struct ExperimentKey {
  std::string ns;
  std::string name;
  friend auto operator<=>(const ExperimentKey&, const ExperimentKey&) = default;
  friend bool operator==(const ExperimentKey&, const ExperimentKey&) = default;
};

struct ManagerOptions {
  // Reconcile workers.
  int workers = 2;
  // Global cap on running trials over all experiments; 0: none.
  int32_t max_running_trials = 0;
  // When set, at most this many trials of one experiment run at once even if its
  // spec.parallelTrialCount is higher (e.g. File-collector trials that cannot get their own
  // metrics file run one at a time).
  std::optional<int32_t> max_parallel_trials;
  // The same per experiment, where it depends on the experiment (a server whose File-collector
  // trials cannot get their own metrics file runs those experiments' trials one at a time);
  // null or nullopt: no limit beyond spec.parallelTrialCount and max_parallel_trials.
  std::function<std::optional<int32_t>(const core::Experiment&)> parallel_limit;
  // Backoff of retried reconciles (Unavailable from a store).
  absl::Duration retry_base_delay = absl::Milliseconds(50);
  absl::Duration retry_max_delay = absl::Seconds(5);
  int max_unavailable_retries = 20;
  // Deadline of one GetSuggestions call; exceeding it fails the suggestion.
  absl::Duration suggestion_timeout = absl::Minutes(10);
  // Follow the store's change feed (spec changes, creations, deletions by other writers).
  bool watch_store = true;
  // Called on a worker after each reconcile of an experiment, with its current state.
  std::function<void(const core::Experiment&, const std::vector<core::Trial>&)> on_progress;
  // Called on a worker once an experiment's data was deleted (Delete, or a deletion seen in
  // the change feed), e.g. to remove its trials' log files.
  std::function<void(const ExperimentKey&, const std::vector<std::string>& trial_names)> on_deleted;
};

// Reason and message of a trial interrupted by its controller stopping (not final).
inline constexpr char kReasonTrialInterrupted[] = "TrialInterrupted";
// Condition reason of an experiment ended by StopExperiment.
inline constexpr char kReasonExperimentStopped[] = "ExperimentStopped";

// Empty when `name` is a DNS-1123 subdomain; otherwise what is wrong with it.
std::string CheckTrialName(const std::string& name);

// Budget fields UpdateBudget changes; unset ones stay as they are.
struct Budget {
  std::optional<int32_t> max_trial_count;
  std::optional<int32_t> parallel_trial_count;
  std::optional<int32_t> max_failed_trial_count;
};

class ControllerManager {
 public:
  ControllerManager(db::ExperimentStore& experiments, db::ObservationStore& observations,
                    suggestion::SuggestionService& suggestions, Executor& executor,
                    ManagerOptions options = {});
  ~ControllerManager();
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Starts the workers (and the change-feed follower). Idempotent.
  void Start();
  // Enqueues every stored experiment that is not done (`ktune server` at start).
  absl::Status EnqueueAll();
  // Asks for a reconcile of one experiment (created, or to be resumed).
  void Enqueue(const ExperimentKey& key);

  // Blocks until the experiment is done (completed, nothing of it running), deleted, or the
  // manager gave up on it or shut down; returns its state then. NotFound when it does not
  // exist or was deleted; Cancelled after Shutdown; the store's error when the manager gave up.
  absl::StatusOr<core::Experiment> Wait(const ExperimentKey& key);

  // Ends an experiment on request: no new trials; its running trials are killed (Killed);
  // the experiment Succeeds with reason ExperimentStopped. Returns once that was stored.
  absl::Status StopExperiment(const ExperimentKey& key);
  // Kills the experiment's trials, waits for their exits, then deletes the experiment, its
  // trials, their observation logs and its suggestion state. Returns when done.
  absl::Status Delete(const ExperimentKey& key);
  // Changes the budget in the stored spec (compare-and-swap, retried on conflict) and lets the
  // reconciler act on it: more trials, fewer, or a restart as Katib's edit_experiment_budget.
  // InvalidArgument for a negative or zero value where Katib's validation rejects it.
  absl::StatusOr<core::Experiment> UpdateBudget(const ExperimentKey& key, const Budget& budget);

  // A metric batch of a running trial arrived (from the metrics tap): wakes its experiment.
  // Observation logs are keyed by trial name only, as Katib's, so every running trial of that
  // name is meant.
  void OnMetrics(const std::string& trial_name);
  // Called by OnMetrics, outside the manager's lock, with the trial and each experiment it
  // runs in (the web UI's live charts). Null: none.
  using MetricsListener =
      std::function<void(const std::string& trial_name, const ExperimentKey& experiment)>;
  void SetMetricsListener(MetricsListener listener);

  // Makes Wait() calls return Cancelled now, without waiting (e.g. from a signal watcher);
  // the caller then calls Shutdown() where it may block.
  void BeginShutdown();
  // Interrupts every running trial (they run again on resume), records that, and stops the
  // workers. Wait() calls then return Cancelled. Idempotent.
  void Shutdown();

  // Blocks until no reconcile is queued or running (delayed retries aside). For tests and
  // benchmarks that drive the executor from outside.
  void WaitIdle() { queue_.WaitIdle(); }

  // Observability for tests and benchmarks.
  int32_t RunningTrials() const { return slots_.used(); }
  int64_t Reconciles() const { return reconciles_.load(); }

 private:
  struct Entry;
  struct Event;

  void Work();
  void FollowChanges(int64_t seen);
  void ProcessKey(const ExperimentKey& key);
  absl::Status Reconcile(Entry& e);
  absl::Status Load(Entry& e);
  absl::Status ReloadSpec(Entry& e);
  absl::Status ApplyEvents(Entry& e);
  absl::Status ApplyExit(Entry& e, const TrialExit& exit);
  absl::Status Step(Entry& e);
  absl::Status StartPendingTrials(Entry& e, int32_t& budget, std::string& start_error);
  absl::Status CreateTrials(Entry& e, int32_t count, int32_t& budget, std::string& start_error);
  absl::Status StartTrial(Entry& e, core::Trial& trial, std::string& start_error);
  absl::Status SaveTrial(Entry& e, core::Trial& trial);
  absl::Status SaveStatus(Entry& e);
  absl::Status SaveSuggestionState(Entry& e, const std::string& plugin_state);
  absl::Status FinishDelete(Entry& e);
  void OpenSuggester(Entry& e, const std::string& plugin_state);
  Executor::ExitCallback ExitCallbackFor(const ExperimentKey& key);
  void ForgetRunning(const std::string& trial_name, const ExperimentKey& key);
  void MarkFailed(Entry& e, const std::string& message);
  void GiveUp(Entry& e, const absl::Status& error);
  void Settle(Entry& e);
  void Wake(const std::vector<ExperimentKey>& keys);
  Entry* FindEntry(const ExperimentKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Entry& EntryFor(const ExperimentKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Post(const ExperimentKey& key, Event event);
  core::Experiment ExperimentForSuggestion(const Entry& e) const;
  std::string NewTrialName(const Entry& e);

  db::ExperimentStore& experiments_;
  db::ObservationStore& observations_;
  suggestion::SuggestionService& suggestions_;
  Executor& executor_;
  const ManagerOptions options_;

  WorkQueue<ExperimentKey> queue_;
  TrialSlots<ExperimentKey> slots_;
  std::atomic<int64_t> reconciles_{0};
  std::atomic<bool> cancel_suggestions_{false};

  mutable Mutex mu_;
  CondVar changed_;
  // Shared so that a worker keeps its entry alive while Enqueue replaces a deleted one.
  std::map<ExperimentKey, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  // Running trials by trial name, for metric events.
  std::multimap<std::string, ExperimentKey> running_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const MetricsListener> metrics_listener_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
  std::thread follower_;
  std::atomic<bool> stop_following_{false};
};

// A MetricsSink that writes into an ObservationStore and then tells the manager (set later,
// since the executor that uses this sink is made before the manager).
class MetricsTap : public MetricsSink {
 public:
  explicit MetricsTap(db::ObservationStore& store) : store_(store) {}
  void set_manager(ControllerManager* manager) { manager_.store(manager); }
  absl::Status Report(const std::string& trial_name,
                      const std::vector<core::MetricLog>& logs) override;

 private:
  db::ObservationStore& store_;
  std::atomic<ControllerManager*> manager_{nullptr};
};

}  // namespace ktune::controller
