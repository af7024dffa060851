#pragma once
// ExperimentController: one experiment run to its end on the calling thread — `ktune run`'s
// controller. It is a ControllerManager (manager.h, where the rules are written down) with one
// experiment, one worker and no change-feed follower (nobody else writes the experiment), plus
// the blocking Run()/Stop() pair a command-line program wants.
//
// Thread safety: Run() runs on one thread at a time (a second concurrent call returns
// FailedPrecondition); Run() may be called again after it returned, each call reloading the
// experiment from the stores. Stop() may be called from any thread (not from a signal handler)
// and never blocks.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "controller/executor.h"
#include "controller/manager.h"
#include "core/experiment.h"
#include "core/mutex.h"
#include "db-manager/experiment_store.h"
#include "db-manager/observation_store.h"
#include "suggestion/suggestion.h"

namespace ktune::controller {

struct ControllerOptions {
  // Called on the controller's worker after each reconcile pass, with the current state.
  std::function<void(const core::Experiment&, const std::vector<core::Trial>&)> on_progress;
  // When set, at most this many trials run at once even if spec.parallelTrialCount is higher
  // (e.g. File-collector trials that cannot get their own metrics file run one at a time).
  std::optional<int32_t> max_parallel_trials;
  // Store errors: Unavailable retried this many times in a row, with backoff from
  // `retry_base_delay`, before Run() returns it.
  int max_unavailable_retries = 20;
  absl::Duration retry_base_delay = absl::Milliseconds(50);
};

class ExperimentController {
 public:
  ExperimentController(db::ExperimentStore& experiments, db::ObservationStore& observations,
                       suggestion::SuggestionService& suggestions, Executor& executor,
                       ControllerOptions options = {});
  ~ExperimentController();
  ExperimentController(const ExperimentController&) = delete;
  ExperimentController& operator=(const ExperimentController&) = delete;

  // Runs the stored experiment `ns/name` until it Succeeds or Fails and no trial of it is
  // running any more, and returns its final state (a Failed experiment is a result, not an
  // error). Cancelled when Stop() was called: running trials are then interrupted and written
  // back as such, the experiment stays resumable. Errors: NotFound, a store error the manager
  // gave up on (after interrupting the experiment's trials), FailedPrecondition when another
  // Run() is in progress.
  absl::StatusOr<core::Experiment> Run(const std::string& ns, const std::string& name);

  // Asks the Run() in progress to stop soon, or, when none is, makes the next Run() return
  // Cancelled before it starts any trial. Each Run() consumes the request.
  void Stop();

 private:
  db::ExperimentStore& experiments_;
  db::ObservationStore& observations_;
  suggestion::SuggestionService& suggestions_;
  Executor& executor_;
  const ControllerOptions options_;

  Mutex mu_;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool in_run_ ABSL_GUARDED_BY(mu_) = false;
  ControllerManager* manager_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace ktune::controller
