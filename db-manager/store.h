#pragma once
// Store: where experiments, trials, observation logs and suggestion state live. The controller
// keeps all of its state here, so a process can stop at any point and carry on from the Store.
//
// Thread safety: every implementation is safe to call from several threads at once.
// Errors: NotFound for a missing experiment/trial, AlreadyExists on a duplicate create,
// InvalidArgument for bad input (e.g. a timestamp that is not RFC3339), Unavailable when the
// database cannot be reached or is locked right now (retryable, see retrying_store.h),
// ResourceExhausted when it has no space left (not cured by retrying), Internal otherwise.
// A failed call changes nothing: a backend returns Unavailable only when the call did not take
// effect (an outcome it cannot know, such as a timeout after COMMIT was sent, gets another
// code). tests/unit/db-manager/store_conformance.h checks this contract for every backend.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/experiment.h"

namespace ktune::db {

struct ObservationQuery {
  std::string trial_name;
  std::string metric_name;  // empty: all metrics
  std::string start_time;   // RFC3339, empty: no lower bound (inclusive)
  std::string end_time;     // RFC3339, empty: no upper bound (inclusive)
};

class Store {
 public:
  virtual ~Store() = default;

  // Experiments are keyed by (namespace, name).
  virtual absl::Status CreateExperiment(const core::Experiment& experiment) = 0;
  // Replaces the stored experiment (spec and status) with the same key.
  virtual absl::Status UpdateExperiment(const core::Experiment& experiment) = 0;
  virtual absl::StatusOr<core::Experiment> GetExperiment(const std::string& ns,
                                                         const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<core::Experiment>> ListExperiments(
      const std::string& ns = "") = 0;
  // Deletes the experiment, its trials, their observation logs and its suggestion state.
  virtual absl::Status DeleteExperiment(const std::string& ns, const std::string& name) = 0;

  // Trials are keyed by (namespace, name) and belong to the experiment named by their
  // `katib.kubeflow.org/experiment` label.
  virtual absl::Status CreateTrial(const core::Trial& trial) = 0;
  virtual absl::Status UpdateTrial(const core::Trial& trial) = 0;
  virtual absl::StatusOr<core::Trial> GetTrial(const std::string& ns, const std::string& name) = 0;
  // In creation order.
  virtual absl::StatusOr<std::vector<core::Trial>> ListTrials(const std::string& ns,
                                                              const std::string& experiment) = 0;

  // Katib's DBManager semantics: logs with an empty time_stamp are skipped; one transaction
  // per call. Observation logs are keyed by trial name only, like Katib's table.
  virtual absl::Status ReportObservationLog(const std::string& trial_name,
                                            const std::vector<core::MetricLog>& logs) = 0;
  // Ordered by time, then insertion order. Times come back as RFC3339 UTC with microseconds.
  virtual absl::StatusOr<std::vector<core::MetricLog>> GetObservationLog(
      const ObservationQuery& query) = 0;
  virtual absl::Status DeleteObservationLog(const std::string& trial_name) = 0;

  // Opaque per-experiment state of the suggestion algorithm (e.g. settings it returned).
  virtual absl::Status PutSuggestionState(const std::string& ns, const std::string& experiment,
                                          const std::string& state) = 0;
  // NotFound when none was stored.
  virtual absl::StatusOr<std::string> GetSuggestionState(const std::string& ns,
                                                         const std::string& experiment) = 0;
};

// Opens a store from a location: a plain path or `sqlite://PATH` is a SQLite file (created if
// missing, WAL mode, schema migrated). Unsupported schemes: InvalidArgument listing the
// supported ones.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& location);

}  // namespace ktune::db
