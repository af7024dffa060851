#pragma once
// SqliteStore: the embedded `Store` backend, one SQLite file. Not public API: callers open it
// through OpenStore (db-manager/store.h); only store.cc and the tests include this header.
//
// The file is opened in WAL mode with foreign keys on and `synchronous=NORMAL` (a crash of
// the process loses nothing; a power loss may lose the last transactions, never corrupts).
// Its schema is versioned in the `schema_version` table and migrated forward when opened; a
// file written by an older build keeps all its data.
//
// Thread safety: safe to call from several threads at once; calls are serialized on one
// connection. Several processes may open the same file; a write that cannot get the lock
// within `busy_timeout` fails with Unavailable (retryable: nothing was written).
//
// Errors, by SQLite result: BUSY and LOCKED (another connection holds the lock past
// `busy_timeout`), CANTOPEN, IOERR, READONLY, PERM and PROTOCOL are Unavailable; FULL (the disk
// is full, or `max_size_bytes` was reached) and NOMEM are ResourceExhausted, which waiting does
// not cure; constraint violations are AlreadyExists or NotFound as the Store contract says;
// anything else is Internal. A failed call changes nothing: each write is one BEGIN IMMEDIATE
// ... COMMIT transaction, rolled back when it fails.
//
// Versions and the change feed (experiment_store.h). The store-wide revision lives in the
// `store_revision` table and is bumped inside each write's transaction, so it is shared by
// every connection to the file and never goes backwards. A write that would change nothing
// (the same spec, labels and annotations; the same status) is not a write: it keeps the
// object's resource_version and appends no change, as Kubernetes skips no-op updates, so a
// controller that writes back what it read does not wake itself up. The window of recent
// changes is kept in memory by each SqliteStore object and holds the writes made through it;
// when it sees that another connection wrote in between (the revision moved by more than its
// own writes), it forgets what it had and restarts after that revision, so ChangesSince never
// skips a change silently: older revisions are OutOfRange.
//
// Layout (version 2):
//   store_revision   one row: the store-wide revision.
//   experiments      (namespace, name) key; uid, creation_timestamp, generation and
//                    resource_version columns; `head` (apiVersion, kind, name, namespace,
//                    labels, annotations), `spec` and `status` as JSON text (core/codec.h).
//   trials           `seq` (creation order), (namespace, name) key, `experiment` (its label);
//                    uid, creation_timestamp, resource_version; `head`, `spec` without the
//                    rendered template, `status`, and the template in `run_spec`, the last
//                    column, so that summaries never read (or decode) it.
//   suggestion_state one blob and a resource_version per experiment.
//   observation_logs Katib's columns (trial_name, id, time, metric_name, value), time as
//                    sortable UTC text `YYYY-MM-DD HH:MM:SS.ffffff`.
// A trial refers to an existing experiment (its `katib.kubeflow.org/experiment` label); so
// does suggestion state. Version 1 (one JSON `body` per object) is migrated to version 2.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/experiment.h"
#include "core/mutex.h"
#include "db-manager/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ktune::db {

struct SqliteStoreOptions {
  // How long a statement waits for another connection's lock before failing with Unavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // Caps the database file at about this many bytes (rounded down to whole pages, at least
  // the pages already in use); 0: no cap beyond SQLite's own. A write past the cap fails with
  // ResourceExhausted, as one on a full disk does. It holds for this connection only.
  int64_t max_size_bytes = 0;
  // How many recent changes ChangesSince can return; older revisions are OutOfRange.
  int64_t change_window = 10000;
};

class SqliteStore final : public Store {
 public:
  // The schema version this build writes. Opening a file with a newer version fails with
  // FailedPrecondition.
  static constexpr int kSchemaVersion = 2;

  // Opens or creates the database file at `path` (its directory must exist; ":memory:" gives a
  // private in-memory database) and migrates its schema to kSchemaVersion.
  // Errors: Unavailable when the file cannot be opened or stays locked past the busy timeout,
  // FailedPrecondition when its schema is newer than this build, Internal otherwise.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const SqliteStoreOptions& options = {});

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // ---- ExperimentStore ----
  // InvalidArgument when namespace or name is empty. A resource_version given to a Create*
  // is ignored (there is nothing to compare it with); one that is not a decimal revision is
  // InvalidArgument on the Update* calls.
  absl::StatusOr<core::Experiment> CreateExperiment(const core::Experiment& e) override;
  absl::StatusOr<core::Experiment> UpdateExperimentSpec(const core::Experiment& e) override;
  absl::StatusOr<core::Experiment> UpdateExperimentStatus(const core::Experiment& e) override;
  absl::StatusOr<core::Experiment> GetExperiment(const std::string& ns,
                                                 const std::string& name) override;
  absl::StatusOr<Page<core::Experiment>> ListExperiments(const ListOptions& options) override;
  absl::Status DeleteExperiment(const std::string& ns, const std::string& name) override;

  // InvalidArgument when the trial has no experiment label, NotFound when that experiment
  // does not exist. Trials get a uid and creationTimestamp as experiments do; their
  // generation is always 1 (a trial's spec is never rewritten).
  absl::StatusOr<core::Trial> CreateTrial(const core::Trial& t) override;
  absl::StatusOr<core::Trial> UpdateTrialStatus(const core::Trial& t) override;
  absl::StatusOr<core::Trial> GetTrial(const std::string& ns, const std::string& name) override;
  // An experiment without trials (or one that does not exist) gives an empty list.
  absl::StatusOr<std::vector<core::Trial>> ListTrials(const std::string& ns,
                                                      const std::string& experiment) override;
  absl::StatusOr<Page<TrialSummary>> ListTrialSummaries(const std::string& ns,
                                                        const std::string& experiment,
                                                        const ListOptions& options) override;

  // NotFound when the experiment does not exist.
  absl::Status PutSuggestionState(const std::string& ns, const std::string& experiment,
                                  const std::string& state) override;
  absl::StatusOr<std::string> GetSuggestionState(const std::string& ns,
                                                 const std::string& experiment) override;

  absl::StatusOr<int64_t> Revision() override;
  absl::StatusOr<ChangeBatch> ChangesSince(int64_t revision, int64_t limit = 0) override;
  int64_t WaitForChanges(int64_t revision, absl::Duration timeout) override;

  // ---- ObservationStore ----
  absl::Status ReportObservationLog(const std::string& trial_name,
                                    const std::vector<core::MetricLog>& logs) override;
  absl::StatusOr<std::vector<core::MetricLog>> GetObservationLog(
      const ObservationQuery& query) override;
  absl::Status DeleteObservationLog(const std::string& trial_name) override;
  // An empty `metric_name` returns every metric. Any number of trial names, in one statement.
  absl::StatusOr<std::map<std::string, std::vector<core::MetricLog>>> GetObservationLogs(
      const std::vector<std::string>& trial_names, const std::string& metric_name) override;

 private:
  SqliteStore(sqlite3* db, std::string path, int64_t change_window);

  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives every experiment and trial without a uid a fresh one (rows migrated from version 1).
  absl::Status BackfillUids(const std::string& context) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets PRAGMA max_page_count from a size in bytes (SqliteStoreOptions::max_size_bytes).
  absl::Status LimitSize(int64_t max_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when `body` or COMMIT fails.
  // `context` prefixes errors of BEGIN and COMMIT.
  absl::Status InTransaction(const std::string& context, absl::FunctionRef<absl::Status()> body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The same as a read transaction (BEGIN DEFERRED), so that several SELECTs see one state.
  absl::Status InReadTransaction(const std::string& context, absl::FunctionRef<absl::Status()> body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Executes every statement of `script` in turn (no parameters).
  absl::Status ExecScript(const char* script, const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A cached prepared statement for `sql`, prepared on first use. The caller resets it after use.
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(absl::string_view sql, const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside a write transaction: adds `count` to the stored revision; returns the first of the
  // `count` revisions this write owns.
  absl::StatusOr<int64_t> BumpRevision(int64_t count, const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> ReadRevision(const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a commit: appends `changes` (consecutive revisions) to the window, wakes waiters.
  void Publish(std::vector<Change> changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_)
      ABSL_LOCKS_EXCLUDED(feed_mu_);
  // Notes that the stored revision is `revision`: if another connection wrote since this
  // object's last known revision, the window restarts there.
  void Observe(int64_t revision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_mu_);
  std::string NewUid() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // A stored row, column by column (defined in the .cc file).
  struct ExperimentRow;
  struct TrialRow;
  // The row of a statement that selected the columns in the order the .cc file lists them.
  static ExperimentRow ReadExperimentRow(sqlite3_stmt* stmt);
  static TrialRow ReadTrialRow(sqlite3_stmt* stmt, bool with_run_spec);
  static absl::StatusOr<core::Experiment> DecodeExperiment(const ExperimentRow& row);
  static absl::StatusOr<core::Trial> DecodeTrial(const TrialRow& row);
  // NotFound naming the object when there is none.
  absl::StatusOr<ExperimentRow> SelectExperiment(const std::string& ns, const std::string& name,
                                                 const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<TrialRow> SelectTrial(const std::string& ns, const std::string& name,
                                       const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // UpdateExperimentStatus and UpdateTrialStatus: checks `meta`'s resource_version as a
  // precondition against the row `select` reads, leaves a status that is already stored alone
  // (no write, no change), else bumps the revision and runs `update_sql` (binding status,
  // resource_version, updated_at, namespace and name), in one transaction, then publishes the
  // Change `change` makes of the row. `row` is the row as stored then. `kind` names the object
  // in messages ("experiment", "trial").
  template <typename Row>
  absl::Status WriteStatus(const char* kind, const core::ObjectMeta& meta,
                           const std::string& status_text, const char* update_sql,
                           absl::FunctionRef<absl::StatusOr<Row>(const std::string&)> select,
                           absl::FunctionRef<Change(const Row&)> change, Row& row)
      ABSL_LOCKS_EXCLUDED(mu_);

  const std::string path_;
  Mutex mu_;  // the connection; taken before feed_mu_
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);

  // The change feed.
  const int64_t change_window_;
  Mutex feed_mu_;
  CondVar feed_cv_;
  // Changes with revisions window_start_+1 .. known_revision_, one per revision.
  std::deque<Change> window_ ABSL_GUARDED_BY(feed_mu_);
  int64_t window_start_ ABSL_GUARDED_BY(feed_mu_) = 0;
  int64_t known_revision_ ABSL_GUARDED_BY(feed_mu_) = 0;
};

}  // namespace ktune::db
