// `ktune server`'s security defaults, end to end: loopback unless told otherwise, a bearer
// token (kubectl --token) and TLS when exposed, and trials that never see the server's own
// environment.

#include <stdlib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/server/server_harness.h"

namespace {

namespace fs = std::filesystem;
using ktune::e2e::kKubectl;
using ktune::e2e::Result;
using ktune::e2e::RunKtune;
using ktune::e2e::Server;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ServerSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kKubectl)) GTEST_SKIP() << "no kubectl at " << kKubectl;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / "ktune-security" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "home");
  }

  Result Kubectl(const std::string& url, std::vector<std::string> args) {
    return ktune::e2e::Kubectl(url, dir_, dir_ / "home", std::move(args));
  }

  fs::path dir_;
};

TEST_F(ServerSecurityTest, ExposingTheApiWithoutATokenIsRefused) {
  Result r = RunKtune(
      {"server", "--listen", "0.0.0.0", "--port", "0", "--db", (dir_ / "k.db").string()}, dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("--listen 0.0.0.0"), HasSubstr("--token-file")));
}

TEST_F(ServerSecurityTest, TlsAndABearerTokenAsKubectlSendsThem) {
  Result certs = RunKtune({"webhook", "certs", "--out", (dir_ / "certs").string()}, dir_);
  ASSERT_EQ(certs.exit_code, 0) << certs.err;
  std::ofstream(dir_ / "token") << "t0ken-for-tests\n";
  Server server(dir_ / "server", {"--token-file", (dir_ / "token").string(), "--tls-cert",
                                  (dir_ / "certs" / "tls.crt").string(), "--tls-key",
                                  (dir_ / "certs" / "tls.key").string()});
  ASSERT_THAT(server.url(), HasSubstr("https://"));
  const std::string ca = "--certificate-authority=" + (dir_ / "certs" / "ca.pem").string();
  // Without credentials kubectl asks for a user name on a 401 (stdin is empty here).
  Result denied = Kubectl(server.url(), {ca, "get", "experiments"});
  EXPECT_NE(denied.exit_code, 0);
  Result wrong = Kubectl(server.url(), {ca, "--token=nope", "get", "experiments"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.err, HasSubstr("You must be logged in to the server"));
  Result allowed = Kubectl(server.url(), {ca, "--token=t0ken-for-tests", "get", "experiments"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_THAT(allowed.err, HasSubstr("No resources found"));
}

TEST_F(ServerSecurityTest, TrialsSeeTheAllowListAndTheirTemplateEnvNeverTheServers) {
  // What a server's environment may hold; a trial must never see it.
  setenv("KTUNE_TEST_DB_PASSWORD", "hunter2", 1);
  Server server(dir_ / "server", {"--workdir", dir_.string()});
  unsetenv("KTUNE_TEST_DB_PASSWORD");
  std::ofstream(dir_ / "env.yaml") << R"(apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: env
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parallelTrialCount: 1
  maxTrialCount: 1
  parameters:
  - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{name: x, reference: x}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            restartPolicy: Never
            containers:
            - name: main
              image: none
              command: [/bin/sh, -c, "env; echo loss=$1", sh, "${trialParameters.x}"]
              env:
              - {name: FROM_TEMPLATE, value: "yes"}
)";
  ASSERT_EQ(Kubectl(server.url(), {"apply", "-f", (dir_ / "env.yaml").string()}).exit_code, 0);
  Result wait = Kubectl(server.url(),
                        {"wait", "--for=condition=Succeeded", "experiment/env", "--timeout=60s"});
  ASSERT_EQ(wait.exit_code, 0) << wait.err;
  Result trial = Kubectl(server.url(), {"get", "trials", "-o", "name"});
  ASSERT_EQ(trial.exit_code, 0) << trial.err;
  const std::string name =
      trial.out.substr(trial.out.find('/') + 1, trial.out.find('\n') - trial.out.find('/') - 1);
  Result logs = Kubectl(server.url(), {"logs", name});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, AllOf(HasSubstr("PATH="), HasSubstr("FROM_TEMPLATE=yes"),
                              HasSubstr("KATIB_TRIAL_NAME=" + name),
                              Not(HasSubstr("KTUNE_TEST_DB_PASSWORD")), Not(HasSubstr("hunter2"))));
}

}  // namespace
