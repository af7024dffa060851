#pragma once
// The gRPC endpoint of `ktune server` (--grpc-port): Katib's DBManager and Suggestion
// services and the gRPC health service on one port, so Katib's SDK (`report_metrics`,
// `get_trial_metrics`), metrics collectors and a Katib controller can talk to it.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "db-manager/grpc_service.h"
#include "db-manager/observation_store.h"
#include "grpcpp/server.h"
#include "suggestion/grpc_service.h"
#include "suggestion/registry.h"

namespace ktune::server {

struct GrpcServerOptions {
  // A host name or address; loopback unless told otherwise ("0.0.0.0" or "::" for every
  // interface).
  std::string address = "127.0.0.1";
  int port = 6789;  // 0: a free port
  // The largest request accepted (a Katib GetSuggestions request carries the whole history).
  int max_message_bytes = 64 << 20;
  // The Suggestion service's settings; its algorithm is "all" (every algorithm of the
  // registry) unless set.
  suggestion::SuggestionGrpcService::Options suggestion;
  db::DbManagerGrpcService::Options db_manager;
};

// One grpc::Server, plaintext, serving:
//   - api.v1.beta1.DBManager over `store` (db-manager/grpc_service.h); `on_report(trial)`
//     runs after each report that stored logs (the server wakes the trial's controller);
//   - api.v1.beta1.Suggestion over `registry` (suggestion/grpc_service.h);
//   - grpc.health.v1 Health/Check: SERVING for "", "manager.v1beta1.DBManager" and
//     "manager.v1beta1.Suggestion", NOT_FOUND for other names, NOT_SERVING once Shutdown
//     began.
// Thread-safe. `registry` and `store` are borrowed and must outlive the server.
class GrpcServer {
 public:
  using ReportListener = db::DbManagerGrpcService::ReportListener;

  // Builds the services and listens. InvalidArgument for a port outside 0..65535 or an
  // unknown options.suggestion.algorithm, Unavailable when the address cannot be bound (in
  // use: gRPC's port sharing is off, so a second server on the port fails here).
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      GrpcServerOptions options, const suggestion::AlgorithmRegistry& registry,
      db::ObservationStore& store, ReportListener on_report);
  // Shutdown().
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const { return port_; }  // the bound one
  // "127.0.0.1:6789" (an IPv6 address in brackets): where clients connect.
  const std::string& target() const { return target_; }

  // Health NOT_SERVING first, then GetSuggestions calls in flight cancelled (their plugins
  // told) and new calls refused; stops listening and returns once the calls in flight have
  // returned (a DBManager call finishes its store call). Idempotent.
  void Shutdown();

 private:
  GrpcServer() = default;

  std::unique_ptr<db::DbManagerGrpcService> db_manager_;
  std::unique_ptr<suggestion::SuggestionGrpcService> suggestion_;
  std::unique_ptr<grpc::Server> server_;  // reset before the services it serves
  int port_ = 0;
  std::string target_;
  Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ktune::server
