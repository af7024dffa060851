#include "suggestion/grpc_listen.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace ktune::suggestion {

absl::StatusOr<GrpcListener> StartGrpcServer(const GrpcListenOptions& options,
                                             const std::vector<grpc::Service*>& services) {
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", options.port, " is not between 0 and 65535"));
  }
  // A process-wide switch read by ServerBuilder; every server of this process then has the
  // default health service (grpc.health.v1), which answers NOT_FOUND for unknown names.
  grpc::EnableDefaultHealthCheckService(true);
  const std::string host = options.address.find(':') != std::string::npos
                               ? absl::StrCat("[", options.address, "]")
                               : options.address;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::StrCat(host, ":", options.port), grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // gRPC shares ports between servers by default (SO_REUSEPORT): a second server on the same
  // port would silently split the traffic (and the experiments' state with it).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  for (grpc::Service* service : services) builder.RegisterService(service);
  GrpcListener listener;
  listener.server = builder.BuildAndStart();
  if (listener.server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", options.port,
                     " (address in use, or not an address of this machine)"));
  }
  listener.port = port;
  listener.target = absl::StrCat(host, ":", port);
  if (grpc::HealthCheckServiceInterface* health = listener.server->GetHealthCheckService()) {
    for (const std::string& name : options.health_services) health->SetServingStatus(name, true);
    health->SetServingStatus("", true);
  }
  return listener;
}

}  // namespace ktune::suggestion
