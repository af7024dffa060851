#pragma once
// Store: one backend holding both contracts — the controller's objects (ExperimentStore) and
// Katib's observation logs (ObservationStore) — as the embedded default (`ktune run`,
// `ktune server`) has them in one SQLite file. A Kubernetes-mode controller uses an
// ExperimentStore over the API server and an ObservationStore over the DBManager instead.
//
// A combined store's DeleteExperiment also deletes the observation logs of the experiment's
// trials, in the same transaction.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "db-manager/experiment_store.h"
#include "db-manager/observation_store.h"

namespace ktune::db {

class Store : public ExperimentStore, public ObservationStore {};

// Opens a store from a location: a plain path or `sqlite://PATH` is a SQLite file (created if
// missing, WAL mode, schema migrated). Unsupported schemes: InvalidArgument listing the
// supported ones.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& location);

// The file a location names, for callers that put files beside the store (log folders):
// the path of a SQLite location, InvalidArgument for any other (a DSN is not a path).
absl::StatusOr<std::string> StoreFilePath(const std::string& location);

}  // namespace ktune::db
