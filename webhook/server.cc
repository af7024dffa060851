#include "webhook/server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "core/mutex.h"

namespace ktune::webhook {
namespace {

// Largest AdmissionReview accepted: the API server caps a request body at 3 MiB (an UPDATE's
// review carries two objects, each within etcd's 1.5 MiB), plus room for the review itself.
constexpr size_t kMaxBodyBytes = (3u << 20) + (512u << 10);

// Set while the accept thread runs a connection it sheds (BoundedTaskQueue::enqueue): the TLS
// info callback then closes the socket before the handshake reads anything.
thread_local bool t_shedding = false;

void ShedOnHandshakeStart(const SSL* ssl, int where, int) {
  if (t_shedding && (where & SSL_CB_HANDSHAKE_START) != 0) {
    ::shutdown(SSL_get_fd(ssl), SHUT_RDWR);
  }
}

template <class Rep, class Period>
std::pair<time_t, time_t> SecUsec(std::chrono::duration<Rep, Period> d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return {static_cast<time_t>(us / 1'000'000), static_cast<time_t>(us % 1'000'000)};
}

// httplib's connection queue (its own ThreadPool has no bound in 0.11.4): `threads` workers
// and at most `max_connections` connections accepted and not yet finished. A connection over
// the limit is shed on the accept thread: its TLS handshake fails at once (the client sees
// the connection closed) and nothing is queued.
class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(size_t threads, size_t max_connections) : max_connections_(max_connections) {
    for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~BoundedTaskQueue() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    bool shed = false;
    {
      MutexLock lock(mu_);
      if (in_flight_ >= max_connections_) {
        shed = true;
      } else {
        ++in_flight_;
        jobs_.push_back(std::move(fn));
      }
    }
    if (!shed) {
      cv_.Signal();
      return;
    }
    spdlog::warn("webhook: {} connections in progress, closing a new one", max_connections_);
    t_shedding = true;
    fn();  // fails the handshake without reading and closes the socket
    t_shedding = false;
  }

  void shutdown() override {
    {
      MutexLock lock(mu_);
      if (shutdown_) return;
      shutdown_ = true;
    }
    cv_.SignalAll();
    for (std::thread& t : workers_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        MutexLock lock(mu_);
        while (jobs_.empty() && !shutdown_) cv_.Wait(mu_);
        if (jobs_.empty()) return;  // shut down and drained
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
      MutexLock lock(mu_);
      --in_flight_;
    }
  }

  const size_t max_connections_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

std::string OpenSslError() {
  std::string message;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!message.empty()) message += "; ";
    message += buffer;
  }
  return message.empty() ? "unknown OpenSSL error" : message;
}

// A certificate, its chain and its key, immutable once loaded.
class KeyPair {
 public:
  KeyPair() = default;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  ~KeyPair() {
    X509_free(cert_);
    EVP_PKEY_free(key_);
    if (chain_) sk_X509_pop_free(chain_, X509_free);
  }

  static absl::StatusOr<std::shared_ptr<const KeyPair>> Load(const std::string& cert_file,
                                                             const std::string& key_file) {
    auto pair = std::make_shared<KeyPair>();
    ERR_clear_error();
    BIO* bio = BIO_new_file(cert_file.c_str(), "r");
    if (bio == nullptr) {
      return absl::FailedPreconditionError("cannot read TLS certificate " + cert_file + ": " +
                                           std::strerror(errno));
    }
    pair->cert_ = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (pair->cert_ != nullptr) {
      pair->chain_ = sk_X509_new_null();
      while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        sk_X509_push(pair->chain_, extra);
      }
    }
    BIO_free(bio);
    if (pair->cert_ == nullptr) {
      return absl::FailedPreconditionError("TLS certificate " + cert_file +
                                           " holds no PEM certificate: " + OpenSslError());
    }
    ERR_clear_error();  // the end of the chain reads as a "no start line" error

    bio = BIO_new_file(key_file.c_str(), "r");
    if (bio == nullptr) {
      return absl::FailedPreconditionError("cannot read TLS key " + key_file + ": " +
                                           std::strerror(errno));
    }
    pair->key_ = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (pair->key_ == nullptr) {
      return absl::FailedPreconditionError("TLS key " + key_file +
                                           " holds no PEM private key: " + OpenSslError());
    }
    if (X509_check_private_key(pair->cert_, pair->key_) != 1) {
      ERR_clear_error();
      return absl::FailedPreconditionError("TLS key " + key_file +
                                           " does not match the certificate " + cert_file);
    }
    return std::shared_ptr<const KeyPair>(std::move(pair));
  }

  // Installs the pair on one connection (SSL) or on the context (SSL_CTX).
  bool Use(SSL* ssl) const { return SSL_use_cert_and_key(ssl, cert_, key_, chain_, 1) == 1; }
  bool Use(SSL_CTX* ctx) const {
    return SSL_CTX_use_cert_and_key(ctx, cert_, key_, chain_, 1) == 1;
  }

 private:
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  STACK_OF(X509) * chain_ = nullptr;
};

// What identifies a version of a file: a rotation by rename or symlink swap changes the inode,
// an in-place rewrite the size or mtime.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp Stamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, st.st_size,
          int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// Serves the current pair to each handshake, reloading it when the files change.
class CertificateReloader {
 public:
  CertificateReloader(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

  absl::Status LoadInitial() {
    std::pair<FileStamp, FileStamp> stamps = {Stamp(cert_file_), Stamp(key_file_)};
    absl::StatusOr<std::shared_ptr<const KeyPair>> pair = KeyPair::Load(cert_file_, key_file_);
    if (!pair.ok()) return pair.status();
    MutexLock lock(mu_);
    current_ = std::move(*pair);
    seen_ = stamps;
    return absl::OkStatus();
  }

  std::shared_ptr<const KeyPair> Current() {
    std::pair<FileStamp, FileStamp> stamps = {Stamp(cert_file_), Stamp(key_file_)};
    MutexLock lock(mu_);
    if (stamps != seen_) {
      seen_ = stamps;  // a bad pair is reported once, retried when the files change again
      absl::StatusOr<std::shared_ptr<const KeyPair>> pair = KeyPair::Load(cert_file_, key_file_);
      if (pair.ok()) {
        current_ = std::move(*pair);
        spdlog::info("webhook: reloaded TLS certificate {} and key {}", cert_file_, key_file_);
      } else {
        spdlog::error("webhook: keeping the previous TLS certificate: {}",
                      std::string(pair.status().message()));
      }
    }
    return current_;
  }

  // SSL_CTX_set_cert_cb: runs for every handshake before the certificate is chosen.
  static int CertCallback(SSL* ssl, void* arg) {
    std::shared_ptr<const KeyPair> pair = static_cast<CertificateReloader*>(arg)->Current();
    if (!pair->Use(ssl)) {
      spdlog::error("webhook: cannot install the TLS certificate on a connection: {}",
                    OpenSslError());
      return 0;
    }
    return 1;
  }

 private:
  const std::string cert_file_;
  const std::string key_file_;
  Mutex mu_;
  std::shared_ptr<const KeyPair> current_ ABSL_GUARDED_BY(mu_);
  std::pair<FileStamp, FileStamp> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

class WebhookServer::Impl {
 public:
  explicit Impl(WebhookServerOptions options)
      : options_(std::move(options)), reloader_(options_.cert_file, options_.key_file) {
    admission_.validation = options_.validation;
    admission_.injection = options_.injection;
    admission_.trial_resolver = options_.trial_resolver;
  }

  absl::Status Init() {
    if (absl::Status s = reloader_.LoadInitial(); !s.ok()) return s;
    server_ = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
      if (!reloader_.Current()->Use(&ctx)) return false;
      SSL_CTX_set_cert_cb(&ctx, &CertificateReloader::CertCallback, &reloader_);
      SSL_CTX_set_info_callback(&ctx, &ShedOnHandshakeStart);
      return true;
    });
    if (!server_->is_valid()) {
      return absl::InternalError("cannot set up the TLS context: " + OpenSslError());
    }
    server_->set_payload_max_length(kMaxBodyBytes);
    const ServerLimits& limits = options_.limits;
    auto [read_sec, read_usec] = SecUsec(limits.read_timeout);
    server_->set_read_timeout(read_sec, read_usec);
    auto [write_sec, write_usec] = SecUsec(limits.write_timeout);
    server_->set_write_timeout(write_sec, write_usec);
    server_->set_keep_alive_timeout(std::max<time_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(limits.keep_alive_timeout).count()));
    server_->set_keep_alive_max_count(limits.keep_alive_max_requests);
    server_->new_task_queue = [this]() -> httplib::TaskQueue* {
      // Runs inside httplib's accept loop, after it marked itself running.
      {
        MutexLock lock(done_mu_);
        running_ = true;
      }
      done_cv_.SignalAll();
      return new BoundedTaskQueue(std::max<size_t>(1, options_.limits.worker_threads),
                                  std::max<size_t>(1, options_.limits.max_connections));
    };
    // httplib sets SO_REUSEPORT by default, which would let a second server bind the same
    // port and silently take half the connections: only SO_REUSEADDR (fast restarts).
    server_->set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    for (const char* path : {kValidateExperimentPath, kMutateExperimentPath, kMutatePodPath}) {
      server_->Post(path, [this, path](const httplib::Request& req, httplib::Response& res) {
        HttpReply reply = HandleAdmission(path, req.body, admission_);
        res.status = reply.status;
        res.set_content(reply.body, reply.content_type.c_str());
      });
    }
    auto ok = [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    };
    server_->Get("/healthz", ok);
    server_->Get("/readyz", ok);
    server_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
      spdlog::debug("webhook: {} {} -> {}", req.method, req.path, res.status);
    });
    return absl::OkStatus();
  }

  absl::Status Start() {
    MutexLock lock(mu_);
    if (thread_.joinable() || stopped_) {
      return absl::FailedPreconditionError("the webhook server was already started");
    }
    int port = options_.port;
    if (port == 0) {
      port = server_->bind_to_any_port(options_.host);
      if (port < 0) {
        return absl::FailedPreconditionError("cannot bind " + options_.host + " to a free port");
      }
    } else if (!server_->bind_to_port(options_.host, port)) {
      return absl::FailedPreconditionError("cannot listen on " + options_.host + ":" +
                                           std::to_string(port) +
                                           " (address in use or not permitted)");
    }
    port_ = port;
    thread_ = std::thread([this] {
      if (!server_->listen_after_bind()) spdlog::error("webhook: the HTTPS server stopped");
      {
        MutexLock done_lock(done_mu_);
        done_ = true;
      }
      done_cv_.SignalAll();
    });
    // httplib's stop() does nothing before its accept loop runs: wait for the loop to create
    // its task queue (new_task_queue above), or to end.
    bool running = false;
    {
      MutexLock done_lock(done_mu_);
      while (!running_ && !done_) done_cv_.Wait(done_mu_);
      running = running_ && !done_;
    }
    if (!running) {
      thread_.join();
      port_ = 0;
      return absl::InternalError("the HTTPS server on " + options_.host + ":" +
                                 std::to_string(port) + " stopped as it started");
    }
    spdlog::info("webhook: serving HTTPS on {}:{}", options_.host, port_);
    return absl::OkStatus();
  }

  int port() const {
    MutexLock lock(mu_);
    return port_;
  }

  void Stop() {
    MutexLock lock(mu_);
    stopped_ = true;
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
    port_ = 0;
    spdlog::info("webhook: stopped");
  }

  void Wait() {
    {
      MutexLock lock(mu_);
      if (!thread_.joinable()) return;
    }
    MutexLock done_lock(done_mu_);
    while (!done_) done_cv_.Wait(done_mu_);
  }

 private:
  const WebhookServerOptions options_;
  AdmissionOptions admission_;
  CertificateReloader reloader_;
  std::unique_ptr<httplib::SSLServer> server_;

  mutable Mutex mu_;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  Mutex done_mu_;
  CondVar done_cv_;
  bool running_ ABSL_GUARDED_BY(done_mu_) = false;  // the accept loop has started
  bool done_ ABSL_GUARDED_BY(done_mu_) = false;     // the accept loop has ended
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
WebhookServer::~WebhookServer() { impl_->Stop(); }
absl::Status WebhookServer::Start() { return impl_->Start(); }
int WebhookServer::port() const { return impl_->port(); }
void WebhookServer::Stop() { impl_->Stop(); }
void WebhookServer::Wait() { impl_->Wait(); }

}  // namespace ktune::webhook
