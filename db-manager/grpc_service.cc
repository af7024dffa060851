#include "db-manager/grpc_service.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/worker_pool.h"
#include "grpcpp/server_context.h"
#include "spdlog/spdlog.h"

namespace ktune::db {
namespace {

namespace api = ::api::v1::beta1;

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status NeedTrialName(const std::string& trial_name, const char* call) {
  if (!trial_name.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(call, ": trial_name is empty"));
}

absl::Status Report(ObservationStore& store, const DbManagerGrpcService::ReportListener& on_report,
                    const api::ReportObservationLogRequest& request) {
  const std::string& trial = request.trial_name();
  if (absl::Status s = NeedTrialName(trial, "ReportObservationLog"); !s.ok()) return s;
  std::vector<core::MetricLog> logs;
  logs.reserve(request.observation_log().metric_logs_size());
  bool stored = false;
  for (const api::MetricLog& log : request.observation_log().metric_logs()) {
    stored = stored || !log.time_stamp().empty();
    logs.push_back(core::MetricLog{log.time_stamp(), log.metric().name(), log.metric().value()});
  }
  if (absl::Status s = store.ReportObservationLog(trial, logs); !s.ok()) return s;
  spdlog::debug("trial {}: {} observation log(s) reported", trial, logs.size());
  if (stored && on_report) on_report(trial);
  return absl::OkStatus();
}

absl::Status Get(ObservationStore& store, const api::GetObservationLogRequest& request,
                 api::GetObservationLogReply* reply) {
  if (absl::Status s = NeedTrialName(request.trial_name(), "GetObservationLog"); !s.ok()) {
    return s;
  }
  ObservationQuery query;
  query.trial_name = request.trial_name();
  query.metric_name = request.metric_name();
  query.start_time = request.start_time();
  query.end_time = request.end_time();
  absl::StatusOr<std::vector<core::MetricLog>> logs = store.GetObservationLog(query);
  if (!logs.ok()) return logs.status();
  api::ObservationLog* out = reply->mutable_observation_log();
  out->mutable_metric_logs()->Reserve(static_cast<int>(logs->size()));
  for (core::MetricLog& log : *logs) {
    api::MetricLog* m = out->add_metric_logs();
    m->set_time_stamp(std::move(log.time_stamp));
    m->mutable_metric()->set_name(std::move(log.name));
    m->mutable_metric()->set_value(std::move(log.value));
  }
  return absl::OkStatus();
}

absl::Status Delete(ObservationStore& store, const api::DeleteObservationLogRequest& request) {
  const std::string& trial = request.trial_name();
  if (absl::Status s = NeedTrialName(trial, "DeleteObservationLog"); !s.ok()) return s;
  return store.DeleteObservationLog(trial);
}

// Runs `call` on the pool and finishes the call's reactor with its status; `reply` is
// cleared on an error. `call` may not throw across here (gRPC boundary).
template <typename Reply, typename Call>
grpc::ServerUnaryReactor* OnPool(WorkerPool& pool, grpc::CallbackServerContext* context,
                                 Reply* reply, const char* name, Call call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // `context`, the request and `reply` live until Finish.
  pool.Run([reactor, reply, name, call = std::move(call)] {
    grpc::Status status;
    try {
      status = ToGrpc(call());
    } catch (const std::exception& e) {
      status = grpc::Status(grpc::INTERNAL, absl::StrCat(name, ": ", e.what()));
    }
    if (!status.ok()) reply->Clear();
    reactor->Finish(status);
  });
  return reactor;
}

}  // namespace

DbManagerGrpcService::DbManagerGrpcService(ObservationStore& store, ReportListener on_report)
    : DbManagerGrpcService(store, std::move(on_report), Options()) {}

DbManagerGrpcService::DbManagerGrpcService(ObservationStore& store, ReportListener on_report,
                                           Options options)
    : store_(store),
      on_report_(std::move(on_report)),
      pool_(std::make_unique<WorkerPool>(options.max_threads)) {}

DbManagerGrpcService::~DbManagerGrpcService() = default;

grpc::ServerUnaryReactor* DbManagerGrpcService::ReportObservationLog(
    grpc::CallbackServerContext* context, const api::ReportObservationLogRequest* request,
    api::ReportObservationLogReply* reply) {
  return OnPool(*pool_, context, reply, "ReportObservationLog",
                [this, request] { return Report(store_, on_report_, *request); });
}

grpc::ServerUnaryReactor* DbManagerGrpcService::GetObservationLog(
    grpc::CallbackServerContext* context, const api::GetObservationLogRequest* request,
    api::GetObservationLogReply* reply) {
  return OnPool(*pool_, context, reply, "GetObservationLog",
                [this, request, reply] { return Get(store_, *request, reply); });
}

grpc::ServerUnaryReactor* DbManagerGrpcService::DeleteObservationLog(
    grpc::CallbackServerContext* context, const api::DeleteObservationLogRequest* request,
    api::DeleteObservationLogReply* reply) {
  return OnPool(*pool_, context, reply, "DeleteObservationLog",
                [this, request] { return Delete(store_, *request); });
}

}  // namespace ktune::db
