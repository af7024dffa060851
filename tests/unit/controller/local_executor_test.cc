#include "controller/local/local_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "test_support.h"

namespace ktune::controller {
namespace {

using ::testing::HasSubstr;
using ktune::testing::MakeTempDir;
using ktune::testing::ReadAll;

class RecordingSink : public MetricsSink {
 public:
  absl::Status Report(const std::string&, const std::vector<core::MetricLog>& logs) override {
    std::lock_guard<std::mutex> lock(mu_);
    logs_.insert(logs_.end(), logs.begin(), logs.end());
    return absl::OkStatus();
  }
  std::vector<core::MetricLog> logs() {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }

 private:
  std::mutex mu_;
  std::vector<core::MetricLog> logs_;
};

core::Trial MakeTrial(const std::string& name, nlohmann::json run_spec, const std::string& primary = "main") {
  core::Trial t;
  t.metadata.name = name;
  t.spec.run_spec = std::move(run_spec);
  t.spec.primary_container_name = primary;
  t.spec.objective.objective_metric_name = "loss";
  t.spec.objective.additional_metric_names = {"acc"};
  t.spec.metrics_collector.kind = "StdOut";
  return t;
}

nlohmann::json JobWith(nlohmann::json container) {
  return {{"kind", "Job"}, {"spec", {{"template", {{"spec", {{"containers", {container}}}}}}}}};
}

class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("ktune-exec"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  TrialExit RunToExit(LocalExecutor& executor, const core::Trial& trial) {
    std::promise<TrialExit> done;
    absl::Status st = executor.Start(trial, [&](const TrialExit& e) { done.set_value(e); });
    EXPECT_TRUE(st.ok()) << st;
    if (!st.ok()) return {};
    return done.get_future().get();
  }

  std::filesystem::path dir_;
  RecordingSink sink_;
};

TEST_F(LocalExecutorTest, FindsThePrimaryContainerInAnyPodTemplate) {
  nlohmann::json tfjob = nlohmann::json::parse(R"({"kind": "TFJob", "spec": {"tfReplicaSpecs": {
      "Worker": {"template": {"spec": {"containers": [
        {"name": "sidecar", "command": ["x"]},
        {"name": "tensorflow", "command": ["python3", "train.py"], "args": ["--lr", "0.1"],
         "workingDir": "sub", "env": [{"name": "A", "value": "1"}, {"name": "N", "value": 5}]}]}}}}}})");
  absl::StatusOr<LocalCommand> cmd = LocalCommandFor(MakeTrial("t", tfjob, "tensorflow"));
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->argv, (std::vector<std::string>{"python3", "train.py", "--lr", "0.1"}));
  EXPECT_EQ(cmd->working_dir, "sub");
  EXPECT_THAT(cmd->env, ::testing::Contains(std::make_pair(std::string("A"), std::string("1"))));
  EXPECT_THAT(cmd->env, ::testing::Contains(std::make_pair(std::string("N"), std::string("5"))));
  EXPECT_THAT(cmd->env, ::testing::Contains(std::make_pair(std::string("KATIB_TRIAL_NAME"), std::string("t"))));
}

TEST_F(LocalExecutorTest, ExplainsAWrongPrimaryContainerName) {
  absl::StatusOr<LocalCommand> cmd =
      LocalCommandFor(MakeTrial("t", JobWith({{"name", "training"}, {"command", {"x"}}}), "training-container"));
  ASSERT_FALSE(cmd.ok());
  EXPECT_THAT(cmd.status().message(), HasSubstr("\"training-container\""));
  EXPECT_THAT(cmd.status().message(), HasSubstr("[training]"));
  cmd = LocalCommandFor(MakeTrial("t", JobWith({{"name", "main"}, {"image", "x"}})));
  ASSERT_FALSE(cmd.ok());
  EXPECT_THAT(cmd.status().message(), HasSubstr("has no command"));
}

TEST_F(LocalExecutorTest, StreamsMetricsAndKeepsTheLog) {
  LocalExecutor executor({.work_dir = dir_, .log_dir = dir_ / "logs"}, sink_);
  core::Trial t = MakeTrial("t1", JobWith({{"name", "main"},
                                           {"command", {"sh", "-c", "echo loss=0.5 acc=0.7; echo other=1 >&2; printf loss=0.25"}}}));
  TrialExit exit = RunToExit(executor, t);
  EXPECT_EQ(exit.kind, TrialExit::Kind::kSucceeded);
  std::vector<core::MetricLog> logs = sink_.logs();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].name, "loss");
  EXPECT_EQ(logs[0].value, "0.5");
  EXPECT_EQ(logs[1].name, "acc");
  EXPECT_EQ(logs[2].value, "0.25");  // a last line without newline counts too
  EXPECT_EQ(ReadAll(executor.LogPath("t1")), "loss=0.5 acc=0.7\nother=1\nloss=0.25");
}

TEST_F(LocalExecutorTest, ReportsExitCodesSignalsAndStartErrors) {
  LocalExecutor executor({.work_dir = dir_, .log_dir = dir_ / "logs"}, sink_);
  TrialExit exit = RunToExit(executor, MakeTrial("t2", JobWith({{"name", "main"}, {"command", {"sh", "-c", "exit 7"}}})));
  EXPECT_EQ(exit.kind, TrialExit::Kind::kFailed);
  EXPECT_THAT(exit.message, HasSubstr("exited with code 7"));
  exit = RunToExit(executor, MakeTrial("t3", JobWith({{"name", "main"}, {"command", {"sh", "-c", "kill -SEGV $$"}}})));
  EXPECT_EQ(exit.kind, TrialExit::Kind::kFailed);
  EXPECT_THAT(exit.message, HasSubstr("SIGSEGV"));
  absl::Status st = executor.Start(MakeTrial("t4", JobWith({{"name", "main"}, {"command", {"ktune-no-such-program"}}})),
                                   [](const TrialExit&) { ADD_FAILURE() << "no exit for a trial that never started"; });
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("\"ktune-no-such-program\" not found"));
}

TEST_F(LocalExecutorTest, KillStopsTheWholeProcessGroup) {
  LocalExecutor executor({.work_dir = dir_, .log_dir = dir_ / "logs", .kill_grace_ms = 500}, sink_);
  // The trial starts a grandchild that ignores SIGTERM; Kill must still end everything.
  core::Trial t = MakeTrial("t5", JobWith({{"name", "main"},
      {"command", {"sh", "-c", "(trap '' TERM; sleep 60) & echo $! > grandchild.pid; wait"}}}));
  std::promise<TrialExit> done;
  ASSERT_TRUE(executor.Start(t, [&](const TrialExit& e) { done.set_value(e); }).ok());
  for (int i = 0; i < 200 && !std::filesystem::exists(dir_ / "grandchild.pid"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  executor.Kill("t5");
  TrialExit exit = done.get_future().get();
  EXPECT_EQ(exit.kind, TrialExit::Kind::kKilled);
  pid_t grandchild = std::stoi(ReadAll(dir_ / "grandchild.pid"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Gone, or a zombie waiting for a reaper (PID 1 in a container may never reap it).
  std::string stat = ReadAll("/proc/" + std::to_string(grandchild) + "/stat");
  bool alive = !stat.empty() && stat.find(") Z ") == std::string::npos;
  EXPECT_FALSE(alive) << "the grandchild survived: " << stat;
  EXPECT_EQ(executor.Running(), 0);
}

TEST_F(LocalExecutorTest, EnvironmentAndWorkingDirectory) {
  std::filesystem::create_directories(dir_ / "sub");
  LocalExecutor executor({.work_dir = dir_, .log_dir = dir_ / "logs"}, sink_);
  core::Trial t = MakeTrial("t6", JobWith({{"name", "main"}, {"workingDir", "sub"},
      {"env", {{{"name", "GREETING"}, {"value", "hi there"}}}},
      {"command", {"sh", "-c", "echo \"$GREETING|$KATIB_TRIAL_NAME|$(basename $PWD)\""}}}));
  EXPECT_EQ(RunToExit(executor, t).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(ReadAll(executor.LogPath("t6")), "hi there|t6|sub\n");
}

}  // namespace
}  // namespace ktune::controller
