// REVIEW.md top finding 3(c) and §2 TLS row: what slow or many clients can do to the HTTPS
// server. Real TLS on loopback, port 0; the tests wait on the server's observable actions
// (an answer, a closed connection), never on durations.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>

#include "tests/unit/webhook/webhook_test_util.h"
#include "webhook/certs.h"
#include "webhook/server.h"

namespace ktune::webhook {
namespace {

using ::ktune::webhook::testing::QuickstartExperiment;
using ::ktune::webhook::testing::Review;
using ::ktune::webhook::testing::TempDir;
using json = nlohmann::json;
using namespace std::chrono_literals;

int ConnectTcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// Blocks until the server closes `fd` (a TLS alert before that is read and ignored).
bool ServerClosed(int fd) {
  char buffer[512];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ECONNRESET;
  }
}

// A TLS client without verification, for clients that misbehave on purpose.
class RawTlsClient {
 public:
  explicit RawTlsClient(int port) : ctx_(SSL_CTX_new(TLS_client_method())), fd_(ConnectTcp(port)) {
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
  }
  ~RawTlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool Handshake() { return SSL_connect(ssl_) == 1; }
  bool Write(const std::string& data) {
    return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
           static_cast<int>(data.size());
  }
  // Reads until the server closes the connection; what it sent before.
  std::string ReadToClose() {
    std::string out;
    char buffer[4096];
    int n;
    while ((n = SSL_read(ssl_, buffer, sizeof buffer)) > 0) out.append(buffer, n);
    ERR_clear_error();
    return out;
  }

 private:
  SSL_CTX* ctx_;
  int fd_;
  SSL* ssl_ = nullptr;
};

class ServerLimitsTest : public ::testing::Test {
 protected:
  void StartServer(ServerLimits limits) {
    ASSERT_TRUE(GenerateCertificates(testing::CertOptions(dir_.path().string())).ok());
    WebhookServerOptions o;
    o.cert_file = dir_ / kServerCertFile;
    o.key_file = dir_ / kServerKeyFile;
    o.host = "127.0.0.1";
    o.port = 0;
    o.validation.algorithms = {"random"};
    o.validation.metrics_collector_kinds = {"StdOut"};
    o.limits = limits;
    absl::StatusOr<std::unique_ptr<WebhookServer>> server = WebhookServer::Create(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
  }

  httplib::Result Post(const std::string& body) {
    httplib::SSLClient client("localhost", server_->port());
    client.set_ca_cert_path((dir_ / kCaCertFile).c_str());
    client.enable_server_certificate_verification(true);
    client.set_connection_timeout(30);
    client.set_read_timeout(30);
    return client.Post(kValidateExperimentPath, body, "application/json");
  }

  TempDir dir_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(ServerLimitsTest, SlowlorisDoesNotBlockOthersAndIsDroppedAfterTheReadTimeout) {
  ServerLimits limits;
  limits.read_timeout = 300ms;
  limits.keep_alive_timeout = 1s;
  limits.worker_threads = 2;
  StartServer(limits);

  // One client stalls in the middle of its headers, one before its TLS handshake.
  RawTlsClient slow(server_->port());
  ASSERT_TRUE(slow.Handshake());
  ASSERT_TRUE(slow.Write("POST /validate-experiment HTTP/1.1\r\nHost: localhost\r\nContent-Le"));
  const int silent = ConnectTcp(server_->port());

  // A well-behaved client is answered while both are open.
  httplib::Result res = Post(Review(QuickstartExperiment()).dump());
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["response"]["allowed"], true);

  // The stalled ones are dropped by the server: the one mid-request with 400 at most.
  const std::string answer = slow.ReadToClose();
  EXPECT_TRUE(answer.empty() || answer.rfind("HTTP/1.1 400 ", 0) == 0) << answer;
  EXPECT_TRUE(ServerClosed(silent));
  ::close(silent);
}

TEST_F(ServerLimitsTest, AFullQueueClosesNewConnectionsInsteadOfGrowing) {
  ServerLimits limits;
  limits.read_timeout = 60s;  // the two stalled clients stay until they leave
  limits.worker_threads = 1;
  limits.max_connections = 2;
  StartServer(limits);

  // One connection in the worker's TLS handshake, one waiting behind it: the limit.
  const int first = ConnectTcp(server_->port());
  const int second = ConnectTcp(server_->port());
  // The next is accepted after them (the kernel's backlog is FIFO) and closed at once.
  RawTlsClient third(server_->port());
  EXPECT_FALSE(third.Handshake());
  EXPECT_FALSE(Post(Review(QuickstartExperiment()).dump()));

  // When the stalled clients leave, the server serves again. The single worker served
  // `first` before `second`, so once `second` is closed by the server at most one
  // connection is still counted.
  ::shutdown(first, SHUT_WR);
  ::shutdown(second, SHUT_WR);
  EXPECT_TRUE(ServerClosed(first));
  EXPECT_TRUE(ServerClosed(second));
  ::close(first);
  ::close(second);
  httplib::Result res = Post(Review(QuickstartExperiment()).dump());
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
}

TEST_F(ServerLimitsTest, ThreeMegabyteReviewOverHttpsIsAnsweredAndLargerBodiesRefused) {
  StartServer(ServerLimits{});
  // 3 MB of nesting (REVIEW's SIGSEGV shape, fifteen times larger).
  json review = Review(QuickstartExperiment());
  review["request"]["object"]["spec"]["trialTemplate"]["trialSpec"]["spec"]["x"] = "@";
  std::string body = review.dump();
  const size_t depth = (3u << 20) / 2;
  body.replace(body.find("\"@\""), 3, std::string(depth, '[') + std::string(depth, ']'));
  httplib::Result res = Post(body);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200);
  const json out = json::parse(res->body);
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_THAT(out["response"]["status"]["message"].get<std::string>(),
              ::testing::HasSubstr("nested deeper than 512 levels"));

  res = Post(std::string(5u << 20, ' '));
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
}

TEST_F(ServerLimitsTest, StopRightAfterStartReturns) {
  StartServer(ServerLimits{});
  server_->Stop();
  server_->Stop();
  EXPECT_EQ(server_->port(), 0);
}

}  // namespace
}  // namespace ktune::webhook
