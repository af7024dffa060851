#pragma once
// `ktune webhook`: the HTTPS server in front of the admission handlers (admission.h).
//
// Routes: POST /validate-experiment, /mutate-experiment, /mutate-pod (AdmissionReview
// admission.k8s.io/v1 in and out), GET /healthz and /readyz (200 "ok" while serving).
//
// An HttpServer (http_server.h) with TLS: the serving certificate is reloaded when its files
// change, connections and bodies are bounded as ServerLimits says.
//
// Thread safety: Start, Stop, Wait and port may be called from any thread; requests are
// served on an internal thread pool (ServerLimits).

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/validation.h"
#include "webhook/admission.h"
#include "webhook/http_server.h"
#include "webhook/pod_mutation.h"

namespace ktune::webhook {

// Limits on what clients can hold of the server (http_server.h), under the webhook's name.
using ServerLimits = http::ServerLimits;

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
