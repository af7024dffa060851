#include "controller/experiment_controller.h"

#include <utility>

namespace ktune::controller {

ExperimentController::ExperimentController(db::ExperimentStore& experiments,
                                           db::ObservationStore& observations,
                                           suggestion::SuggestionService& suggestions,
                                           Executor& executor, ControllerOptions options)
    : experiments_(experiments),
      observations_(observations),
      suggestions_(suggestions),
      executor_(executor),
      options_(std::move(options)) {}

ExperimentController::~ExperimentController() = default;

void ExperimentController::Stop() {
  MutexLock lock(mu_);
  stop_requested_ = true;
  if (manager_) manager_->BeginShutdown();
}

absl::StatusOr<core::Experiment> ExperimentController::Run(const std::string& ns,
                                                           const std::string& name) {
  ManagerOptions options;
  options.workers = 1;
  options.watch_store = false;
  options.max_parallel_trials = options_.max_parallel_trials;
  options.max_unavailable_retries = options_.max_unavailable_retries;
  options.retry_base_delay = options_.retry_base_delay;
  options.on_progress = options_.on_progress;
  ControllerManager manager(experiments_, observations_, suggestions_, executor_,
                            std::move(options));
  {
    MutexLock lock(mu_);
    if (in_run_) {
      return absl::FailedPreconditionError(
          "ExperimentController::Run is already in progress on another thread");
    }
    if (stop_requested_) {
      stop_requested_ = false;
      return absl::CancelledError("stopped before the experiment started; run it again to resume");
    }
    in_run_ = true;
    manager_ = &manager;
  }
  const ExperimentKey key{ns, name};
  manager.Enqueue(key);
  manager.Start();
  absl::StatusOr<core::Experiment> result = manager.Wait(key);
  // Whatever ended the wait (completion, Stop, a store error), no trial of this Run outlives
  // it: Shutdown interrupts what still runs and records it.
  manager.Shutdown();
  {
    MutexLock lock(mu_);
    in_run_ = false;
    stop_requested_ = false;
    manager_ = nullptr;
  }
  return result;
}

}  // namespace ktune::controller
