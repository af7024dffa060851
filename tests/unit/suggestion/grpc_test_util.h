#pragma once
// gRPC client helpers for the Suggestion service tests (unit and e2e): a raw unary call of
// any method with any bytes, and grpc.health.v1 Health/Check without generated code (its two
// messages are one field each: HealthCheckRequest.service = 1, HealthCheckResponse.status = 1).

#include <future>
#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace ktune::suggestion::testing {

struct RawReply {
  grpc::Status status;
  std::string bytes;
};

// Calls `method` ("/package.Service/Method") with `request` as the serialized request.
inline RawReply RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &in, &out,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  RawReply reply;
  reply.status = done.get_future().get();
  if (reply.status.ok()) {
    std::vector<grpc::Slice> slices;
    if (out.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        reply.bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  return reply;
}

// grpc.health.v1 ServingStatus values.
enum class Health { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

struct HealthReply {
  grpc::Status status;
  Health health = Health::kUnknown;
};

inline HealthReply CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& service) {
  std::string request;
  if (!service.empty()) {  // field 1, length-delimited; names here are under 128 bytes
    request += '\x0a';
    request += static_cast<char>(service.size());
    request += service;
  }
  RawReply raw = RawCall(channel, "/grpc.health.v1.Health/Check", request);
  HealthReply reply;
  reply.status = raw.status;
  if (raw.bytes.size() == 2 && raw.bytes[0] == '\x08') {
    reply.health = static_cast<Health>(raw.bytes[1]);
  }
  return reply;
}

}  // namespace ktune::suggestion::testing
