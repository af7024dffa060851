// Controller semantics with real child processes, a real SQLite store and a scripted
// Suggestion service.

#include "controller/experiment_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controller/local/local_executor.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "core/status.h"
#include "core/template.h"
#include "db-manager/store.h"
#include "test_support.h"

namespace ktune::controller {
namespace {

using ::testing::HasSubstr;
using ktune::testing::MakeTempDir;
using ktune::testing::ReadAll;
using ktune::testing::ScriptedSuggestions;

struct Spec {
  std::string type = "minimize";
  std::string goal;
  int parallel = 3;
  int max_trials = 0;
  int max_failed = 0;
  std::string script;                   // run as: sh -c SCRIPT sh <value>
  std::vector<std::string> command;     // instead of the script
};

core::Experiment MakeExperiment(const Spec& s) {
  nlohmann::json command = nlohmann::json::array();
  if (s.command.empty()) {
    command = {"sh", "-c", s.script, "sh", "${trialParameters.x}"};
  } else {
    for (const auto& c : s.command) command.push_back(c);
  }
  std::string yaml = absl::StrCat(R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: exp}
spec:
  objective: {type: )", s.type, s.goal.empty() ? "" : ", goal: " + s.goal, R"(, objectiveMetricName: loss}
  algorithm: {algorithmName: scripted}
  parallelTrialCount: )", s.parallel, s.max_trials ? absl::StrCat("\n  maxTrialCount: ", s.max_trials) : "",
                                  s.max_failed ? absl::StrCat("\n  maxFailedTrialCount: ", s.max_failed) : "", R"(
  parameters: [{name: x, parameterType: categorical, feasibleSpace: {list: [a]}}]
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{name: x, reference: x}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                command: )", command.dump(), R"(
)");
  absl::StatusOr<core::Experiment> e = core::ParseExperiment(yaml);
  EXPECT_TRUE(e.ok()) << e.status() << yaml;
  core::SetDefaults(*e);
  return *e;
}

std::vector<std::string> Range(int from, int to) {  // inclusive, counting either way
  std::vector<std::string> out;
  for (int i = from;; i += (to >= from ? 1 : -1)) {
    out.push_back(std::to_string(i));
    if (i == to) break;
  }
  return out;
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("ktune-controller");
    auto store = db::OpenStore((dir_ / "ktune.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    sink_ = std::make_unique<StoreMetricsSink>(*store_);
    executor_ = std::make_unique<LocalExecutor>(
        LocalExecutorOptions{.work_dir = dir_, .log_dir = dir_ / "logs", .kill_grace_ms = 1000}, *sink_);
  }
  void TearDown() override {
    executor_.reset();
    std::filesystem::remove_all(dir_);
  }

  absl::StatusOr<core::Experiment> Run(const core::Experiment& e, suggestion::SuggestionService& s,
                                       ControllerOptions options = {}) {
    absl::Status created = store_->CreateExperiment(e);
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    ExperimentController controller(*store_, s, *executor_, std::move(options));
    return controller.Run(e.metadata.namespace_, e.metadata.name);
  }

  std::vector<core::Trial> Trials() {
    auto t = store_->ListTrials("default", "exp");
    EXPECT_TRUE(t.ok()) << t.status();
    return *t;
  }

  const core::Condition& Last(const core::Experiment& e) { return e.status.conditions.back(); }

  std::filesystem::path dir_;
  std::unique_ptr<db::Store> store_;
  std::unique_ptr<StoreMetricsSink> sink_;
  std::unique_ptr<LocalExecutor> executor_;
};

TEST_F(ControllerTest, RunsExactlyMaxTrialsNeverMoreThanParallelAtOnce) {
  // Each trial records its start and end (ns) so concurrency can be measured exactly.
  Spec spec;
  spec.parallel = 3;
  spec.max_trials = 24;
  spec.script = "echo start $(date +%s%N) >> marks; sleep 0.3; echo end $(date +%s%N) >> marks; echo loss=$1";
  ScriptedSuggestions suggestions("x", Range(30, 1));
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kSucceeded);
  EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
  EXPECT_EQ(e->status.trials, 24);
  EXPECT_EQ(e->status.trials_succeeded, 24);
  std::vector<core::Trial> trials = Trials();
  ASSERT_EQ(trials.size(), 24u);
  std::set<std::string> names;
  for (const auto& t : trials) names.insert(t.metadata.name);
  EXPECT_EQ(names.size(), 24u);

  std::vector<std::pair<long long, int>> events;
  for (const auto& line : absl::StrSplit(ReadAll(dir_ / "marks"), '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    ASSERT_EQ(parts.size(), 2u) << line;
    events.emplace_back(std::stoll(parts[1]), parts[0] == "start" ? 1 : -1);
  }
  ASSERT_EQ(events.size(), 48u);
  std::sort(events.begin(), events.end());  // at equal times an end (-1) sorts first
  int running = 0, peak = 0;
  for (const auto& [time, delta] : events) peak = std::max(peak, running += delta);
  EXPECT_LE(peak, 3);
  EXPECT_GE(peak, 2) << "trials did not run in parallel";
  // Values counted down from 30: the last assignment, 7, is the smallest loss.
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "7");
  EXPECT_EQ(e->status.current_optimal_trial.observation.metrics[0].min, "7");
}

TEST_F(ControllerTest, MaxFailedTrialCountFailsTheExperiment) {
  Spec spec;
  spec.parallel = 3;
  spec.max_trials = 20;
  spec.max_failed = 3;
  spec.script = "echo boom >&2; exit 3";
  ScriptedSuggestions suggestions("x", Range(1, 20));
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kFailed);
  EXPECT_EQ(Last(*e).reason, core::kReasonExperimentFailed);
  EXPECT_EQ(Last(*e).message, core::kMessageMaxFailedReached);
  std::vector<core::Trial> trials = Trials();
  // Once the third failure is in, nothing new starts; at most parallel-1 were already running.
  EXPECT_GE(trials.size(), 3u);
  EXPECT_LE(trials.size(), 5u);
  int failed = 0;
  for (const auto& t : trials) {
    if (core::ClassifyTrial(t) != core::TrialPhase::kFailed) continue;
    ++failed;
    const core::Condition* c = core::FindCondition(t.status.conditions, core::kFailed);
    EXPECT_EQ(c->reason, "TrialFailed. Job reason: Error");
    EXPECT_THAT(c->message, HasSubstr("exited with code 3"));
  }
  EXPECT_GE(failed, 3);
}

TEST_F(ControllerTest, ReachableGoalEndsEarly) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 10;
  spec.goal = "5";
  spec.script = "echo loss=$1";
  ScriptedSuggestions suggestions("x", Range(9, 0));
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kSucceeded);
  EXPECT_EQ(Last(*e).reason, core::kReasonGoalReached);
  EXPECT_EQ(Last(*e).message, core::kMessageGoalReached);
  EXPECT_EQ(e->status.trials, 5);  // 9, 8, 7, 6, 5
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "5");
}

TEST_F(ControllerTest, ExhaustedSearchSpaceSucceeds) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 100;
  spec.script = "echo loss=$1";
  ScriptedSuggestions suggestions("x", Range(1, 5));
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonSuggestionEndReached);
  EXPECT_EQ(Last(*e).message, core::kMessageSuggestionEndReached);
  EXPECT_EQ(e->status.trials, 5);
}

TEST_F(ControllerTest, ParameterValueIsOneLiteralArgument) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 1;
  spec.command = {"/bin/echo", "loss=1", "${trialParameters.x}"};
  ScriptedSuggestions suggestions("x", {"a;touch pwned $(touch pwned2) `touch pwned3`"});
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  std::vector<core::Trial> trials = Trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(ReadAll(executor_->LogPath(trials[0].metadata.name)),
            "loss=1 a;touch pwned $(touch pwned2) `touch pwned3`\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pwned"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pwned2"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pwned3"));
}

TEST_F(ControllerTest, MissingObjectiveMetricIsMetricsUnavailable) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 3;
  spec.max_failed = 1;
  spec.script = "echo accuracy=0.9";
  ScriptedSuggestions suggestions("x", Range(1, 3));
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kFailed);  // MetricsUnavailable counts toward maxFailedTrialCount
  std::vector<core::Trial> trials = Trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(core::ClassifyTrial(trials[0]), core::TrialPhase::kMetricsUnavailable);
  auto logs = store_->GetObservationLog({trials[0].metadata.name, "loss", "", ""});
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].value, "unavailable");
  EXPECT_EQ(trials[0].status.observation->metrics[0].latest, "unavailable");
}

TEST_F(ControllerTest, StopKillsRunningTrialsAndRunResumes) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 4;
  spec.script = "if [ \"$1\" = slow ]; then sleep 60; fi; echo loss=$1";
  ScriptedSuggestions suggestions("x", {"slow", "slow", "1", "2"});
  core::Experiment experiment = MakeExperiment(spec);
  ASSERT_TRUE(store_->CreateExperiment(experiment).ok());
  {
    ExperimentController* controller_ptr = nullptr;
    ExperimentController controller(*store_, suggestions, *executor_,
                                    {.on_progress = [&](const core::Experiment& e, const std::vector<core::Trial>&) {
                                      if (e.status.trials_running == 2) controller_ptr->Stop();
                                    }});
    controller_ptr = &controller;
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<core::Experiment> e = controller.Run("default", "exp");
    EXPECT_TRUE(absl::IsCancelled(e.status())) << e.status();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  }
  std::vector<core::Trial> trials = Trials();
  ASSERT_EQ(trials.size(), 2u);
  for (const auto& t : trials) EXPECT_EQ(core::ClassifyTrial(t), core::TrialPhase::kKilled);
  auto stored = store_->GetExperiment("default", "exp");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(core::IsExperimentCompleted(*stored));
  EXPECT_EQ(stored->status.trials_killed, 2);

  // A new controller over the same store carries on from there.
  ExperimentController again(*store_, suggestions, *executor_);
  absl::StatusOr<core::Experiment> e = again.Run("default", "exp");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
  EXPECT_EQ(e->status.trials, 4);
  EXPECT_EQ(e->status.trials_killed, 2);
  EXPECT_EQ(e->status.trials_succeeded, 2);
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "1");
}

TEST_F(ControllerTest, TrialsOrphanedByACrashAreMarkedKilled) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 2;
  spec.script = "echo loss=$1";
  core::Experiment experiment = MakeExperiment(spec);
  ASSERT_TRUE(store_->CreateExperiment(experiment).ok());
  // As a crashed process would leave it: a trial marked Running whose process is gone.
  absl::StatusOr<core::Trial> orphan = core::NewTrial(experiment, "exp-orphan", {{"x", "9"}});
  ASSERT_TRUE(orphan.ok());
  core::SetCondition(orphan->status.conditions, core::kRunning, "True", "TrialRunning", "Trial is running", "t");
  ASSERT_TRUE(store_->CreateTrial(*orphan).ok());
  ScriptedSuggestions suggestions("x", {"9", "3"});
  ExperimentController controller(*store_, suggestions, *executor_);
  absl::StatusOr<core::Experiment> e = controller.Run("default", "exp");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status.trials, 2);
  EXPECT_EQ(e->status.trials_killed, 1);
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "3");
}

TEST_F(ControllerTest, CommandThatCannotStartFailsTheExperimentWithoutLooping) {
  Spec spec;
  spec.parallel = 2;
  spec.command = {"no-such-command-ktune", "${trialParameters.x}"};
  ScriptedSuggestions suggestions("x", Range(1, 1000));
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kFailed);
  EXPECT_THAT(Last(*e).message, HasSubstr("no-such-command-ktune"));
  EXPECT_LE(e->status.trials, 2);
}

}  // namespace
}  // namespace ktune::controller
