// Controller semantics with real child processes, a real SQLite store and a scripted
// Suggestion service.

#include "controller/experiment_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controller/local/local_executor.h"
#include "core/codec.h"
#include "core/conditions.h"
#include "core/defaults.h"
#include "core/template.h"
#include "db-manager/store.h"
#include "db-manager/testing/faulty_store.h"
#include "test_support.h"

namespace ktune::controller {
namespace {

using ktune::testing::MakeExperiment;
using ktune::testing::MakeTempDir;
using ktune::testing::Range;
using ktune::testing::ReadAll;
using ktune::testing::ScriptedSuggestions;
using ktune::testing::Spec;
using ::testing::HasSubstr;

ControllerOptions OnProgress(
    std::function<void(const core::Experiment&, const std::vector<core::Trial>&)> progress) {
  ControllerOptions options;
  options.on_progress = std::move(progress);
  return options;
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("ktune-controller");
    auto store = db::OpenStore((dir_ / "ktune.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    sink_ = std::make_unique<MetricsTap>(*store_);
    LocalExecutorOptions options;
    options.work_dir = dir_;
    options.log_dir = dir_ / "logs";
    options.kill_grace_ms = 1000;
    executor_ = std::make_unique<LocalExecutor>(options, *sink_);
  }
  void TearDown() override {
    executor_.reset();
    std::filesystem::remove_all(dir_);
  }

  absl::StatusOr<core::Experiment> Run(const core::Experiment& e, suggestion::SuggestionService& s,
                                       ControllerOptions options = {}) {
    absl::Status created = store_->CreateExperiment(e).status();
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    ExperimentController controller(*store_, *store_, s, *executor_, std::move(options));
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
  std::unique_ptr<MetricsTap> sink_;
  std::unique_ptr<LocalExecutor> executor_;
};

// The parallelism cap and the trial budget are asserted exactly, with no timing, in
// controller_rules_test.cc (FakeExecutor). Here: the same rules with real processes.
TEST_F(ControllerTest, RunsExactlyMaxTrialsWithRealProcesses) {
  Spec spec;
  spec.parallel = 3;
  spec.max_trials = 12;
  spec.script = "echo loss=$1";
  ScriptedSuggestions suggestions("x", Range(30, 1));
  absl::StatusOr<core::Experiment> e = Run(MakeExperiment(spec), suggestions);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kSucceeded);
  EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
  EXPECT_EQ(e->status.trials, 12);
  EXPECT_EQ(e->status.trials_succeeded, 12);
  std::vector<core::Trial> trials = Trials();
  ASSERT_EQ(trials.size(), 12u);
  std::set<std::string> names;
  for (const auto& t : trials) names.insert(t.metadata.name);
  EXPECT_EQ(names.size(), 12u);
  // Values counted down from 30: the last assignment, 19, is the smallest loss.
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "19");
  EXPECT_EQ(e->status.current_optimal_trial.observation.metrics[0].min, "19");
}

TEST_F(ControllerTest, MaxFailedTrialCountFailsTheExperiment) {
  Spec spec;
  spec.parallel = 1;  // one at a time: exactly 3 trials (see controller_rules_test.cc for more)
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
  EXPECT_EQ(trials.size(), 3u);
  int failed = 0;
  for (const auto& t : trials) {
    if (core::ClassifyTrial(t) != core::TrialPhase::kFailed) continue;
    ++failed;
    const core::Condition* c = core::FindCondition(t.status.conditions, core::kFailed);
    EXPECT_EQ(c->reason, "TrialFailed. Job reason: Error");
    EXPECT_THAT(c->message, HasSubstr("exited with code 3"));
  }
  EXPECT_EQ(failed, 3);
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
  EXPECT_EQ(ReadAll(executor_->LogPath(TrialRef::Of(trials[0]))),
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

// REVIEW 1.6: a Stop interrupts the running trials; they are not final and run again with
// the same assignments on resume, so the budget is not used up.
TEST_F(ControllerTest, Review16StopInterruptsRunningTrialsAndResumeRunsThemAgain) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 4;
  spec.script = "if [ ! -f fast ]; then sleep 60; fi; echo loss=$1";
  ScriptedSuggestions suggestions("x", {"3", "4", "1", "2"});
  core::Experiment experiment = MakeExperiment(spec);
  ASSERT_TRUE(store_->CreateExperiment(experiment).ok());
  {
    ExperimentController* controller_ptr = nullptr;
    ExperimentController controller(
        *store_, *store_, suggestions, *executor_,
        OnProgress([&](const core::Experiment& e, const std::vector<core::Trial>&) {
          if (e.status.trials_running == 2) controller_ptr->Stop();
        }));
    controller_ptr = &controller;
    absl::StatusOr<core::Experiment> e = controller.Run("default", "exp");
    EXPECT_TRUE(absl::IsCancelled(e.status())) << e.status();
  }
  EXPECT_EQ(executor_->Running(), 0);
  std::vector<core::Trial> trials = Trials();
  ASSERT_EQ(trials.size(), 2u);
  std::vector<std::string> first_names;
  for (const auto& t : trials) {
    EXPECT_EQ(core::ClassifyTrial(t), core::TrialPhase::kPending);
    EXPECT_EQ(core::FindCondition(t.status.conditions, core::kRunning)->reason,
              kReasonTrialInterrupted);
    first_names.push_back(t.metadata.name);
  }
  auto stored = store_->GetExperiment("default", "exp");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(core::IsExperimentCompleted(*stored));
  EXPECT_EQ(stored->status.trials_killed, 0);

  // A new controller over the same store runs the interrupted trials again, then the rest.
  std::ofstream(dir_ / "fast") << "";
  ExperimentController again(*store_, *store_, suggestions, *executor_);
  absl::StatusOr<core::Experiment> e = again.Run("default", "exp");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
  EXPECT_EQ(e->status.trials, 4);
  EXPECT_EQ(e->status.trials_killed, 0);
  EXPECT_EQ(e->status.trials_succeeded, 4);
  trials = Trials();
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_EQ(trials[0].metadata.name, first_names[0]);
  EXPECT_EQ(trials[1].metadata.name, first_names[1]);
  EXPECT_EQ(trials[0].spec.parameter_assignments[0].value, "3");
  EXPECT_EQ(trials[1].spec.parameter_assignments[0].value, "4");
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "1");
}

// REVIEW 1.6: a crash (the process gone, trials left Running in the Store) costs no budget:
// the orphaned trial runs again, its partial observation log deleted first.
TEST_F(ControllerTest, Review16TrialsOrphanedByACrashRunAgain) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 2;
  spec.script = "echo loss=$1";
  core::Experiment experiment = MakeExperiment(spec);
  ASSERT_TRUE(store_->CreateExperiment(experiment).ok());
  // As a crashed process would leave it: a trial marked Running whose process is gone, with
  // a partial metric.
  absl::StatusOr<core::Trial> orphan = core::NewTrial(experiment, "exp-orphan", {{"x", "9"}});
  ASSERT_TRUE(orphan.ok());
  core::SetCondition(orphan->status.conditions, core::kRunning, "True", "TrialRunning",
                     "Trial is running", "t");
  ASSERT_TRUE(store_->CreateTrial(*orphan).ok());
  ASSERT_TRUE(
      store_->ReportObservationLog("exp-orphan", {{"2026-01-01T00:00:00Z", "loss", "0.5"}}).ok());
  ScriptedSuggestions suggestions("x", {"9", "3"});
  ExperimentController controller(*store_, *store_, suggestions, *executor_);
  absl::StatusOr<core::Experiment> e = controller.Run("default", "exp");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status.trials, 2);
  EXPECT_EQ(e->status.trials_killed, 0);
  EXPECT_EQ(e->status.trials_succeeded, 2);
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "3");
  auto logs = store_->GetObservationLog({"exp-orphan", "loss", "", ""});
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->size(), 1u);  // the partial 0.5 is gone; only the re-run's 9
  EXPECT_EQ((*logs)[0].value, "9");
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

// REVIEW 1.4: a Store error that persists while a real trial runs: Run returns the error only
// after the trial was killed and its exit callback ran, so destroying the controller (before
// the executor, as ktune run does) leaves no callback pointing at it (ASan checks this).
TEST_F(ControllerTest, Review14StoreErrorKillsTheRunningTrialBeforeRunReturns) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 3;
  spec.script = "sleep 60; echo loss=$1";
  core::Experiment experiment = MakeExperiment(spec);
  ASSERT_TRUE(store_->CreateExperiment(experiment).ok());
  db::testing::FaultyStore faulty(*store_);
  faulty.FailCalls("UpdateTrialStatus", absl::UnavailableError("database is locked"), 0, 1000);
  ScriptedSuggestions suggestions("x", Range(1, 3));
  {
    ControllerOptions options;
    options.retry_base_delay = absl::ZeroDuration();
    options.max_unavailable_retries = 3;
    auto controller = std::make_unique<ExperimentController>(faulty, faulty, suggestions,
                                                             *executor_, std::move(options));
    absl::StatusOr<core::Experiment> e = controller->Run("default", "exp");
    EXPECT_TRUE(absl::IsUnavailable(e.status())) << e.status();
    EXPECT_EQ(executor_->Running(), 0);
    controller.reset();
  }
  // The next run resumes: the trial left in the Store runs again, nothing is lost.
  faulty.ClearFaults();
  std::vector<core::Trial> before = Trials();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_FALSE(core::IsTrialCompleted(before[0]));
}

}  // namespace
}  // namespace ktune::controller
