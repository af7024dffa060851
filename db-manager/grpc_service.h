#pragma once
// Katib's gRPC DBManager service (api.proto: ReportObservationLog, GetObservationLog,
// DeleteObservationLog) over an ObservationStore: what Katib's metrics collectors, its SDK
// (`report_metrics`, `get_trial_metrics`) and its controller call, served by `ktune server`.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/api.grpc.pb.h"
#include "db-manager/observation_store.h"

namespace ktune {
class WorkerPool;
}  // namespace ktune

namespace ktune::db {

// Semantics (Katib's db-manager, with its gaps closed):
//   - ReportObservationLog stores the request's metric logs under trial_name in one
//     transaction; logs with an empty time_stamp are skipped (as Katib does). Then, when at
//     least one log was stored, `on_report(trial_name)` runs before the reply is sent, so a
//     client that got OK knows the listener was told.
//   - GetObservationLog returns the logs of trial_name, filtered by metric_name (exact match),
//     start_time and end_time (RFC3339, inclusive; empty: unbounded), ordered by time then
//     insertion; time_stamp as RFC3339 UTC with microseconds, values as reported (strings).
//     A trial with no logs (or one never seen) gives an empty log, not an error.
//   - DeleteObservationLog removes every log of trial_name (none: OK).
// Errors: INVALID_ARGUMENT with a message for an empty trial_name (all three calls) and for
// a time the store cannot parse (a time_stamp, start_time or end_time that is not RFC3339);
// otherwise the store's own code and message (absl and gRPC share the canonical codes:
// NotFound, InvalidArgument, Unavailable for a busy or unreachable database, Internal, ...).
// A failed report stores nothing and does not call on_report.
//
// Threads: store calls block (a locked SQLite file is retried for seconds), so they run on a
// worker pool of the service (up to Options::max_threads at once; more wait), never on a gRPC
// thread. The store's own locking serializes what it must.
//
// Thread-safe. `store` is borrowed and must outlive the service; the grpc::Server serving it
// must be shut down before the service is destroyed (destruction joins the workers).
class DbManagerGrpcService final : public api::v1::beta1::DBManager::CallbackService {
 public:
  // Called with the trial's name after its logs were stored, on a worker thread; must be
  // thread-safe and quick (it delays the reply). May be empty.
  using ReportListener = std::function<void(const std::string& trial_name)>;
  struct Options {
    size_t max_threads = 16;  // store calls that run at once (at least 1)
  };

  explicit DbManagerGrpcService(ObservationStore& store, ReportListener on_report = nullptr);
  DbManagerGrpcService(ObservationStore& store, ReportListener on_report, Options options);
  ~DbManagerGrpcService() override;
  DbManagerGrpcService(const DbManagerGrpcService&) = delete;
  DbManagerGrpcService& operator=(const DbManagerGrpcService&) = delete;

  grpc::ServerUnaryReactor* ReportObservationLog(
      grpc::CallbackServerContext* context,
      const api::v1::beta1::ReportObservationLogRequest* request,
      api::v1::beta1::ReportObservationLogReply* reply) override;
  grpc::ServerUnaryReactor* GetObservationLog(
      grpc::CallbackServerContext* context, const api::v1::beta1::GetObservationLogRequest* request,
      api::v1::beta1::GetObservationLogReply* reply) override;
  grpc::ServerUnaryReactor* DeleteObservationLog(
      grpc::CallbackServerContext* context,
      const api::v1::beta1::DeleteObservationLogRequest* request,
      api::v1::beta1::DeleteObservationLogReply* reply) override;

 private:
  ObservationStore& store_;
  const ReportListener on_report_;
  std::unique_ptr<WorkerPool> pool_;
};

// The health service name of Katib's DBManager (its probes ask for it).
inline constexpr char kDbManagerHealthService[] = "manager.v1beta1.DBManager";

}  // namespace ktune::db
