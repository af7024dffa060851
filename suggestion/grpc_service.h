#pragma once
// Katib's gRPC Suggestion service (api.proto: GetSuggestions, ValidateAlgorithmSettings) over
// the algorithm plugins of an AlgorithmRegistry, and a server that runs it with the gRPC health
// service: what `ktune suggestion` serves and Katib's controller calls in place of its
// per-experiment suggestion pods.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/api.grpc.pb.h"
#include "core/mutex.h"
#include "grpcpp/server.h"
#include "suggestion/registry.h"

namespace ktune {
class WorkerPool;
}  // namespace ktune

namespace ktune::suggestion {

// One plugin instance per experiment, keyed by the experiment's name. Katib sends the whole
// trial history on every call; the service diffs it against what the instance has been sent
// (TrialDelta), so the plugin gets the full history on its first call and afterwards only the
// trials that are new or whose status changed (ktune_algorithm.h, "Instances and history").
// Trials an algorithm never learns from (IsSentToAlgorithm) are never sent.
//
// A fresh instance, sent the full history, is made when:
//   - the service has none for the experiment (first call, after a restart of the service, or
//     after the experiment was evicted, see below);
//   - the experiment's spec changed: another algorithm name, other parameters, objective or
//     NAS config, or other algorithm settings. Settings that the plugin itself returned in a
//     reply (GetSuggestionsReply.algorithm, which Katib merges into the next request's
//     settings) are the plugin's own and do not count;
//   - total_request_number went back below the last successful call's (the experiment was
//     deleted and re-created under the same name: Katib's count only ever grows). A deleted
//     trial alone does not count: Katib drops MetricsUnavailable trials from its requests, and
//     the ABI has no removal, so the instance keeps what it was last sent;
//   - the previous call ended Cancelled or DeadlineExceeded (the instance's state is
//     unspecified then, as in the in-process adapter).
// A plugin's save_state is not used: the service keeps nothing across its own restarts; the
// next request's history rebuilds the instance.
//
// Bounded memory: at most Options::max_experiments instances are kept. Beyond that the least
// recently used experiment that has no call in flight is evicted (its instance destroyed);
// its next request rebuilds it from the history it carries, as after a restart.
//
// Deadlines and cancellation: the call's gRPC deadline and the client's cancellation reach
// the plugin as CallOptions (ABI 1.1 plugins see them through the host table).
//
// Threads and memory: gRPC's callback API; each GetSuggestions runs on a worker thread of the
// service (one per call in flight, created on demand up to Options::max_threads and kept for
// reuse), so a long plugin call never holds a gRPC thread. Requests are parsed into a
// protobuf arena: Katib's history (thousands of trials in every request) costs no per-field
// allocation.
//
// Errors: INVALID_ARGUMENT with a message for a malformed request (no experiment name, no
// algorithm name, an unknown algorithm (listing the available ones), one this service does
// not serve, no parameters, a current_request_number that is not in 1..max_request_number, a
// total_request_number below it, a trial without a name, a trial sent to the plugin whose
// assignments do not name each parameter exactly once, or give a double or int parameter a
// value that is not a finite number) and for bad settings (the plugin's message, prefixed with the
// algorithm name); the plugin's own code otherwise; UNAVAILABLE once Shutdown began. Never
// crashes on a malformed request.
//
// Thread-safe: calls for different experiments run concurrently; calls for one experiment
// are serialized. `registry` is borrowed and must outlive the service.
class SuggestionGrpcService final : public api::v1::beta1::Suggestion::CallbackService {
 public:
  struct Options {
    // The algorithm served ("random"), or "all" (or empty) for every algorithm the registry
    // has.
    std::string algorithm = "all";
    // Experiments whose instance is kept (at least 1).
    size_t max_experiments = 1000;
    // The largest current_request_number accepted in one call.
    int32_t max_request_number = 10000;
    // Threads a plugin may keep busy per call (ktune_host_v1.thread_budget); 0: the machine's
    // hardware threads.
    uint32_t thread_budget = 0;
    // GetSuggestions calls that run at once; more wait for a worker.
    size_t max_threads = 256;
  };

  // InvalidArgument listing the available algorithms when options.algorithm is not "all" and
  // the registry has no such algorithm.
  static absl::StatusOr<std::unique_ptr<SuggestionGrpcService>> Create(
      const AlgorithmRegistry& registry, Options options);
  ~SuggestionGrpcService() override;

  grpc::ServerUnaryReactor* GetSuggestions(grpc::CallbackServerContext* context,
                                           const api::v1::beta1::GetSuggestionsRequest* request,
                                           api::v1::beta1::GetSuggestionsReply* reply) override;
  grpc::ServerUnaryReactor* ValidateAlgorithmSettings(
      grpc::CallbackServerContext* context,
      const api::v1::beta1::ValidateAlgorithmSettingsRequest* request,
      api::v1::beta1::ValidateAlgorithmSettingsReply* reply) override;

  // The algorithms served, sorted.
  std::vector<std::string> AlgorithmNames() const;
  // Experiments that have an instance now.
  size_t experiments() const;
  // Cancels the calls in flight and refuses new ones with UNAVAILABLE (for a server's
  // shutdown). Idempotent.
  void CancelAll();

 private:
  struct Session;
  class Reactor;
  class ArenaAllocator;
  SuggestionGrpcService(const AlgorithmRegistry& registry, Options options);

  // The plugin serving `name`, or INVALID_ARGUMENT.
  absl::StatusOr<const AlgorithmPlugin*> Served(const std::string& name) const;
  absl::StatusOr<const AlgorithmPlugin*> CheckExperiment(
      const api::v1::beta1::Experiment& experiment) const;
  absl::Status Suggest(const api::v1::beta1::GetSuggestionsRequest& request,
                       const CallOptions& options, api::v1::beta1::GetSuggestionsReply* reply);
  std::shared_ptr<Session> Acquire(const std::string& experiment);
  void Release(const std::shared_ptr<Session>& session);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const AlgorithmRegistry& registry_;
  const Options options_;
  const HostInfo host_;

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // experiment names, most recent first

  // The GetSuggestions calls in flight, for CancelAll.
  Mutex calls_mu_;
  absl::flat_hash_set<Reactor*> calls_ ABSL_GUARDED_BY(calls_mu_);
  bool shutting_down_ ABSL_GUARDED_BY(calls_mu_) = false;

  std::unique_ptr<ArenaAllocator> allocator_;
  std::unique_ptr<WorkerPool> pool_;  // destroyed first: joins the workers
};

// A gRPC server with SuggestionGrpcService and the gRPC health service (grpc.health.v1
// Health/Check): SERVING for "manager.v1beta1.Suggestion" (the name Katib's probe asks for)
// and for "", NOT_FOUND for any other name, NOT_SERVING for both once shutdown began.
// Plaintext (Katib's suggestion services are). Thread-safe.
class SuggestionServer {
 public:
  struct Options {
    // Where to listen: a host name or address; servers listen on loopback unless told
    // otherwise ("0.0.0.0" or "::" for every interface).
    std::string address = "127.0.0.1";
    int port = 6789;  // 0: a free port
    // The largest request accepted (Katib's history grows with the trials: about 200 bytes
    // per trial of 6 parameters).
    int max_message_bytes = 64 << 20;
    SuggestionGrpcService::Options service;
  };

  // Builds the service and listens. InvalidArgument for an unknown algorithm (as
  // SuggestionGrpcService::Create), Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<SuggestionServer>> Start(const AlgorithmRegistry& registry,
                                                                 Options options);
  // Shuts down unless Shutdown was called.
  ~SuggestionServer();

  // "127.0.0.1:6789" (an IPv6 address in brackets): where clients connect.
  const std::string& target() const { return target_; }
  int port() const { return port_; }
  SuggestionGrpcService& service() { return *service_; }

  // Health NOT_SERVING, the calls in flight cancelled (their plugins told through
  // CallOptions) and new ones refused; then stops listening, closing client connections once
  // `grace` has passed, and returns when the calls in flight have returned. Idempotent.
  void Shutdown(absl::Duration grace = absl::ZeroDuration());
  // Blocks until Shutdown has run (from another thread).
  void Wait();

 private:
  SuggestionServer() = default;

  std::unique_ptr<SuggestionGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string target_;
  int port_ = 0;
  Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// The health service name Katib's suggestion probe checks (KATIB.md §0).
inline constexpr char kSuggestionHealthService[] = "manager.v1beta1.Suggestion";

}  // namespace ktune::suggestion
