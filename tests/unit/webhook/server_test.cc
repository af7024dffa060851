// Real HTTPS round trips: WebhookServer on a free port with generated certificates, spoken
// to by httplib's SSLClient (server verification on) and, when installed, by curl.

#include "webhook/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "tests/unit/webhook/webhook_test_util.h"
#include "webhook/certs.h"

namespace ktune::webhook {
namespace {

using ::ktune::webhook::testing::QuickstartExperiment;
using ::ktune::webhook::testing::ReadFile;
using ::ktune::webhook::testing::Review;
using ::ktune::webhook::testing::TempDir;
using ::ktune::webhook::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

WebhookServerOptions ServerOptions(const TempDir& dir) {
  WebhookServerOptions o;
  o.cert_file = dir / kServerCertFile;
  o.key_file = dir / kServerKeyFile;
  o.host = "127.0.0.1";
  o.port = 0;
  o.validation.algorithms = {"random", "grid"};
  o.validation.metrics_collector_kinds = {"StdOut", "File", "TensorFlowEvent"};
  return o;
}

json BadExperiment() {
  json e = QuickstartExperiment();
  e["spec"]["objective"]["type"] = "foo";
  return e;
}

class WebhookServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(GenerateCertificates(testing::CertOptions(dir_.path().string())).ok());
    absl::StatusOr<std::unique_ptr<WebhookServer>> server =
        WebhookServer::Create(ServerOptions(dir_));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }

  // A fresh connection that trusts only `ca_file`.
  std::unique_ptr<httplib::SSLClient> Client(const std::string& ca_file) {
    auto client = std::make_unique<httplib::SSLClient>("localhost", server_->port());
    client->set_ca_cert_path(ca_file.c_str());
    client->enable_server_certificate_verification(true);
    client->set_connection_timeout(5);
    client->set_read_timeout(10);
    return client;
  }

  json Post(const std::string& path, const json& review, const std::string& ca_file = "") {
    auto client = Client(ca_file.empty() ? dir_ / kCaCertFile : ca_file);
    httplib::Result res = client->Post(path.c_str(), review.dump(), "application/json");
    EXPECT_TRUE(res) << "POST " << path << ": " << httplib::to_string(res.error());
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    return json::parse(res->body);
  }

  TempDir dir_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(WebhookServerTest, ValidateExperimentOverHttps) {
  json out = Post(kValidateExperimentPath, Review(QuickstartExperiment()));
  EXPECT_EQ(out["kind"], "AdmissionReview");
  EXPECT_EQ(out["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(out["response"]["allowed"], true) << out.dump(2);

  out = Post(kValidateExperimentPath, Review(BadExperiment()));
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_EQ(out["response"]["status"]["code"], 400);
  EXPECT_THAT(
      out["response"]["status"]["message"].get<std::string>(),
      StartsWith("spec.objective.type: Invalid value: \"foo\": must be minimize or maximize"));
}

TEST_F(WebhookServerTest, MutateEndpointsOverHttps) {
  json raw = QuickstartExperiment();
  raw["spec"].erase("parallelTrialCount");
  json out = Post(kMutateExperimentPath, Review(raw));
  ASSERT_EQ(out["response"]["allowed"], true);
  ASSERT_EQ(out["response"]["patchType"], "JSONPatch");
  std::string patch;
  ASSERT_TRUE(absl::Base64Unescape(out["response"]["patch"].get<std::string>(), &patch));
  json patched = raw.patch(json::parse(patch));
  EXPECT_EQ(patched["spec"]["parallelTrialCount"], 3);
  EXPECT_EQ(patched["spec"]["resumePolicy"], "Never");

  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
  out = Post(kMutatePodPath, Review(pod));
  EXPECT_EQ(out["response"]["allowed"], true);
  EXPECT_FALSE(out["response"].contains("patch"));
}

TEST_F(WebhookServerTest, HealthAndMalformedRequests) {
  auto client = Client(dir_ / kCaCertFile);
  for (const char* path : {"/healthz", "/readyz"}) {
    httplib::Result res = client->Get(path);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "ok\n");
  }
  httplib::Result res = client->Post(kValidateExperimentPath, "{oops", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("not JSON"));
  res = client->Post(kValidateExperimentPath, "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("missing request"));
  res = client->Post("/validate-pod", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(WebhookServerTest, ClientsThatDoNotTrustTheCaAreRefused) {
  TempDir other;
  ASSERT_TRUE(GenerateCertificates(testing::CertOptions(other.path().string())).ok());
  auto client = Client(other / kCaCertFile);
  httplib::Result res = client->Get("/healthz");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::SSLServerVerification);
}

TEST_F(WebhookServerTest, ReloadsTheCertificateWhenTheFilesChange) {
  const std::string old_ca = ReadFile(dir_ / kCaCertFile);
  WriteFile(dir_ / "old-ca.pem", old_ca);
  ASSERT_TRUE(Client(dir_ / "old-ca.pem")->Get("/healthz"));

  // Rotate: a new CA and serving pair in the same files.
  ASSERT_TRUE(GenerateCertificates(testing::CertOptions(dir_.path().string())).ok());
  ASSERT_NE(ReadFile(dir_ / kCaCertFile), old_ca);
  httplib::Result res = Client(dir_ / kCaCertFile)->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  res = Client(dir_ / "old-ca.pem")->Get("/healthz");
  EXPECT_FALSE(res);
  EXPECT_EQ(res.error(), httplib::Error::SSLServerVerification);

  // A broken rotation keeps the current pair.
  const std::string current_ca = ReadFile(dir_ / kCaCertFile);
  WriteFile(dir_ / "current-ca.pem", current_ca);
  WriteFile(dir_ / kServerCertFile, "-----BEGIN CERTIFICATE-----\ngarbage\n");
  res = Client(dir_ / "current-ca.pem")->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // A key from another pair does not match: still the current pair.
  TempDir other;
  ASSERT_TRUE(GenerateCertificates(testing::CertOptions(other.path().string())).ok());
  std::filesystem::copy_file(other / kServerCertFile, dir_ / kServerCertFile,
                             std::filesystem::copy_options::overwrite_existing);
  res = Client(dir_ / "current-ca.pem")->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  // Completing the rotation (the matching key) switches over.
  std::filesystem::copy_file(other / kServerKeyFile, dir_ / kServerKeyFile,
                             std::filesystem::copy_options::overwrite_existing);
  res = Client(other / kCaCertFile)->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
}

// Runs argv (no shell) and returns its exit status and stdout.
std::pair<int, std::string> RunCommand(const std::vector<std::string>& args) {
  int out[2];
  if (::pipe(out) != 0) return {-1, ""};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(out[0], buffer, sizeof buffer)) > 0)
    output.append(buffer, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

bool HaveCurl() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    if (::access((std::string(dir) + "/curl").c_str(), X_OK) == 0) return true;
  }
  return false;
}

TEST_F(WebhookServerTest, CurlAcceptance) {
  if (!HaveCurl()) GTEST_SKIP() << "curl is not installed";
  const std::string url = "https://localhost:" + std::to_string(server_->port());
  WriteFile(dir_ / "good.json", Review(QuickstartExperiment()).dump());
  WriteFile(dir_ / "bad.json", Review(BadExperiment()).dump());
  json raw = QuickstartExperiment();
  raw["spec"].erase("parallelTrialCount");
  WriteFile(dir_ / "raw.json", Review(raw).dump());

  // Exactly the acceptance command (curl -d posts as a form; the server does not care).
  auto [rc, body] = RunCommand({"curl", "-sS", "--cacert", dir_ / kCaCertFile,
                                url + kValidateExperimentPath, "-d", "@" + (dir_ / "bad.json")});
  ASSERT_EQ(rc, 0) << body;
  json out = json::parse(body);
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_THAT(out["response"]["status"]["message"].get<std::string>(),
              StartsWith("spec.objective.type: Invalid value: \"foo\""));

  std::tie(rc, body) =
      RunCommand({"curl", "-sS", "--cacert", dir_ / kCaCertFile, url + kValidateExperimentPath,
                  "-d", "@" + (dir_ / "good.json")});
  ASSERT_EQ(rc, 0) << body;
  EXPECT_EQ(json::parse(body)["response"]["allowed"], true);

  std::tie(rc, body) = RunCommand({"curl", "-sS", "--cacert", dir_ / kCaCertFile,
                                   url + kMutateExperimentPath, "-d", "@" + (dir_ / "raw.json")});
  ASSERT_EQ(rc, 0) << body;
  EXPECT_EQ(json::parse(body)["response"]["patchType"], "JSONPatch");

  // curl verifies too: without the CA it refuses the connection (exit 60).
  std::tie(rc, body) = RunCommand({"curl", "-sS", url + "/healthz"});
  EXPECT_EQ(rc, 60);
}

TEST(WebhookServerStartTest, MissingOrMismatchedFilesFailAtStart) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<WebhookServer>> server = WebhookServer::Create(ServerOptions(dir));
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(server.status())) << server.status();
  EXPECT_THAT(std::string(server.status().message()), HasSubstr(dir / kServerCertFile));

  ASSERT_TRUE(GenerateCertificates(testing::CertOptions(dir.path().string())).ok());
  WebhookServerOptions options = ServerOptions(dir);
  options.key_file = dir / kCaKeyFile;  // a key, but not the certificate's
  server = WebhookServer::Create(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("does not match"));

  options.key_file = dir / "missing.key";
  server = WebhookServer::Create(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("missing.key"));

  options.key_file = "";
  EXPECT_TRUE(absl::IsFailedPrecondition(WebhookServer::Create(options).status()));
}

TEST(WebhookServerStartTest, PortInUseAndStopWait) {
  TempDir dir;
  ASSERT_TRUE(GenerateCertificates(testing::CertOptions(dir.path().string())).ok());
  auto first = WebhookServer::Create(ServerOptions(dir));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->Start().ok());
  EXPECT_FALSE((*first)->Start().ok());

  WebhookServerOptions options = ServerOptions(dir);
  options.port = (*first)->port();
  auto second = WebhookServer::Create(options);
  ASSERT_TRUE(second.ok());
  absl::Status s = (*second)->Start();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::to_string(options.port)));

  std::thread waiter([&] { (*first)->Wait(); });
  (*first)->Stop();
  waiter.join();
  (*first)->Stop();  // idempotent
  EXPECT_EQ((*first)->port(), 0);
}

}  // namespace
}  // namespace ktune::webhook
