#pragma once
// RetryingStore: a Store decorator that retries calls failing with Unavailable, with capped
// exponential backoff, so a database that is briefly locked (SQLite: another process holds the
// write lock past the busy timeout) or briefly unreachable (a network backend) costs time
// instead of an aborted run or a lost metrics batch.
//
//   absl::StatusOr<std::unique_ptr<Store>> sqlite = OpenStore(path);
//   RetryingStore store(**sqlite);  // borrows the backend; it must outlive `store`
//
// What is retried: only Unavailable, the code the Store contract reserves for "the database
// cannot be reached right now". Every other code is returned at once: NotFound, AlreadyExists,
// InvalidArgument and FailedPrecondition are answers, not outages; Aborted (a compare-and-swap
// lost to another writer) is the caller's to resolve: it must read the object again and
// decide what to write, which a blind retry of the same stale write could never succeed at;
// OutOfRange (a change feed revision older than the window) asks the caller to list again;
// ResourceExhausted (a full disk) does not go away by waiting a few seconds; Internal is a bug.
// DeadlineExceeded is not retried either: a backend that times out cannot know whether the call
// committed (see below). When every attempt failed, the last error is returned with its code and
// the message prefixed by "<Method> failed after N attempts: ".
//
// Why retrying is safe: the Store contract says that a failed call changes nothing. Under that
// contract every method can be repeated after an Unavailable failure, including the ones that
// are not idempotent by themselves: ReportObservationLog appends rows (a retry after a failure
// that had stored them would store them twice) and CreateExperiment/CreateTrial would answer a
// spurious AlreadyExists if the failed attempt had in fact created the object. A
// compare-and-swap Update* retried after a failed attempt that had in fact written would get a
// spurious Aborted (its resource_version is then stale), and every write would bump the
// revision twice. The reads, the other writes, DeleteObservationLog and DeleteExperiment
// (NotFound is only spurious if the failed attempt had deleted) rely on it the same way.
//   - SQLite meets the contract: every write is one statement or one BEGIN IMMEDIATE ...
//     COMMIT transaction, which SQLite rolls back when it fails (SqliteStore rolls back a failed
//     COMMIT itself), and BUSY/LOCKED are reported before anything was written.
//   - Precondition for other backends (MySQL, PostgreSQL, a remote DBManager): return
//     Unavailable only when the call is known not to have taken effect (the connection failed
//     before the statement was sent, the server rolled the transaction back, a deadlock
//     victim). A failure whose outcome is unknown (the connection dropped after COMMIT was
//     sent, a client-side timeout) is ambiguous and must be reported with another code, such as
//     DeadlineExceeded or Unknown, which this decorator does not retry; or the backend must make
//     the write idempotent (a request id stored with it) before it may call it Unavailable.
//
// Thread safety: safe to call from several threads at once when `base` is (the Store contract)
// and `policy.sleep` is. A call that is being retried blocks its caller's thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/experiment.h"
#include "db-manager/store.h"

namespace ktune::db {

struct RetryPolicy {
  // Attempts per call, the first included (values below 1 count as 1).
  int max_attempts = 8;
  // The wait before the second attempt; it doubles for each further attempt, capped at
  // `max_backoff`. No jitter: the waits are deterministic, and SQLite's own busy handler
  // already spreads contending writers out within each attempt. The defaults wait
  // 20, 40, ..., 1280 ms: about 2.5 s in all, on top of each attempt's busy timeout.
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{2000};
  // How to wait; null: std::this_thread::sleep_for. Tests inject a recorder.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// The wait before attempt `attempt` + 1 (1-based `attempt`: the one that just failed), as
// RetryingStore computes it: initial_backoff * 2^(attempt-1), capped at max_backoff.
std::chrono::milliseconds RetryBackoff(const RetryPolicy& policy, int attempt);

class RetryingStore : public Store {
 public:
  // Borrows `base`, which must outlive this object.
  explicit RetryingStore(Store& base, RetryPolicy policy = {});
  RetryingStore(const RetryingStore&) = delete;
  RetryingStore& operator=(const RetryingStore&) = delete;

  // ---- ExperimentStore ----
  absl::StatusOr<core::Experiment> CreateExperiment(const core::Experiment& e) override;
  absl::StatusOr<core::Experiment> UpdateExperimentSpec(const core::Experiment& e) override;
  absl::StatusOr<core::Experiment> UpdateExperimentStatus(const core::Experiment& e) override;
  absl::StatusOr<core::Experiment> GetExperiment(const std::string& ns,
                                                 const std::string& name) override;
  absl::StatusOr<Page<core::Experiment>> ListExperiments(const ListOptions& options) override;
  absl::Status DeleteExperiment(const std::string& ns, const std::string& name) override;

  absl::StatusOr<core::Trial> CreateTrial(const core::Trial& t) override;
  absl::StatusOr<core::Trial> UpdateTrialStatus(const core::Trial& t) override;
  absl::StatusOr<core::Trial> GetTrial(const std::string& ns, const std::string& name) override;
  absl::StatusOr<std::vector<core::Trial>> ListTrials(const std::string& ns,
                                                      const std::string& experiment) override;
  absl::StatusOr<Page<TrialSummary>> ListTrialSummaries(const std::string& ns,
                                                        const std::string& experiment,
                                                        const ListOptions& options) override;

  absl::Status PutSuggestionState(const std::string& ns, const std::string& experiment,
                                  const std::string& state) override;
  absl::StatusOr<std::string> GetSuggestionState(const std::string& ns,
                                                 const std::string& experiment) override;

  absl::StatusOr<int64_t> Revision() override;
  // OutOfRange (a window overflow) is an answer, not an outage: not retried.
  absl::StatusOr<ChangeBatch> ChangesSince(int64_t revision, int64_t limit = 0) override;
  // Forwarded as is: it cannot fail.
  int64_t WaitForChanges(int64_t revision, absl::Duration timeout) override;

  // ---- ObservationStore ----
  absl::Status ReportObservationLog(const std::string& trial_name,
                                    const std::vector<core::MetricLog>& logs) override;
  absl::StatusOr<std::vector<core::MetricLog>> GetObservationLog(
      const ObservationQuery& query) override;
  absl::Status DeleteObservationLog(const std::string& trial_name) override;
  absl::StatusOr<std::map<std::string, std::vector<core::MetricLog>>> GetObservationLogs(
      const std::vector<std::string>& trial_names, const std::string& metric_name) override;

 private:
  // Calls `call` until it succeeds, fails with a code that is not retried, or max_attempts is
  // reached. `method` names the Store method in the log and in the final error.
  template <typename Result>
  Result Retry(const char* method, const std::function<Result()>& call);

  void Sleep(std::chrono::milliseconds wait) const;

  Store& base_;
  const RetryPolicy policy_;
};

}  // namespace ktune::db
