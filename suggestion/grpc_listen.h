#pragma once
// StartGrpcServer: how ktune's gRPC servers listen (`ktune suggestion`, `ktune server`):
// plaintext, one address, SO_REUSEPORT off, a bounded request size, and gRPC's default
// health service (grpc.health.v1 Health/Check) answering SERVING for the names given.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"

namespace ktune::suggestion {

struct GrpcListenOptions {
  // A host name or address (IPv6 without brackets); "0.0.0.0" or "::" for every interface.
  std::string address = "127.0.0.1";
  int port = 0;  // 0: a free port
  int max_message_bytes = 64 << 20;
  // Health service names answered SERVING, besides "" (the server as a whole). Any other
  // name: NOT_FOUND. Server::GetHealthCheckService()->Shutdown() turns them all NOT_SERVING.
  std::vector<std::string> health_services;
};

struct GrpcListener {
  std::unique_ptr<grpc::Server> server;
  int port = 0;        // the bound one
  std::string target;  // "127.0.0.1:6789" (an IPv6 address in brackets): where clients connect
};

// Registers `services` (borrowed: they must outlive the server) and starts listening.
// InvalidArgument for a port outside 0..65535, Unavailable when the address cannot be bound.
// Turns gRPC's process-wide default health service on (EnableDefaultHealthCheckService).
absl::StatusOr<GrpcListener> StartGrpcServer(const GrpcListenOptions& options,
                                             const std::vector<grpc::Service*>& services);

}  // namespace ktune::suggestion
