#include "webhook/http_server.h"

#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/mutex.h"

namespace ktune::http {
namespace {

using Clock = std::chrono::steady_clock;

// Set while the accept thread runs a connection it sheds (BoundedTaskQueue::enqueue): the TLS
// info callback then closes the socket before the handshake reads anything, and the plain
// server answers 503 without reading.
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
// the limit is shed on the accept thread (ServerLimits) and nothing is queued.
class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(size_t threads, size_t max_connections, std::string log_name)
      : max_connections_(max_connections), log_name_(std::move(log_name)) {
    for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~BoundedTaskQueue() override { shutdown(); }

  // Called on the accept thread only.
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
    // One line per second at most under a flood.
    ++shed_since_log_;
    const Clock::time_point now = Clock::now();
    if (now - last_log_ >= std::chrono::seconds(1)) {
      spdlog::warn("{}: {} connections in progress, refused {} new one(s)", log_name_,
                   max_connections_, shed_since_log_);
      last_log_ = now;
      shed_since_log_ = 0;
    }
    t_shedding = true;
    fn();  // refuses without reading and closes the socket
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
  const std::string log_name_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
  // The accept thread's own.
  Clock::time_point last_log_{};
  size_t shed_since_log_ = 0;
};

// ---- plain HTTP -----------------------------------------------------------------------------

// poll() for `events` up to `timeout`; false on timeout or error.
bool PollFor(int fd, short events, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd, events, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    const int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 0)));
    if (rc > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A plain TCP connection as an httplib::Stream, with a read buffer kept across the
// connection's requests. httplib's own SocketStream is internal to its library; this one
// also reports "not writable" once the server stops, so a chunked content provider that
// loops on sink.is_writable() ends.
class PlainStream final : public httplib::Stream {
 public:
  PlainStream(int fd, std::chrono::milliseconds read_timeout,
              std::chrono::milliseconds write_timeout, const std::atomic<socket_t>& listener)
      : fd_(fd),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        listener_(listener),
        buffer_(4096) {}

  bool buffered() const { return offset_ < size_; }

  bool is_readable() const override { return buffered() || PollFor(fd_, POLLIN, read_timeout_); }

  bool is_writable() const override {
    return listener_ != INVALID_SOCKET && PollFor(fd_, POLLOUT, write_timeout_) && Alive();
  }

  ssize_t read(char* ptr, size_t size) override {
    if (!buffered()) {
      if (!PollFor(fd_, POLLIN, read_timeout_)) return -1;
      offset_ = size_ = 0;
      ssize_t n;
      do {
        n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      size_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, size_ - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!PollFor(fd_, POLLOUT, write_timeout_)) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(::getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  // The peer has not closed: nothing to read, or something (not EOF) to peek at.
  bool Alive() const {
    if (buffered()) return true;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) return true;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }

  template <typename Get>
  void Address(Get get, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = -1;
    if (get(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(serv);
    }
  }

  const int fd_;
  const std::chrono::milliseconds read_timeout_;
  const std::chrono::milliseconds write_timeout_;
  const std::atomic<socket_t>& listener_;
  std::vector<char> buffer_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

// httplib::Server with its connection loop replaced (process_and_close_socket is its
// per-connection hook): the keep-alive wait ends when the server stops, the read buffer
// lives as long as the connection, and a shed connection gets a 503 without being read.
class PlainServer final : public httplib::Server {
 public:
  explicit PlainServer(const ServerLimits& limits) : limits_(limits) {}

 private:
  bool process_and_close_socket(socket_t sock) override {
    if (t_shedding) {
      RefuseAndClose(sock);
      return true;
    }
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bool ret = false;
    {
      PlainStream stream(sock, limits_.read_timeout, limits_.write_timeout, svr_sock_);
      for (size_t count = keep_alive_max_count_; count > 0 && NextRequest(stream, sock); --count) {
        bool connection_closed = false;
        ret = process_request(stream, /*close_connection=*/count == 1, connection_closed, nullptr);
        if (!ret || connection_closed) break;
      }
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ret;
  }

  // Waits for the next request on a kept-alive connection: false when the client stays
  // silent for keep_alive_timeout, closes, or the server stops (checked every 100 ms).
  bool NextRequest(const PlainStream& stream, int sock) const {
    if (stream.buffered()) return true;
    const Clock::time_point deadline =
        Clock::now() +
        std::max<std::chrono::milliseconds>(limits_.keep_alive_timeout, std::chrono::seconds(1));
    while (svr_sock_ != INVALID_SOCKET) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      if (PollFor(sock, POLLIN, std::min<std::chrono::milliseconds>(left, kStopCheck))) {
        return svr_sock_ != INVALID_SOCKET;
      }
    }
    return false;
  }

  // A connection over the limit, on the accept thread: answer without reading, never block.
  static void RefuseAndClose(int sock) {
    static const std::string response = absl::StrCat(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: ",
        sizeof kTooManyConnectionsBody - 1, "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n",
        kTooManyConnectionsBody);
    // What the client already sent is dropped first: closing with unread data resets the
    // connection, which could discard the answer before the client reads it.
    char sink[4096];
    for (int i = 0; i < 16 && ::recv(sock, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
    [[maybe_unused]] ssize_t sent =
        ::send(sock, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(sock, SHUT_WR);
    for (int i = 0; i < 16 && ::recv(sock, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
    ::close(sock);
  }

  static constexpr std::chrono::milliseconds kStopCheck{100};
  const ServerLimits limits_;
};

// ---- TLS --------------------------------------------------------------------------------------

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
  CertificateReloader(std::string cert_file, std::string key_file, std::string log_name)
      : cert_file_(std::move(cert_file)),
        key_file_(std::move(key_file)),
        log_name_(std::move(log_name)) {}

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
        spdlog::info("{}: reloaded TLS certificate {} and key {}", log_name_, cert_file_,
                     key_file_);
      } else {
        spdlog::error("{}: keeping the previous TLS certificate: {}", log_name_,
                      std::string(pair.status().message()));
      }
    }
    return current_;
  }

  // SSL_CTX_set_cert_cb: runs for every handshake before the certificate is chosen.
  static int CertCallback(SSL* ssl, void* arg) {
    auto* self = static_cast<CertificateReloader*>(arg);
    std::shared_ptr<const KeyPair> pair = self->Current();
    if (!pair->Use(ssl)) {
      spdlog::error("{}: cannot install the TLS certificate on a connection: {}", self->log_name_,
                    OpenSslError());
      return 0;
    }
    return 1;
  }

 private:
  const std::string cert_file_;
  const std::string key_file_;
  const std::string log_name_;
  Mutex mu_;
  std::shared_ptr<const KeyPair> current_ ABSL_GUARDED_BY(mu_);
  std::pair<FileStamp, FileStamp> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options)
      : options_(std::move(options)),
        reloader_(options_.cert_file, options_.key_file, options_.log_name) {}

  bool tls() const { return !options_.cert_file.empty(); }

  absl::Status Init(const std::function<void(httplib::Server&)>& routes) {
    if (tls()) {
      if (absl::Status s = reloader_.LoadInitial(); !s.ok()) return s;
      auto server = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) {
        SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
        if (!reloader_.Current()->Use(&ctx)) return false;
        SSL_CTX_set_cert_cb(&ctx, &CertificateReloader::CertCallback, &reloader_);
        SSL_CTX_set_info_callback(&ctx, &ShedOnHandshakeStart);
        return true;
      });
      if (!server->is_valid()) {
        return absl::InternalError("cannot set up the TLS context: " + OpenSslError());
      }
      server_ = std::move(server);
    } else {
      server_ = std::make_unique<PlainServer>(options_.limits);
    }
    const ServerLimits& limits = options_.limits;
    server_->set_payload_max_length(limits.max_body_bytes);
    auto [read_sec, read_usec] = SecUsec(limits.read_timeout);
    server_->set_read_timeout(read_sec, read_usec);
    auto [write_sec, write_usec] = SecUsec(limits.write_timeout);
    server_->set_write_timeout(write_sec, write_usec);
    server_->set_keep_alive_timeout(std::max<time_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(limits.keep_alive_timeout).count()));
    server_->set_keep_alive_max_count(std::max<size_t>(1, limits.keep_alive_max_requests));
    server_->set_tcp_nodelay(true);
    server_->new_task_queue = [this]() -> httplib::TaskQueue* {
      // Runs inside httplib's accept loop, after it marked itself running.
      {
        MutexLock lock(done_mu_);
        running_ = true;
      }
      done_cv_.SignalAll();
      return new BoundedTaskQueue(std::max<size_t>(1, options_.limits.worker_threads),
                                  std::max<size_t>(1, options_.limits.max_connections),
                                  options_.log_name);
    };
    // httplib sets SO_REUSEPORT by default, which would let a second server bind the same
    // port and silently take half the connections: only SO_REUSEADDR (fast restarts).
    server_->set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_->set_logger(
        [log_name = options_.log_name](const httplib::Request& req, const httplib::Response& res) {
          spdlog::debug("{}: {} {} -> {}", log_name, req.method, req.path, res.status);
        });
    server_->set_exception_handler([log_name = options_.log_name](const httplib::Request& req,
                                                                  httplib::Response& res,
                                                                  std::exception_ptr error) {
      std::string what = "unknown exception";
      try {
        if (error) std::rethrow_exception(error);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      spdlog::error("{}: {} {}: the handler threw: {}", log_name, req.method, req.path, what);
      res.status = 500;
      res.set_content("internal server error\n", "text/plain");
    });
    if (routes) routes(*server_);
    return absl::OkStatus();
  }

  absl::Status Start() {
    MutexLock lock(mu_);
    if (thread_.joinable() || stopped_) {
      return absl::FailedPreconditionError(
          absl::StrCat("the ", options_.log_name, " server was already started"));
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
    {
      MutexLock done_lock(done_mu_);
      started_ = true;
    }
    thread_ = std::thread([this] {
      if (!server_->listen_after_bind()) {
        spdlog::error("{}: the {} server stopped", options_.log_name, tls() ? "HTTPS" : "HTTP");
      }
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
      return absl::InternalError(absl::StrCat("the ", tls() ? "HTTPS" : "HTTP", " server on ",
                                              options_.host, ":", port, " stopped as it started"));
    }
    port_ = port;
    spdlog::info("{}: serving {} on {}:{}", options_.log_name, tls() ? "HTTPS" : "HTTP",
                 options_.host, port);
    return absl::OkStatus();
  }

  int port() const { return port_; }
  bool stopping() const { return stopping_; }

  void Stop() {
    MutexLock lock(mu_);
    stopped_ = true;
    if (!thread_.joinable()) return;
    stopping_ = true;
    server_->stop();  // closes the listening socket; the accept loop then joins the workers
    if (options_.on_stop) options_.on_stop();
    thread_.join();
    port_ = 0;
    spdlog::info("{}: stopped", options_.log_name);
  }

  void Wait() {
    MutexLock done_lock(done_mu_);
    if (!started_) return;
    while (!done_) done_cv_.Wait(done_mu_);
  }

 private:
  const HttpServerOptions options_;
  CertificateReloader reloader_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<int> port_{0};
  std::atomic<bool> stopping_{false};

  // Serializes Start and Stop (held while Stop waits for the handlers).
  Mutex mu_;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  Mutex done_mu_;
  CondVar done_cv_;
  bool started_ ABSL_GUARDED_BY(done_mu_) = false;  // Start bound the port
  bool running_ ABSL_GUARDED_BY(done_mu_) = false;  // the accept loop has started
  bool done_ ABSL_GUARDED_BY(done_mu_) = false;     // the accept loop has ended
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(
    HttpServerOptions options, std::function<void(httplib::Server&)> routes) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and a key file (neither: plain HTTP)");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status s = impl->Init(routes); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { impl_->Stop(); }
absl::Status HttpServer::Start() { return impl_->Start(); }
int HttpServer::port() const { return impl_->port(); }
bool HttpServer::tls() const { return impl_->tls(); }
bool HttpServer::stopping() const { return impl_->stopping(); }
void HttpServer::Stop() { impl_->Stop(); }
void HttpServer::Wait() { impl_->Wait(); }

}  // namespace ktune::http
