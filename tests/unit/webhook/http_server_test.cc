// http::HttpServer over real sockets on loopback, port 0: plain HTTP requests, the body
// limit, Stop while a chunked response is open, the connection limit's 503, and TLS. The
// tests wait on what the server does (an answer, a closed connection, a handler's signal),
// never on durations.

#include "webhook/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "core/mutex.h"
#include "tests/unit/webhook/webhook_test_util.h"
#include "webhook/certs.h"

namespace ktune::http {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::unique_ptr<HttpServer> StartOrDie(HttpServerOptions options,
                                       std::function<void(httplib::Server&)> routes) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Create(std::move(options), std::move(routes));
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  absl::Status started = (*server)->Start();
  EXPECT_TRUE(started.ok()) << started;
  return *std::move(server);
}

httplib::Client ClientFor(const HttpServer& server) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(30);
  client.set_read_timeout(30);
  return client;
}

// A raw TCP connection to the server, for clients that misbehave on purpose.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  // What the server sends until it closes the connection.
  std::string ReadUntilClosed() {
    std::string out;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) {
        out.append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        return out;
      }
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Counts the requests that reached a route.
class Counter {
 public:
  void Add() { n_.fetch_add(1); }
  int value() const { return n_.load(); }

 private:
  std::atomic<int> n_{0};
};

TEST(HttpServerTest, PlainHttpRoundTripsOnOneKeptAliveConnection) {
  HttpServerOptions options;
  options.log_name = "test";
  std::unique_ptr<HttpServer> server = StartOrDie(options, [](httplib::Server& s) {
    s.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("hello " + req.get_param_value("name") + " from " + req.remote_addr,
                      "text/plain");
    });
    s.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "application/octet-stream");
    });
  });
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(server->tls());
  EXPECT_GT(server->port(), 0);

  httplib::Client client = ClientFor(*server);
  client.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    httplib::Result res = client.Get("/hello?name=kubectl");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "hello kubectl from 127.0.0.1");
  }
  const std::string body(200'000, 'x');
  httplib::Result echo = client.Post("/echo", body, "application/octet-stream");
  ASSERT_TRUE(echo) << httplib::to_string(echo.error());
  EXPECT_EQ(echo->body, body);
  httplib::Result missing = client.Get("/nowhere");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  // A second server cannot take the port (no SO_REUSEPORT).
  HttpServerOptions same;
  same.port = server->port();
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Create(same, nullptr);
  ASSERT_TRUE(second.ok());
  absl::Status bound = (*second)->Start();
  EXPECT_TRUE(absl::IsFailedPrecondition(bound)) << bound;
  EXPECT_THAT(std::string(bound.message()), HasSubstr(std::to_string(server->port())));

  server->Stop();
  server->Stop();
  EXPECT_EQ(server->port(), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(server->Start()));
}

TEST(HttpServerTest, BodiesOverTheLimitGet413WithoutReachingTheRoute) {
  HttpServerOptions options;
  options.limits.max_body_bytes = 4096;
  Counter posts;
  std::unique_ptr<HttpServer> server = StartOrDie(options, [&](httplib::Server& s) {
    s.Post("/upload", [&](const httplib::Request& req, httplib::Response& res) {
      posts.Add();
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
  });
  ASSERT_NE(server, nullptr);
  httplib::Client client = ClientFor(*server);

  httplib::Result small = client.Post("/upload", std::string(4096, 'a'), "text/plain");
  ASSERT_TRUE(small) << httplib::to_string(small.error());
  EXPECT_EQ(small->status, 200);
  EXPECT_EQ(small->body, "4096");

  httplib::Result big = client.Post("/upload", std::string(4097, 'a'), "text/plain");
  ASSERT_TRUE(big) << httplib::to_string(big.error());
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(posts.value(), 1);
}

// One flag a thread raises and another waits for, with a deadline.
class Signal {
 public:
  void Raise() {
    MutexLock lock(mu_);
    raised_ = true;
    cv_.SignalAll();
  }
  bool WaitFor(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mu_);
    while (!raised_) {
      if (!cv_.WaitUntil(mu_, deadline)) return raised_;
    }
    return true;
  }
  bool raised() {
    MutexLock lock(mu_);
    return raised_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  bool raised_ ABSL_GUARDED_BY(mu_) = false;
};

// A watch-like route: the chunked response sends "first\n"; its next call raises `blocked`
// and waits until released, then sends "last\n" and ends.
class BlockingStream {
 public:
  void Route(httplib::Server& s) {
    s.Get("/watch", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain",
                                       [this](size_t offset, httplib::DataSink& sink) {
                                         if (offset == 0) {
                                           sink.write("first\n", 6);
                                           return true;
                                         }
                                         blocked.Raise();
                                         {
                                           MutexLock lock(mu_);
                                           while (!released_) cv_.Wait(mu_);
                                         }
                                         sink.write("last\n", 5);
                                         sink.done();
                                         MutexLock lock(mu_);
                                         returned_ = true;
                                         return true;
                                       });
    });
  }
  void Release() {
    MutexLock lock(mu_);
    released_ = true;
    cv_.SignalAll();
  }
  bool returned() {
    MutexLock lock(mu_);
    return returned_;
  }

  Signal blocked;  // the handler is inside its blocking call

 private:
  Mutex mu_;
  CondVar cv_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  bool returned_ ABSL_GUARDED_BY(mu_) = false;
};

// Reads /watch in the background; `first` is raised once "first\n" arrived.
std::thread Watch(int port, Signal& first, std::string& received) {
  return std::thread([port, &first, &received] {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(60);
    client.Get("/watch", [&](const char* data, size_t size) {
      received.append(data, size);
      if (received.find("first\n") != std::string::npos) first.Raise();
      return true;
    });
  });
}

TEST(HttpServerTest, StopWaitsForAnOpenChunkedResponseUntilItsHandlerReturns) {
  BlockingStream stream;
  Signal on_stop;
  HttpServerOptions options;
  options.on_stop = [&] { on_stop.Raise(); };
  std::unique_ptr<HttpServer> server =
      StartOrDie(options, [&](httplib::Server& s) { stream.Route(s); });
  ASSERT_NE(server, nullptr);

  Signal first;
  std::string received;
  std::thread watcher = Watch(server->port(), first, received);
  ASSERT_TRUE(first.WaitFor(30s));
  ASSERT_TRUE(stream.blocked.WaitFor(30s));

  Signal stopped;
  std::thread stopper([&] {
    server->Stop();
    stopped.Raise();
  });
  ASSERT_TRUE(on_stop.WaitFor(30s));
  EXPECT_TRUE(server->stopping());
  // The handler is still blocked, so Stop cannot have returned.
  EXPECT_FALSE(stopped.raised());
  EXPECT_FALSE(stream.returned());

  stream.Release();
  stopper.join();
  EXPECT_TRUE(stream.returned());
  watcher.join();
  EXPECT_EQ(received.rfind("first\n", 0), 0u) << received;
}

TEST(HttpServerTest, OnStopWakesLongLivedHandlers) {
  BlockingStream stream;
  HttpServerOptions options;
  options.on_stop = [&] { stream.Release(); };
  std::unique_ptr<HttpServer> server =
      StartOrDie(options, [&](httplib::Server& s) { stream.Route(s); });
  ASSERT_NE(server, nullptr);
  Signal first;
  std::string received;
  std::thread watcher = Watch(server->port(), first, received);
  ASSERT_TRUE(stream.blocked.WaitFor(30s));
  server->Stop();  // returns: on_stop released the handler
  EXPECT_TRUE(stream.returned());
  watcher.join();
}

TEST(HttpServerTest, OnPlainHttpTheSinkIsNotWritableOnceStopBegan) {
  // A provider that streams for as long as it may: it ends by itself when Stop begins.
  Signal first;
  std::atomic<bool> ended{false};
  HttpServerOptions options;
  std::unique_ptr<HttpServer> server = StartOrDie(options, [&](httplib::Server& s) {
    s.Get("/ticks", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& sink) {
        while (sink.is_writable()) {
          sink.write("tick\n", 5);
          first.Raise();
        }
        ended = true;
        return false;
      });
    });
  });
  ASSERT_NE(server, nullptr);
  std::thread watcher([port = server->port()] {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(60);
    client.Get("/ticks", [](const char*, size_t) { return true; });
  });
  ASSERT_TRUE(first.WaitFor(30s));
  server->Stop();
  EXPECT_TRUE(ended);
  watcher.join();
}

TEST(HttpServerTest, PlainConnectionsOverTheLimitGet503WithoutRunningRoutes) {
  HttpServerOptions options;
  options.limits.worker_threads = 1;
  options.limits.max_connections = 2;
  options.limits.read_timeout = 60s;  // the stalled clients stay until they leave
  options.limits.keep_alive_timeout = 60s;
  Counter served;
  std::unique_ptr<HttpServer> server = StartOrDie(options, [&](httplib::Server& s) {
    s.Get("/count", [&](const httplib::Request&, httplib::Response& res) {
      served.Add();
      res.set_content("ok", "text/plain");
    });
  });
  ASSERT_NE(server, nullptr);

  // One connection held by the only worker, one waiting behind it: the limit.
  RawConnection first(server->port());
  RawConnection second(server->port());
  ASSERT_TRUE(first.connected() && second.connected());
  // The next ones are accepted after them (the kernel's backlog is FIFO) and refused.
  httplib::Client client = ClientFor(*server);
  httplib::Result refused = client.Get("/count");
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->body, kTooManyConnectionsBody);
  EXPECT_EQ(refused->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(refused->get_header_value("Connection"), "close");
  // Answered without being read: a client that sends nothing gets the same answer.
  RawConnection silent(server->port());
  const std::string answer = silent.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << answer;
  EXPECT_THAT(answer, HasSubstr(R"("reason":"ServiceUnavailable","code":503})"));
  EXPECT_EQ(served.value(), 0);

  // When the stalled clients leave, the server serves again. The single worker served
  // `first` before `second`, so once `second` is closed by the server at most one
  // connection is still counted.
  first.ShutdownWrite();
  second.ShutdownWrite();
  EXPECT_EQ(first.ReadUntilClosed(), "");
  EXPECT_EQ(second.ReadUntilClosed(), "");
  httplib::Result res = client.Get("/count");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(served.value(), 1);
}

TEST(HttpServerTest, ServesTlsWhenGivenACertificate) {
  webhook::testing::TempDir dir;
  ASSERT_TRUE(
      webhook::GenerateCertificates(webhook::testing::CertOptions(dir.path().string())).ok());
  HttpServerOptions options;
  options.cert_file = dir / webhook::kServerCertFile;
  options.key_file = dir / webhook::kServerKeyFile;
  std::unique_ptr<HttpServer> server = StartOrDie(options, [](httplib::Server& s) {
    s.Get("/version", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"major":"1","minor":"32"})", "application/json");
    });
  });
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->tls());
  httplib::SSLClient client("localhost", server->port());
  client.set_ca_cert_path((dir / webhook::kCaCertFile).c_str());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(30);
  client.set_read_timeout(30);
  httplib::Result res = client.Get("/version");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"major":"1","minor":"32"})");
  // Plain HTTP to a TLS port gets no answer.
  httplib::Result plain = ClientFor(*server).Get("/version");
  EXPECT_TRUE(!plain || plain->status != 200);

  // Only one of the two files: a configuration mistake.
  HttpServerOptions half;
  half.cert_file = options.cert_file;
  EXPECT_TRUE(absl::IsInvalidArgument(HttpServer::Create(half, nullptr).status()));
  half.key_file = dir / "missing.key";
  absl::StatusOr<std::unique_ptr<HttpServer>> missing = HttpServer::Create(half, nullptr);
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status())) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("missing.key"));
}

TEST(HttpServerTest, AThrowingHandlerGets500AndTheServerKeepsServing) {
  std::unique_ptr<HttpServer> server = StartOrDie(HttpServerOptions{}, [](httplib::Server& s) {
    s.Get("/throw", [](const httplib::Request&, httplib::Response&) {
      throw std::runtime_error("secret detail");
    });
    s.Get("/ok", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
  });
  ASSERT_NE(server, nullptr);
  httplib::Client client = ClientFor(*server);
  httplib::Result thrown = client.Get("/throw");
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_THAT(thrown->body, ::testing::Not(HasSubstr("secret")));
  EXPECT_FALSE(thrown->has_header("EXCEPTION_WHAT"));
  httplib::Result ok = client.Get("/ok");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, WaitReturnsOnceStopped) {
  absl::StatusOr<std::unique_ptr<HttpServer>> idle =
      HttpServer::Create(HttpServerOptions{}, nullptr);
  ASSERT_TRUE(idle.ok());
  (*idle)->Wait();  // never started: returns at once
  (*idle)->Stop();

  std::unique_ptr<HttpServer> server = StartOrDie(HttpServerOptions{}, nullptr);
  ASSERT_NE(server, nullptr);
  std::thread waiter([&] { server->Wait(); });
  server->Stop();
  waiter.join();
}

}  // namespace
}  // namespace ktune::http
