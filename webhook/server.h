#pragma once
// `ktune webhook`: the HTTPS server in front of the admission handlers (admission.h).
//
// Routes: POST /validate-experiment, /mutate-experiment, /mutate-pod (AdmissionReview
// admission.k8s.io/v1 in and out), GET /healthz and /readyz (200 "ok" while serving).
//
// The serving certificate is reloaded when its files change: every TLS handshake checks the
// files' identity (inode, size, mtime) and, when either changed, loads the new pair. A pair
// that cannot be loaded or does not match (a half-finished rotation) is logged and the
// previous pair keeps serving until the files change again. Kubernetes Secret volumes
// (symlink swaps) and `ktune webhook certs` (rename into place) both rotate this way.
//
// Thread safety: Start, Stop, Wait and port may be called from any thread; requests are
// served on an internal thread pool (ServerLimits).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/validation.h"
#include "webhook/admission.h"
#include "webhook/pod_mutation.h"

namespace ktune::webhook {

// What one client can hold of the server. A connection's reads and writes each time out
// (a client that stalls mid-request, a slowloris, is dropped after read_timeout without a
// response); an idle keep-alive connection is closed after keep_alive_timeout (whole
// seconds, at least 1) or after keep_alive_max_requests requests. At most max_connections
// connections are accepted and not finished (worker_threads of them being served, the rest
// waiting); one more is closed at once, before its TLS handshake, so a flood costs neither
// memory nor a place in a queue. Bodies over 3.5 MiB (the API server's 3 MiB plus slack)
// get HTTP 413.
struct ServerLimits {
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  size_t keep_alive_max_requests = 100;
  size_t worker_threads = 8;    // at least 1
  size_t max_connections = 64;  // at least 1; counts the connections being served
};

struct WebhookServerOptions {
  std::string cert_file;  // PEM: the serving certificate, then any intermediates
  std::string key_file;   // PEM private key matching the certificate
  std::string host = "0.0.0.0";
  int port = 8443;  // 0: pick a free port (see WebhookServer::port)
  core::ValidationOptions validation;
  InjectionConfig injection;
  // Borrowed, must outlive the server; null: no pod has a Trial owner (no cluster).
  TrialResolver* trial_resolver = nullptr;
  ServerLimits limits;
};

class WebhookServer {
 public:
  // Loads the certificate pair. Errors: FailedPrecondition naming the file and the reason when
  // the certificate or key is missing, unreadable, not PEM or the two do not match
  // (configuration that can never work: the caller should exit).
  static absl::StatusOr<std::unique_ptr<WebhookServer>> Create(WebhookServerOptions options);

  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;
  ~WebhookServer();  // Stop()s

  // Binds host:port and serves on background threads; returns once connections are accepted.
  // Errors: FailedPrecondition when the address cannot be bound (in use, not permitted) or
  // the server was already started.
  absl::Status Start();

  // The bound port after Start (the chosen one when options.port was 0), else 0.
  int port() const;

  // Stops accepting, finishes in-flight requests' threads and returns. Idempotent.
  void Stop();

  // Blocks until the server stops (Stop from another thread, or a fatal accept error).
  void Wait();

 private:
  class Impl;
  explicit WebhookServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ktune::webhook
