#pragma once
// SqliteStore: the embedded `Store` backend, one SQLite file.
//
// The file is opened in WAL mode with foreign keys on and `synchronous=NORMAL` (a crash of
// the process loses nothing; a power loss may lose the last transactions, never corrupts).
// Its schema is versioned in the `schema_version` table and migrated forward when opened.
//
// Thread safety: safe to call from several threads at once; calls are serialized on one
// connection. Several processes may open the same file; a write that cannot get the lock
// within `busy_timeout` fails with Unavailable (retryable: nothing was written).
//
// Errors, by SQLite result: BUSY and LOCKED (another connection holds the lock past
// `busy_timeout`), CANTOPEN, IOERR, READONLY, PERM and PROTOCOL are Unavailable; FULL (the disk
// is full, or `max_size_bytes` was reached) and NOMEM are ResourceExhausted, which waiting does
// not cure; constraint violations are AlreadyExists or NotFound as the Store contract says;
// anything else is Internal. A failed call changes nothing: each write is one statement or one
// transaction, rolled back when it fails.
//
// Layout (version 1): `experiments` and `trials` hold the objects as JSON text (core/codec.h),
// `observation_logs` has Katib's columns (trial_name, id, time, metric_name, value) with time
// as sortable UTC text `YYYY-MM-DD HH:MM:SS.ffffff`, `suggestion_state` holds one blob per
// experiment. A trial refers to an existing experiment (its `katib.kubeflow.org/experiment`
// label); so does suggestion state.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
};

class SqliteStore final : public Store {
 public:
  // The schema version this build writes. Opening a file with a newer version fails with
  // FailedPrecondition.
  static constexpr int kSchemaVersion = 1;

  // Opens or creates the database file at `path` (its directory must exist; ":memory:" gives a
  // private in-memory database) and migrates its schema to kSchemaVersion.
  // Errors: Unavailable when the file cannot be opened or stays locked past the busy timeout,
  // FailedPrecondition when its schema is newer than this build, Internal otherwise.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const SqliteStoreOptions& options = {});

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  absl::Status CreateExperiment(const core::Experiment& experiment) override;
  absl::Status UpdateExperiment(const core::Experiment& experiment) override;
  absl::StatusOr<core::Experiment> GetExperiment(const std::string& ns,
                                                 const std::string& name) override;
  // Ordered by namespace, then name. An empty `ns` lists every namespace.
  absl::StatusOr<std::vector<core::Experiment>> ListExperiments(
      const std::string& ns = "") override;
  absl::Status DeleteExperiment(const std::string& ns, const std::string& name) override;

  // InvalidArgument when the trial has no experiment label, NotFound when that experiment
  // does not exist.
  absl::Status CreateTrial(const core::Trial& trial) override;
  absl::Status UpdateTrial(const core::Trial& trial) override;
  absl::StatusOr<core::Trial> GetTrial(const std::string& ns, const std::string& name) override;
  // An experiment without trials (or one that does not exist) gives an empty list.
  absl::StatusOr<std::vector<core::Trial>> ListTrials(const std::string& ns,
                                                      const std::string& experiment) override;

  absl::Status ReportObservationLog(const std::string& trial_name,
                                    const std::vector<core::MetricLog>& logs) override;
  absl::StatusOr<std::vector<core::MetricLog>> GetObservationLog(
      const ObservationQuery& query) override;
  absl::Status DeleteObservationLog(const std::string& trial_name) override;

  // NotFound when the experiment does not exist.
  absl::Status PutSuggestionState(const std::string& ns, const std::string& experiment,
                                  const std::string& state) override;
  absl::StatusOr<std::string> GetSuggestionState(const std::string& ns,
                                                 const std::string& experiment) override;

 private:
  SqliteStore(sqlite3* db, std::string path);

  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets PRAGMA max_page_count from a size in bytes (SqliteStoreOptions::max_size_bytes).
  absl::Status LimitSize(int64_t max_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when `body` or COMMIT fails.
  // `context` prefixes errors of BEGIN and COMMIT.
  absl::Status InTransaction(const std::string& context, absl::FunctionRef<absl::Status()> body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Executes every statement of `script` in turn (no parameters).
  absl::Status ExecScript(const char* script, const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A cached prepared statement for `sql`, prepared on first use. The caller resets it after use.
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(absl::string_view sql, const std::string& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stored JSON body of the `kind` ("experiment", "trial") keyed (ns, name) that `sql`
  // selects; NotFound naming it when there is none.
  absl::StatusOr<std::string> SelectBody(const char* sql, absl::string_view kind,
                                         const std::string& ns, const std::string& name)
      ABSL_LOCKS_EXCLUDED(mu_);

  const std::string path_;
  Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktune::db
