#pragma once
// HttpServer: the HTTP(S) server under `ktune webhook` and `ktune server`: cpp-httplib with
// bounded threads and connections, timeouts against slow clients, a bounded body, TLS with a
// certificate reloaded when its files change, and a Start / Stop / Wait lifecycle.
//
// Plain HTTP when no certificate is given, TLS (1.2 or later) when both files are. With TLS
// the serving certificate is reloaded when its files change: every handshake checks the
// files' identity (inode, size, mtime) and, when either changed, loads the new pair. A pair
// that cannot be loaded or does not match (a half-finished rotation) is logged and the
// previous pair keeps serving until the files change again. Kubernetes Secret volumes
// (symlink swaps) and `ktune webhook certs` (rename into place) both rotate this way.
//
// Stopping and long-lived handlers (watch streams, log follows): Stop() stops accepting,
// makes stopping() true, calls HttpServerOptions::on_stop, and then waits for every handler
// in flight to return; it never abandons a thread. So a handler must end on its own once
// the server stops:
//   - a chunked content provider is called again and again until it calls sink.done() or
//     returns false; once Stop began httplib calls it no more (the response is cut short:
//     the client sees the connection close). So a provider must not block indefinitely:
//     wait for the next event with a timeout (a second, say) and return true, or be woken
//     by the owner's on_stop. On plain HTTP sink.is_writable() is also false once Stop
//     began (and when the client left), so a provider that loops on it ends too;
//   - a handler that waits on something else (a condition variable, a queue) must be woken
//     by on_stop, and must check stopping() (or the owner's own flag) before it starts
//     waiting: a request read just before Stop is still routed after on_stop ran.
// Idle keep-alive connections end within 100 ms of Stop on plain HTTP, within
// keep_alive_timeout with TLS (httplib's own wait).
//
// Thread safety: Start, Stop, Wait, port, tls and stopping may be called from any thread
// except that Stop must not be called from a handler (it waits for the handlers). Requests
// are served on an internal pool of ServerLimits::worker_threads threads.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace ktune::http {

// What one client can hold of the server. A connection's reads and writes each time out
// (a client that stalls mid-request, a slowloris, is dropped after read_timeout without a
// response); an idle keep-alive connection is closed after keep_alive_timeout (whole
// seconds, at least 1) or after keep_alive_max_requests requests. At most max_connections
// connections are accepted and not finished (worker_threads of them being served, the rest
// waiting in a queue); one more is refused on the accept thread, without reading from it,
// so a flood costs neither memory nor a place in the queue:
//   - with TLS it is closed before its handshake (the client sees the connection closed);
//   - on plain HTTP it is answered at once with HTTP 503 and kTooManyConnectionsBody
//     (Connection: close), without running any route, and closed. (What the client sent
//     is not read; a client whose request arrives after the answer may see the connection
//     reset after reading the 503.)
// Bodies over max_body_bytes get HTTP 413.
struct ServerLimits {
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  size_t keep_alive_max_requests = 100;
  size_t worker_threads = 8;    // at least 1
  size_t max_connections = 64;  // at least 1; counts the connections being served
  // The API server's 3 MiB request limit plus room for an AdmissionReview around an object.
  size_t max_body_bytes = (3u << 20) + (512u << 10);
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: a free port (see HttpServer::port)
  // Both empty: plain HTTP. Both set: TLS. PEM: the serving certificate then any
  // intermediates; the private key matching it.
  std::string cert_file;
  std::string key_file;
  ServerLimits limits;
  // The prefix of the server's log lines ("webhook", "server").
  std::string log_name = "http";
  // Called once by Stop(), after the server stopped accepting and before it waits for the
  // handlers in flight: tell long-lived handlers to finish (see the file comment). May be
  // empty. Runs on the thread that called Stop.
  std::function<void()> on_stop;
};

// The body of the 503 that a plain HTTP connection over ServerLimits::max_connections gets:
// a Kubernetes Status, so kubectl and client-go report it as such.
inline constexpr char kTooManyConnectionsBody[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
    R"("message":"too many connections","reason":"ServiceUnavailable","code":503})";

class HttpServer {
 public:
  // Builds the server and calls `routes` once to register its handlers
  // (httplib::Server is the base of httplib::SSLServer too; include <httplib.h>). Routes may
  // also set a logger or handlers of their own, replacing the defaults (a debug log line per
  // request; a 500 with a generic body, the exception logged, when a handler throws).
  // Errors: InvalidArgument when only one of cert_file and key_file is set;
  // FailedPrecondition naming the file and the reason when the certificate or key is
  // missing, unreadable, not PEM or the two do not match (configuration that can never work:
  // the caller should exit); Internal when the TLS context cannot be set up.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(
      HttpServerOptions options, std::function<void(httplib::Server&)> routes);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Stop()s

  // Binds host:port and serves on background threads; returns once connections are accepted.
  // Errors: FailedPrecondition when the address cannot be bound (in use, not permitted; only
  // SO_REUSEADDR is set, so a second server on a port in use fails here) or the server was
  // already started (a stopped server cannot be started again).
  absl::Status Start();

  // The bound port after Start (the chosen one when options.port was 0), else 0 (also after
  // Stop).
  int port() const;
  // True when serving TLS (a certificate was given).
  bool tls() const;
  // True once Stop began.
  bool stopping() const;

  // Stops accepting, calls on_stop, waits for the handlers in flight to return (see the
  // file comment) and returns. Idempotent; also before Start.
  void Stop();

  // Blocks until the server stops (Stop from another thread, or a fatal accept error).
  // Returns at once when it was never started.
  void Wait();

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ktune::http
