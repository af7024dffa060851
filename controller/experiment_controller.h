#pragma once
// ExperimentController: drives one experiment to completion with Katib's semantics.
//
// It is a reconciler whose state lives in the Store: every trial it creates and every status
// change is written through before it acts on it, so the process can stop at any point and a
// new controller over the same Store carries on (trials whose process died with the old one
// are marked Killed). It is driven by events (a trial ended, Stop was called); it never
// sleeps to poll.
//
// Thread safety: Run() is called from one thread; Stop() from any thread (not from a signal
// handler).

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/executor.h"
#include "core/experiment.h"
#include "db-manager/store.h"
#include "suggestion/suggestion.h"

namespace ktune::controller {

struct ControllerOptions {
  // Called on the Run() thread after each reconcile pass, with the current state.
  std::function<void(const core::Experiment&, const std::vector<core::Trial>&)> on_progress;
};

class ExperimentController {
 public:
  ExperimentController(db::Store& store, suggestion::SuggestionService& suggestions,
                       Executor& executor, ControllerOptions options = {});
  ~ExperimentController();

  // Runs the stored experiment `ns/name` until it Succeeds or Fails and returns its final
  // state (a Failed experiment is a result, not an error). Cancelled when Stop() was called:
  // running trials are then Killed and the experiment stays Running in the Store, ready to be
  // resumed. Errors: NotFound, or the Store's errors.
  absl::StatusOr<core::Experiment> Run(const std::string& ns, const std::string& name);

  // Asks Run() to stop soon.
  void Stop();

 private:
  struct SuggestionState {
    bool exhausted = false;
    std::vector<core::Setting> algorithm_settings;
  };

  absl::Status ApplyExit(const TrialExit& exit);
  absl::Status Reconcile(bool& completed);
  // `start_error` receives the message of a trial that could not start, if any.
  absl::Status CreateTrials(int count, std::string& start_error);
  absl::Status StartTrial(core::Trial& trial, std::string& start_error);
  absl::Status SaveTrial(const core::Trial& trial);
  absl::Status SaveExperiment();
  absl::Status SaveSuggestionState();
  absl::Status Finish(bool kill_running);
  absl::Status DrainEvents();
  void Fail(const std::string& message);
  std::string NewTrialName();
  core::Experiment ExperimentForSuggestion() const;
  core::Trial* FindTrial(const std::string& name);

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

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<TrialExit> events_;  // guarded by mu_
  bool stop_requested_ = false;   // guarded by mu_
};

// A MetricsSink that writes into a Store (the in-process DB manager).
class StoreMetricsSink : public MetricsSink {
 public:
  explicit StoreMetricsSink(db::Store& store) : store_(store) {}
  absl::Status Report(const std::string& trial_name, const std::vector<core::MetricLog>& logs) override {
    return store_.ReportObservationLog(trial_name, logs);
  }

 private:
  db::Store& store_;
};

}  // namespace ktune::controller
