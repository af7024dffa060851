// Many experiments at once through one `ktune server`, the global running-trial cap, and a
// crash (`kill -9`) in the middle: after a restart every experiment still ends with exactly
// its maxTrialCount trials, none lost, none run twice into the count.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/server/server_harness.h"

namespace {

namespace fs = std::filesystem;
using ktune::e2e::kKubectl;
using ktune::e2e::ReadAll;
using ktune::e2e::Result;
using ktune::e2e::Server;
using ktune::e2e::WaitInDir;
using nlohmann::json;

constexpr int kExperiments = 50;
constexpr int kTrialsEach = 20;
constexpr int kCap = 6;

// The trial: takes a slot file while it runs (its count is a lower bound of the running
// trials, so more than kCap files means the cap was exceeded), leaves a done marker, reports.
constexpr char kTrialScript[] = R"(import os, sys, time
slots, done, trial, x = os.environ["SLOTS"], os.environ["DONE"], os.environ["KATIB_TRIAL_NAME"], float(sys.argv[1])
mine = os.path.join(slots, trial + "-" + str(os.getpid()))
open(mine, "w").close()
running = len(os.listdir(slots))
if running > int(os.environ["CAP"]):
    with open(os.path.join(os.path.dirname(slots), "violations"), "a") as f:
        f.write("%s saw %d running\n" % (trial, running))
time.sleep(0.1)
os.remove(mine)
print("loss=%f" % ((x - 0.3) ** 2))
open(os.path.join(done, trial + "-" + str(os.getpid())), "w").close()
)";

std::string ExperimentYaml(int i, const fs::path& dir) {
  std::ostringstream y;
  y << "apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata:\n  name: many-" << i
    << "\nspec:\n  objective: {type: minimize, objectiveMetricName: loss}\n"
    << "  algorithm: {algorithmName: random}\n  parallelTrialCount: 3\n  maxTrialCount: "
    << kTrialsEach << "\n  maxFailedTrialCount: 3\n"
    << "  parameters:\n  - {name: x, parameterType: double, feasibleSpace: {min: \"0\", max: "
       "\"1\"}}\n"
    << "  trialTemplate:\n    primaryContainerName: main\n"
    << "    trialParameters: [{name: x, reference: x}]\n"
    << "    trialSpec:\n      apiVersion: batch/v1\n      kind: Job\n      spec:\n"
    << "        template:\n          spec:\n            restartPolicy: Never\n"
    << "            containers:\n            - name: main\n              image: none\n"
    << "              command: [/usr/bin/python3, " << (dir / "trial.py").string()
    << ", \"${trialParameters.x}\"]\n"
    << "              env:\n"
    << "              - {name: SLOTS, value: " << (dir / "slots").string() << "}\n"
    << "              - {name: DONE, value: " << (dir / "done").string() << "}\n"
    << "              - {name: CAP, value: \"" << kCap << "\"}\n";
  return y.str();
}

class ServerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kKubectl)) GTEST_SKIP() << "no kubectl at " << kKubectl;
    dir_ = fs::path(::testing::TempDir()) / "ktune-server-restart";
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "slots");
    fs::create_directories(dir_ / "done");
    fs::create_directories(dir_ / "home");
    std::ofstream(dir_ / "trial.py") << kTrialScript;
  }

  Result Kubectl(const Server& server, std::vector<std::string> args) {
    return ktune::e2e::Kubectl(server.url(), dir_, dir_ / "home", std::move(args));
  }

  int Done() const {
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_ / "done")) ++n;
    return n;
  }

  fs::path dir_;
};

TEST_F(ServerRestartTest, FiftyExperimentsUnderTheCapSurviveKillNine) {
  std::ostringstream all;
  for (int i = 0; i < kExperiments; ++i) all << "---\n" << ExperimentYaml(i, dir_);
  std::ofstream(dir_ / "all.yaml") << all.str();
  const std::vector<std::string> server_args = {"--max-running-trials", std::to_string(kCap)};
  {
    Server server(dir_ / "server", server_args);
    Result create = Kubectl(server, {"create", "-f", (dir_ / "all.yaml").string()});
    ASSERT_EQ(create.exit_code, 0) << create.err;
    // Crash in the middle: after about a third of the trials.
    ASSERT_TRUE(WaitInDir(dir_ / "done", [&] { return Done() >= 300; }));
    server.Kill();
  }
  // The killed trials' slot files stay behind; trials die with the server (PDEATHSIG).
  for (const auto& e : fs::directory_iterator(dir_ / "slots")) fs::remove(e.path());
  const int done_before_restart = Done();
  EXPECT_LT(done_before_restart, kExperiments * kTrialsEach);

  Server server(dir_ / "server", server_args);
  Result wait = Kubectl(
      server, {"wait", "--for=condition=Succeeded", "experiment", "--all", "--timeout=600s"});
  ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;

  Result experiments = Kubectl(server, {"get", "experiments", "-o", "json"});
  ASSERT_EQ(experiments.exit_code, 0) << experiments.err;
  json list = json::parse(experiments.out);
  ASSERT_EQ(list["items"].size(), static_cast<size_t>(kExperiments));
  for (const json& e : list["items"]) {
    const std::string name = e["metadata"]["name"];
    EXPECT_EQ(e["status"]["trials"], kTrialsEach) << name;
    EXPECT_EQ(e["status"]["trialsSucceeded"], kTrialsEach) << name;
  }
  Result trials = Kubectl(server, {"get", "trials", "-o", "json"});
  ASSERT_EQ(trials.exit_code, 0) << trials.err;
  json trial_list = json::parse(trials.out);
  std::set<std::string> names;
  std::map<std::string, int> per_experiment;
  for (const json& t : trial_list["items"]) {
    names.insert(t["metadata"]["name"].get<std::string>());
    ++per_experiment[t["metadata"]["labels"]["katib.kubeflow.org/experiment"]];
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kExperiments * kTrialsEach));
  for (const auto& [experiment, count] : per_experiment) {
    EXPECT_EQ(count, kTrialsEach) << experiment;
  }
  // Each completed trial ran to its end once; the interrupted ones ran again.
  EXPECT_GE(Done(), kExperiments * kTrialsEach);
  EXPECT_FALSE(fs::exists(dir_ / "violations")) << ReadAll(dir_ / "violations");
}

}  // namespace
