#pragma once
// ExperimentStore: the controller's object storage — experiments, trials and each experiment's
// suggestion state — with Kubernetes' versioning rules, so that a controller, a REST API and a
// UI can share it without losing each other's writes. Backed by SQL locally (SQLite now,
// MySQL/PostgreSQL later) and by the API server in Kubernetes mode.
//
// Versions. The store keeps one store-wide revision, bumped by every write of any object. Each
// stored object carries the revision of its last write in metadata.resource_version (decimal)
// and, for experiments, metadata.generation, which starts at 1 and is bumped by every write that
// changes the spec. Every read fills both in; every write returns the object as stored.
//
// Compare-and-swap. A write whose object has a non-empty metadata.resource_version succeeds
// only if that is still the stored one; otherwise it returns Aborted ("the object has been
// modified; please apply your changes to the latest version and try again", as Kubernetes'
// 409 Conflict) and changes nothing. An empty resource_version writes unconditionally.
//
// Spec and status are written separately, as with Kubernetes' status subresource: a spec write
// keeps the stored status, a status write keeps the stored spec, labels and annotations. So a
// controller writing status never overwrites a maxTrialCount that a user changed meanwhile.
//
// No-op writes. An update that would store exactly what is stored (the same spec, labels and
// annotations; the same status) is not a write, as in Kubernetes: it returns the stored object
// with its resource_version unchanged and appends no change, so a controller that writes back
// what it read does not wake itself up. (Its precondition, if any, is still checked.)
//
// Change feed. Every write appends one Change (revision, kind, type, key). ChangesSince(r)
// returns those after r in order; WaitForChanges blocks until there is one (or a timeout), so
// watchers never poll. The store keeps a bounded window of recent changes: asking for a
// revision older than that window is OutOfRange (Kubernetes' 410 Gone: list again, then
// watch from the list's revision). The window survives nothing: after a restart it starts at
// the persisted revision, which never goes backwards.
//
// Thread safety: every implementation is safe to call from several threads at once.
// Errors: NotFound for a missing object, AlreadyExists on a duplicate create, Aborted on a
// failed precondition as above, InvalidArgument for bad input, Unavailable when the backend
// cannot be reached right now and the call did not take effect (retryable, see
// retrying_store.h), ResourceExhausted when it is full, Internal otherwise. A failed call
// changes nothing. tests/unit/db-manager/experiment_store_conformance.h checks this contract
// for every backend.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/experiment.h"

namespace ktune::db {

enum class ObjectKind { kExperiment, kTrial, kSuggestionState };
enum class ChangeType { kAdded, kModified, kDeleted };

struct Change {
  int64_t revision = 0;
  ObjectKind kind = ObjectKind::kExperiment;
  ChangeType type = ChangeType::kModified;
  std::string ns;
  std::string name;        // the object's name (for suggestion state: the experiment's)
  std::string experiment;  // the experiment the object belongs to (itself for experiments)
  // For experiments: the generation after the write (a spec change bumps it).
  int64_t generation = 0;
};

struct ChangeBatch {
  std::vector<Change> changes;  // in revision order
  // Resume from here: the store's revision when read, or, when `limit` cut the batch short,
  // the revision of its last change.
  int64_t revision = 0;
};

// Paging for list calls. `limit` 0 means no limit. `continue_token` is the opaque token a
// previous page returned; pages of one listing are consistent with each other only as far as
// the objects' keys go (a later page may show newer versions), as Kubernetes' lists.
struct ListOptions {
  std::string ns;  // empty: every namespace
  int64_t limit = 0;
  std::string continue_token;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string continue_token;  // empty on the last page
  int64_t revision = 0;        // the store's revision when the first page was read
};

// A trial without its rendered runSpec (the largest part of a stored trial): what lists,
// the UI's tables and the suggestion history need.
struct TrialSummary {
  core::ObjectMeta metadata;
  std::vector<core::ParameterAssignment> parameter_assignments;
  core::ObjectiveSpec objective;
  core::TrialStatus status;
};

class ExperimentStore {
 public:
  virtual ~ExperimentStore() = default;

  // ---- experiments, keyed by (namespace, name) ----
  // Stores a new experiment (its status too) with generation 1, a fresh uid when it has none
  // and creationTimestamp now when it has none.
  virtual absl::StatusOr<core::Experiment> CreateExperiment(const core::Experiment& e) = 0;
  // Replaces labels, annotations and spec; keeps the stored status. Bumps generation when the
  // spec differs from the stored one.
  virtual absl::StatusOr<core::Experiment> UpdateExperimentSpec(const core::Experiment& e) = 0;
  // Replaces the status; keeps everything else as stored.
  virtual absl::StatusOr<core::Experiment> UpdateExperimentStatus(const core::Experiment& e) = 0;
  virtual absl::StatusOr<core::Experiment> GetExperiment(const std::string& ns,
                                                         const std::string& name) = 0;
  // Ordered by (namespace, name).
  virtual absl::StatusOr<Page<core::Experiment>> ListExperiments(const ListOptions& options) = 0;
  // Deletes the experiment, its trials and its suggestion state (one Deleted change each).
  // A combined Store (store.h) deletes the trials' observation logs too.
  virtual absl::Status DeleteExperiment(const std::string& ns, const std::string& name) = 0;

  // ---- trials, keyed by (namespace, name); each belongs to the experiment named by its
  // `katib.kubeflow.org/experiment` label ----
  // NotFound when that experiment does not exist.
  virtual absl::StatusOr<core::Trial> CreateTrial(const core::Trial& t) = 0;
  // Replaces the status; keeps everything else as stored.
  virtual absl::StatusOr<core::Trial> UpdateTrialStatus(const core::Trial& t) = 0;
  virtual absl::StatusOr<core::Trial> GetTrial(const std::string& ns, const std::string& name) = 0;
  // Every trial of the experiment, in creation order, with its runSpec.
  virtual absl::StatusOr<std::vector<core::Trial>> ListTrials(const std::string& ns,
                                                              const std::string& experiment) = 0;
  // The experiment's trials in creation order without their runSpecs, paged (options.ns is
  // ignored: the namespace is `ns`). Does not decode any rendered template.
  virtual absl::StatusOr<Page<TrialSummary>> ListTrialSummaries(const std::string& ns,
                                                                const std::string& experiment,
                                                                const ListOptions& options) = 0;

  // ---- the suggestion algorithm's opaque per-experiment state ----
  virtual absl::Status PutSuggestionState(const std::string& ns, const std::string& experiment,
                                          const std::string& state) = 0;
  // NotFound when none was stored.
  virtual absl::StatusOr<std::string> GetSuggestionState(const std::string& ns,
                                                         const std::string& experiment) = 0;

  // ---- change feed ----
  // The store-wide revision now.
  virtual absl::StatusOr<int64_t> Revision() = 0;
  // Changes with revision > `revision`, at most `limit` (0: all; negative: InvalidArgument), in
  // order. OutOfRange when `revision` is older than the retained window (the caller lists
  // again); empty when `revision` is the current one (or later).
  virtual absl::StatusOr<ChangeBatch> ChangesSince(int64_t revision, int64_t limit = 0) = 0;
  // Blocks until the store's revision is above `revision` or `timeout` passes; returns the
  // revision then (InfiniteDuration: no timeout). Any thread; woken by writes made through
  // this store object.
  virtual int64_t WaitForChanges(int64_t revision, absl::Duration timeout) = 0;
};

}  // namespace ktune::db
