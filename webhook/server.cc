#include "webhook/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <utility>

namespace ktune::webhook {

class WebhookServer::Impl {
 public:
  explicit Impl(WebhookServerOptions options) : options_(std::move(options)) {
    admission_.validation = options_.validation;
    admission_.injection = options_.injection;
    admission_.trial_resolver = options_.trial_resolver;
  }

  absl::Status Init() {
    http::HttpServerOptions http;
    http.host = options_.host;
    http.port = options_.port;
    http.cert_file = options_.cert_file;
    http.key_file = options_.key_file;
    http.limits = options_.limits;
    http.log_name = "webhook";
    absl::StatusOr<std::unique_ptr<http::HttpServer>> server =
        http::HttpServer::Create(std::move(http), [this](httplib::Server& server) {
          for (const char* path :
               {kValidateExperimentPath, kMutateExperimentPath, kMutatePodPath}) {
            server.Post(path, [this, path](const httplib::Request& req, httplib::Response& res) {
              HttpReply reply = HandleAdmission(path, req.body, admission_);
              res.status = reply.status;
              res.set_content(reply.body, reply.content_type.c_str());
            });
          }
          auto ok = [](const httplib::Request&, httplib::Response& res) {
            res.set_content("ok\n", "text/plain");
          };
          server.Get("/healthz", ok);
          server.Get("/readyz", ok);
        });
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    return absl::OkStatus();
  }

  http::HttpServer& server() { return *server_; }

 private:
  const WebhookServerOptions options_;
  AdmissionOptions admission_;
  std::unique_ptr<http::HttpServer> server_;
};

absl::StatusOr<std::unique_ptr<WebhookServer>> WebhookServer::Create(WebhookServerOptions options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::FailedPreconditionError("the webhook needs --tls-cert and --tls-key");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<WebhookServer>(new WebhookServer(std::move(impl)));
}

WebhookServer::WebhookServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookServer::~WebhookServer() { impl_->server().Stop(); }
absl::Status WebhookServer::Start() { return impl_->server().Start(); }
int WebhookServer::port() const { return impl_->server().port(); }
void WebhookServer::Stop() { impl_->server().Stop(); }
void WebhookServer::Wait() { impl_->server().Wait(); }

}  // namespace ktune::webhook
