#pragma once
// ObservationStore: Katib's DBManager — observation logs keyed by trial name, the three calls
// of api.proto's DBManager service — plus the batched read early stopping and the UI need.
// What the gRPC DBManager service and the metrics-collector sidecar need, and nothing else.
//
// Thread safety and error codes as experiment_store.h. A failed call changes nothing.
// tests/unit/db-manager/observation_store_conformance.h checks the contract per backend.

#include <map>
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

class ObservationStore {
 public:
  virtual ~ObservationStore() = default;

  // Katib's DBManager semantics: logs with an empty time_stamp are skipped; one transaction
  // per call. Observation logs are keyed by trial name only, like Katib's table.
  virtual absl::Status ReportObservationLog(const std::string& trial_name,
                                            const std::vector<core::MetricLog>& logs) = 0;
  // Ordered by time, then insertion order. Times come back as RFC3339 UTC with microseconds.
  virtual absl::StatusOr<std::vector<core::MetricLog>> GetObservationLog(
      const ObservationQuery& query) = 0;
  virtual absl::Status DeleteObservationLog(const std::string& trial_name) = 0;

  // The logs of one metric for many trials at once (e.g. every trial of an experiment), in one
  // query: trial name -> its logs, ordered as GetObservationLog. Trials without logs of that
  // metric are absent from the map.
  virtual absl::StatusOr<std::map<std::string, std::vector<core::MetricLog>>> GetObservationLogs(
      const std::vector<std::string>& trial_names, const std::string& metric_name) = 0;
};

}  // namespace ktune::db
