#pragma once
// ApiServer: the Kubernetes-style REST API of `ktune server` (issue 9, shared/SERVER.md), as
// HTTP handlers installed on an httplib server (http::HttpServer hosts them, plain or TLS).
//
// What it serves:
//   - kubeflow.org/v1beta1 Experiment, Trial and Suggestion, namespaced, the way the real
//     kubectl 1.32 and Katib's Python SDK need them: list (JSON or Table, label and field
//     selectors, resourceVersion), get, watch (`?watch=1`: newline-delimited events, Tables
//     when asked, bookmarks, 410 Gone for a revision older than the store's window), and for
//     experiments create (POST, generateName, dryRun), replace (PUT), patch (merge, JSON
//     patch, server-side apply) and delete, plus the status subresource. Trials and
//     suggestions are written by the controller only: writes to them are 405.
//   - Discovery (/api, /apis, aggregated and legacy), /version, OpenAPI v3 for field
//     validation, read-only core/v1 pods of trials (`kubectl logs`, the SDK's get_job_logs),
//     an empty events list (`kubectl describe`), namespaces.
//   - What Kubernetes has no verb for, under /apis/ktune.dev/v1: a trial's observation log,
//     its output (followed while it runs), validation of a draft experiment, and an event
//     stream of every change (Server-Sent Events) for the UI, with "Observation" events when a
//     running trial reports metrics; the UI's read models of an experiment (trialtable,
//     intermediate, importance) and its stop verb (server/ui_data.h).
//   - /healthz, /readyz, and Prometheus text at /metrics.
//
// Writes go through the same admission as Katib's webhooks (defaults, then Katib's validation
// with Katib's messages; ktune's warnings as `Warning` headers, which kubectl prints) plus what
// makes an experiment impossible to run here (`check_runnable`); denials are 422 Invalid
// Status objects whose message is the webhook's denial and whose causes carry each field path
// with ktune's hint. Spec changes follow Katib's update rules (only the trial budget may
// change); the controller manager picks them up from the store's change feed.
//
// Auth: with a token, every request but /healthz, /readyz and /version needs
// `Authorization: Bearer <token>` (kubectl --token, the SDK's configuration), else 401.
//
// Threads: handlers run on the HTTP server's workers; a watch or a followed log holds its
// worker until the client goes, its timeoutSeconds passes, or Shutdown(). Thread-safe.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "controller/executor.h"
#include "controller/manager.h"
#include "core/validation.h"
#include "db-manager/store.h"

namespace httplib {
class Server;
}

namespace ktune::server {

struct ApiServerOptions {
  // Borrowed; must outlive the ApiServer.
  db::Store* store = nullptr;
  controller::ControllerManager* manager = nullptr;
  // What the admission checks run against (algorithms, collectors, the ConfigMap loader).
  core::ValidationOptions validation;
  // Refuses what cannot run here (a template the local executor cannot run, bad algorithm
  // settings); its message is shown as the denial. Null: nothing more is checked.
  std::function<absl::Status(const core::Experiment&)> check_runnable;
  // The output log file of a trial. Null: no logs served.
  std::function<std::filesystem::path(const controller::TrialRef&)> log_path;
  // Empty: no authentication (loopback use).
  std::string token;
  // The largest list page a client gets when it asks for no limit (0: everything).
  int64_t max_list_items = 0;
  // How long a watch waits for a change before it checks its client (and sends a bookmark
  // when asked for them).
  int watch_slice_ms = 2000;
};

class ApiServer {
 public:
  explicit ApiServer(ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Registers every route on `http`. Call once, before the server starts.
  void Install(httplib::Server& http);

  // Reads what lists are served from (every stored experiment), so that the first list is as
  // fast as the others. Optional; the store's error when it cannot be read.
  absl::Status Prepare();

  // Makes every watch, followed log and event stream end within one watch slice, and /readyz
  // answer 503. Call before stopping the HTTP server. Idempotent.
  void Shutdown();

  // Requests served so far (all routes), for tests and /metrics.
  int64_t requests() const { return requests_.load(); }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int64_t> requests_{0};
};

}  // namespace ktune::server
