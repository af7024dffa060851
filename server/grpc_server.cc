#include "server/grpc_server.h"

#include <chrono>
#include <utility>

#include "grpcpp/health_check_service_interface.h"
#include "spdlog/spdlog.h"
#include "suggestion/grpc_listen.h"

namespace ktune::server {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    GrpcServerOptions options, const suggestion::AlgorithmRegistry& registry,
    db::ObservationStore& store, ReportListener on_report) {
  absl::StatusOr<std::unique_ptr<suggestion::SuggestionGrpcService>> suggestion =
      suggestion::SuggestionGrpcService::Create(registry, options.suggestion);
  if (!suggestion.ok()) return suggestion.status();
  std::unique_ptr<GrpcServer> server(new GrpcServer());
  server->suggestion_ = *std::move(suggestion);
  server->db_manager_ =
      std::make_unique<db::DbManagerGrpcService>(store, std::move(on_report), options.db_manager);

  suggestion::GrpcListenOptions listen;
  listen.address = options.address;
  listen.port = options.port;
  listen.max_message_bytes = options.max_message_bytes;
  listen.health_services = {db::kDbManagerHealthService, suggestion::kSuggestionHealthService};
  absl::StatusOr<suggestion::GrpcListener> listener =
      suggestion::StartGrpcServer(listen, {server->db_manager_.get(), server->suggestion_.get()});
  if (!listener.ok()) return listener.status();
  server->server_ = std::move(listener->server);
  server->port_ = listener->port;
  server->target_ = std::move(listener->target);
  spdlog::info("gRPC: DBManager and Suggestion ({}) listening on {}",
               options.suggestion.algorithm.empty() ? "all" : options.suggestion.algorithm,
               server->target_);
  return server;
}

GrpcServer::~GrpcServer() {
  Shutdown();
  server_.reset();  // before the services it serves
}

void GrpcServer::Shutdown() {
  {
    MutexLock lock(mu_);
    if (shut_down_ || server_ == nullptr) return;
    shut_down_ = true;
  }
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  suggestion_->CancelAll();
  // No grace: calls still running are cancelled at once; Shutdown returns when they returned.
  server_->Shutdown(std::chrono::system_clock::now());
}

}  // namespace ktune::server
