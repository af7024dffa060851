// The controller's rules driven deterministically: FakeExecutor ends trials exactly when and in
// the order a test says (no processes, threads or sleeps), over a real SQLite Store, wrapped in
// FaultyStore where a test injects Store errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "controller/experiment_controller.h"
#include "controller/testing/fake_executor.h"
#include "core/conditions.h"
#include "db-manager/retrying_store.h"
#include "db-manager/store.h"
#include "db-manager/testing/faulty_store.h"
#include "test_support.h"

namespace ktune::controller {
namespace {

using ktune::controller::testing::FakeExecutor;
using ktune::testing::MakeExperiment;
using ktune::testing::MakeTempDir;
using ktune::testing::Range;
using ktune::testing::ScriptedSuggestions;
using ktune::testing::Spec;
using ::testing::HasSubstr;
using Progress = std::function<void(const core::Experiment&, const std::vector<core::Trial>&)>;

// Hands out the given (name, value) pairs in order; a call after `fail_after` calls fails.
class NamedSuggestions : public suggestion::SuggestionService {
 public:
  NamedSuggestions(std::vector<std::pair<std::string, std::string>> trials, int fail_after = -1)
      : trials_(std::move(trials)), fail_after_(fail_after) {}
  absl::Status ValidateAlgorithmSettings(const core::Experiment&) override {
    return absl::OkStatus();
  }
  std::vector<std::string> AlgorithmNames() const override { return {"scripted"}; }
  absl::StatusOr<std::unique_ptr<suggestion::Suggester>> Open(const core::Experiment&,
                                                              const std::string&) override {
    return std::unique_ptr<suggestion::Suggester>(new Session(*this));
  }

 private:
  class Session : public suggestion::Suggester {
   public:
    explicit Session(NamedSuggestions& owner) : owner_(owner) {}
    absl::StatusOr<suggestion::SuggestionReply> GetSuggestions(
        const core::Experiment&, const std::vector<core::Trial>& trials, int32_t count, int32_t,
        const suggestion::CallOptions&) override {
      if (owner_.fail_after_ >= 0 && owner_.calls_++ >= owner_.fail_after_) {
        return absl::UnavailableError("the algorithm crashed");
      }
      suggestion::SuggestionReply reply;
      for (size_t next = trials.size();
           static_cast<int32_t>(reply.trials.size()) < count && next < owner_.trials_.size();
           ++next) {
        reply.trials.push_back(
            {owner_.trials_[next].first, {{"x", owner_.trials_[next].second}}, {}});
      }
      reply.exhausted = static_cast<int32_t>(reply.trials.size()) < count;
      return reply;
    }

   private:
    NamedSuggestions& owner_;
  };
  std::vector<std::pair<std::string, std::string>> trials_;
  int fail_after_;
  int calls_ = 0;
};

ControllerOptions OnProgress(
    std::function<void(const core::Experiment&, const std::vector<core::Trial>&)> progress) {
  ControllerOptions options;
  options.on_progress = std::move(progress);
  // Store errors are retried at once, a few times (the backoff is the work queue's business).
  options.retry_base_delay = absl::ZeroDuration();
  options.max_unavailable_retries = 3;
  return options;
}

class ControllerRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("ktune-controller-rules");
    auto store = db::OpenStore((dir_ / "ktune.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    sqlite_ = std::move(*store);
    faulty_ = std::make_unique<db::testing::FaultyStore>(*sqlite_);
    sink_ = std::make_unique<MetricsTap>(*faulty_);
    executor_ = std::make_unique<FakeExecutor>(sink_.get());
  }
  void TearDown() override {
    executor_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Create(const core::Experiment& e) { ASSERT_TRUE(sqlite_->CreateExperiment(e).ok()); }

  absl::StatusOr<core::Experiment> Run(suggestion::SuggestionService& s, Progress progress = {},
                                       db::Store* store = nullptr) {
    db::Store& chosen = store ? *store : *faulty_;
    ExperimentController controller(chosen, chosen, s, *executor_, OnProgress(std::move(progress)));
    return controller.Run("default", "exp");
  }

  std::vector<core::Trial> Trials() {
    auto t = sqlite_->ListTrials("default", "exp");
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::vector<core::Trial>{};
  }
  std::string ValueOf(const std::string& trial) {
    for (const core::Trial& t : executor_->starts()) {
      if (t.metadata.name == trial) return t.spec.parameter_assignments[0].value;
    }
    return "";
  }
  // Ends the oldest running trial with loss = its value.
  void SucceedOldest() {
    std::vector<std::string> running = executor_->running();
    if (!running.empty()) executor_->Succeed(running[0], {{"loss", ValueOf(running[0])}});
  }
  const core::Condition& Last(const core::Experiment& e) { return e.status.conditions.back(); }

  std::filesystem::path dir_;
  std::unique_ptr<db::Store> sqlite_;
  std::unique_ptr<db::testing::FaultyStore> faulty_;
  std::unique_ptr<MetricsTap> sink_;
  std::unique_ptr<FakeExecutor> executor_;
};

// REVIEW §3: the parallelism cap, exactly (it replaces a test that measured it with sleeps).
TEST_F(ControllerRulesTest, NeverMoreThanParallelTrialsAndExactlyMaxTrials) {
  Spec spec;
  spec.parallel = 3;
  spec.max_trials = 24;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(30, 1));
  int passes = 0;
  absl::StatusOr<core::Experiment> e = Run(suggestions, [&](const core::Experiment& e, auto&) {
    ++passes;
    EXPECT_LE(executor_->Running(), 3);
    // Between passes the cap is always filled while the budget allows it.
    const int left = 24 - (e.status.trials_succeeded);
    EXPECT_EQ(executor_->Running(), std::min(3, left));
    SucceedOldest();
  });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
  EXPECT_EQ(executor_->peak_running(), 3);
  EXPECT_EQ(executor_->starts().size(), 24u);
  EXPECT_EQ(e->status.trials, 24);
  EXPECT_EQ(e->status.trials_succeeded, 24);
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "7");
  EXPECT_EQ(passes, 25);
}

// REVIEW §3 and 1.8: the max-failed rule exactly, and the trials still running when it is
// reached run to their end and count.
TEST_F(ControllerRulesTest, Review18MaxFailedCountsExactlyAndRunningTrialsFinish) {
  Spec spec;
  spec.parallel = 3;
  spec.max_trials = 20;
  spec.max_failed = 3;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 20));
  absl::StatusOr<core::Experiment> e = Run(suggestions, [&](const core::Experiment& e, auto&) {
    if (core::IsExperimentCompleted(e)) {
      SucceedOldest();
    } else if (!executor_->running().empty()) {
      executor_->Fail(executor_->running()[0]);
    }
  });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kFailed);
  EXPECT_EQ(Last(*e).message, core::kMessageMaxFailedReached);
  // Failures 1, 2, 3 each freed a slot for a new trial until the third: 3 + 2 trials.
  EXPECT_EQ(e->status.trials, 5);
  EXPECT_EQ(e->status.trials_failed, 3);
  EXPECT_EQ(e->status.trials_succeeded, 2);
  EXPECT_EQ(e->status.trials_running, 0);
  EXPECT_TRUE(executor_->kills().empty());
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "4");
}

// REVIEW 1.8: when the goal is reached, running trials are not killed; they end and can
// change the best trial before Run returns.
TEST_F(ControllerRulesTest, Review18GoalReachedLetsRunningTrialsFinishAndCount) {
  Spec spec;
  spec.parallel = 3;
  spec.max_trials = 10;
  spec.goal = "5";
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", {"a", "b", "c", "d"});
  int pass = 0;
  absl::StatusOr<core::Experiment> e = Run(suggestions, [&](const core::Experiment& e, auto&) {
    std::vector<std::string> running = executor_->running();
    switch (pass++) {
      case 0:
        ASSERT_EQ(running.size(), 3u);
        executor_->Succeed(running[0], {{"loss", "4"}});  // goal reached
        break;
      case 1:
        EXPECT_TRUE(core::IsExperimentCompleted(e));
        EXPECT_EQ(e.status.trials_running, 2);
        executor_->Succeed(running[0], {{"loss", "1"}});  // better than the goal
        break;
      case 2:
        executor_->Fail(running[0]);
        break;
      default:  // the last pass, after the last trial ended
        EXPECT_TRUE(running.empty());
        EXPECT_EQ(e.status.trials_running, 0);
    }
  });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonGoalReached);
  EXPECT_EQ(e->status.trials, 3);
  EXPECT_EQ(e->status.trials_succeeded, 2);
  EXPECT_EQ(e->status.trials_failed, 1);
  EXPECT_EQ(e->status.trials_running, 0);
  EXPECT_TRUE(executor_->kills().empty());
  EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "b");
}

// REVIEW 1.8: a suggestion failure fails the experiment, but Run returns only once the trial
// still running has ended: no "Failed, 1 running" is left behind.
TEST_F(ControllerRulesTest, Review18SuggestionFailureWaitsForRunningTrials) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 4;
  Create(MakeExperiment(spec));
  NamedSuggestions suggestions({{"", "1"}, {"", "2"}, {"", "3"}}, /*fail_after=*/1);
  absl::StatusOr<core::Experiment> e =
      Run(suggestions, [&](const core::Experiment&, auto&) { SucceedOldest(); });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).type, core::kFailed);
  EXPECT_THAT(Last(*e).message, HasSubstr("Suggestion has failed: the algorithm crashed"));
  EXPECT_EQ(e->status.trials, 2);
  EXPECT_EQ(e->status.trials_succeeded, 2);
  EXPECT_EQ(e->status.trials_running, 0);
  EXPECT_TRUE(executor_->kills().empty());
}

// REVIEW 1.6 + 1.8: stopped while trials were finishing after the goal: the experiment stays
// Succeeded, and the next Run runs the interrupted trials to their end before it returns.
TEST_F(ControllerRulesTest, Review16StopWhileFinishingAfterTheGoalResumesTheRunningTrials) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 10;
  spec.goal = "5";
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 10));
  {
    ExperimentController* self = nullptr;
    ExperimentController controller(
        *faulty_, *faulty_, suggestions, *executor_,
        OnProgress([&](const core::Experiment& e, auto&) {
          if (!core::IsExperimentCompleted(e)) {
            executor_->Succeed(executor_->running()[0], {{"loss", "4"}});  // goal reached
          } else {
            self->Stop();
          }
        }));
    self = &controller;
    EXPECT_TRUE(absl::IsCancelled(controller.Run("default", "exp").status()));
  }
  auto stored = sqlite_->GetExperiment("default", "exp");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(Last(*stored).reason, core::kReasonGoalReached);
  EXPECT_EQ(stored->status.trials_pending, 1);

  absl::StatusOr<core::Experiment> e = Run(suggestions, [&](const core::Experiment&, auto&) {
    std::vector<std::string> running = executor_->running();
    if (!running.empty()) executor_->Succeed(running[0], {{"loss", "2"}});
  });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonGoalReached);
  EXPECT_EQ(e->status.trials, 2);
  EXPECT_EQ(e->status.trials_succeeded, 2);
  EXPECT_EQ(e->status.trials_pending + e->status.trials_running, 0);
  EXPECT_EQ(e->status.current_optimal_trial.observation.metrics[0].min, "2");
}

// ControllerOptions::max_parallel_trials caps below spec.parallelTrialCount (ktune run uses it
// for File-collector trials that cannot get their own metrics file).
TEST_F(ControllerRulesTest, MaxParallelTrialsCapsTheSpec) {
  Spec spec;
  spec.parallel = 4;
  spec.max_trials = 5;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 10));
  ControllerOptions options = OnProgress([&](const core::Experiment&, auto&) { SucceedOldest(); });
  options.max_parallel_trials = 1;
  ExperimentController controller(*faulty_, *faulty_, suggestions, *executor_, std::move(options));
  absl::StatusOr<core::Experiment> e = controller.Run("default", "exp");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status.trials_succeeded, 5);
  EXPECT_EQ(executor_->peak_running(), 1);
}

// REVIEW 1.6: trials interrupted by Stop run again with the same names and assignments; the
// experiment ends with exactly maxTrialCount trials, none Killed.
TEST_F(ControllerRulesTest, Review16InterruptedTrialsRunAgainWithTheSameAssignments) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 4;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 10));
  std::vector<std::string> interrupted;
  {
    ExperimentController* self = nullptr;
    ExperimentController controller(
        *faulty_, *faulty_, suggestions, *executor_,
        OnProgress([&](const core::Experiment&, auto&) {
          if (executor_->Running() != 2 || !interrupted.empty()) return;
          interrupted = executor_->running();
          // A partial metric that must not survive into the re-run.
          ASSERT_TRUE(
              sqlite_
                  ->ReportObservationLog(interrupted[0], {{"2026-01-01T00:00:00Z", "loss", "-100"}})
                  .ok());
          self->Stop();
        }));
    self = &controller;
    absl::StatusOr<core::Experiment> e = controller.Run("default", "exp");
    EXPECT_TRUE(absl::IsCancelled(e.status())) << e.status();
  }
  ASSERT_EQ(interrupted.size(), 2u);
  std::vector<std::string> kills = executor_->kills();
  EXPECT_EQ(std::set<std::string>(kills.begin(), kills.end()),
            std::set<std::string>(interrupted.begin(), interrupted.end()));
  for (const core::Trial& t : Trials())
    EXPECT_EQ(core::ClassifyTrial(t), core::TrialPhase::kPending);

  absl::StatusOr<core::Experiment> e =
      Run(suggestions, [&](const core::Experiment&, auto&) { SucceedOldest(); });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
  EXPECT_EQ(e->status.trials, 4);
  EXPECT_EQ(e->status.trials_succeeded, 4);
  EXPECT_EQ(e->status.trials_killed, 0);
  std::vector<core::Trial> starts = executor_->starts();
  ASSERT_EQ(starts.size(), 6u);
  EXPECT_EQ(starts[2].metadata.name, interrupted[0]);
  EXPECT_EQ(starts[3].metadata.name, interrupted[1]);
  EXPECT_EQ(starts[2].spec.parameter_assignments[0].value,
            starts[0].spec.parameter_assignments[0].value);
  EXPECT_EQ(starts[3].spec.parameter_assignments[0].value,
            starts[1].spec.parameter_assignments[0].value);
  std::set<std::string> values;
  for (const core::Trial& t : Trials()) values.insert(t.spec.parameter_assignments[0].value);
  EXPECT_EQ(values, (std::set<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(e->status.current_optimal_trial.observation.metrics[0].min, "1");  // not -100
}

// REVIEW 1.7 (controller side): a Kill that races the trial's own end keeps its result: the
// trial is Succeeded and counted, not re-run.
TEST_F(ControllerRulesTest, Review17KillRacingAnExitKeepsTheResult) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 2;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 2));
  executor_->set_exit_on_kill(false);
  std::thread finisher;
  {
    ExperimentController* self = nullptr;
    ExperimentController controller(*faulty_, *faulty_, suggestions, *executor_,
                                    OnProgress([&](const core::Experiment&, auto&) {
                                      if (finisher.joinable() || executor_->Running() != 1) return;
                                      const std::string name = executor_->running()[0];
                                      finisher = std::thread([this, name] {
                                        executor_->WaitForKill(name);
                                        executor_->Succeed(name, {{"loss", "1"}});
                                      });
                                      self->Stop();
                                    }));
    self = &controller;
    EXPECT_TRUE(absl::IsCancelled(controller.Run("default", "exp").status()));
  }
  finisher.join();
  std::vector<core::Trial> trials = Trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(core::ClassifyTrial(trials[0]), core::TrialPhase::kSucceeded);
}

// The Executor contract allows on_exit before Start returns.
TEST_F(ControllerRulesTest, ExitBeforeStartReturnsIsApplied) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 2;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 2));
  executor_->ExitDuringStart(TrialExit::Kind::kFailed);
  absl::StatusOr<core::Experiment> e =
      Run(suggestions, [&](const core::Experiment&, auto&) { SucceedOldest(); });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status.trials, 2);
  EXPECT_EQ(e->status.trials_failed, 1);
  EXPECT_EQ(e->status.trials_succeeded, 1);
  EXPECT_EQ(e->status.trials_running, 0);
}

// REVIEW 1.4: the Store fails on the Nth write and keeps failing: Run returns the error with no
// trial left running; the next Run over a healthy Store ends with exactly maxTrialCount
// trials, all distinct, nothing lost.
TEST_F(ControllerRulesTest, Review14StoreFailingOnTheNthWriteLosesNothing) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 6;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 10));
  faulty_->FailCalls("UpdateTrialStatus", absl::UnavailableError("database is locked"), /*after=*/5,
                     /*count=*/1000);
  absl::StatusOr<core::Experiment> e =
      Run(suggestions, [&](const core::Experiment&, auto&) { SucceedOldest(); });
  EXPECT_TRUE(absl::IsUnavailable(e.status())) << e.status();
  EXPECT_EQ(executor_->Running(), 0);

  faulty_->ClearFaults();
  e = Run(suggestions, [&](const core::Experiment&, auto&) { SucceedOldest(); });
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
  EXPECT_EQ(e->status.trials, 6);
  EXPECT_EQ(e->status.trials_succeeded, 6);
  std::set<std::string> values;
  for (const core::Trial& t : Trials()) values.insert(t.spec.parameter_assignments[0].value);
  EXPECT_EQ(values.size(), 6u);
}

// REVIEW 1.4: wrapped in RetryingStore, a Store that is Unavailable for a moment costs nothing.
TEST_F(ControllerRulesTest, Review14RetryingStoreRidesOutAnUnavailableStore) {
  Spec spec;
  spec.parallel = 2;
  spec.max_trials = 4;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 10));
  faulty_->FailCalls("*", absl::UnavailableError("database is locked"), /*after=*/10,
                     /*count=*/3);
  db::RetryingStore retrying(*faulty_, {.sleep = [](std::chrono::milliseconds) {}});
  absl::StatusOr<core::Experiment> e = Run(
      suggestions, [&](const core::Experiment&, auto&) { SucceedOldest(); }, &retrying);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status.trials_succeeded, 4);
}

// REVIEW 1.8: plugin-supplied trial names are checked before anything is created.
TEST_F(ControllerRulesTest, Review18BadTrialNamesFailTheSuggestion) {
  const std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>>
      cases = {
          {{{"../escape", "1"}}, "\"../escape\""},
          {{{"a/b", "1"}}, "\"a/b\""},
          {{{"Upper", "1"}}, "\"Upper\""},
          {{{"ok-1", "1"}, {"ok-1", "2"}}, "\"ok-1\": the reply names two trials so"},
          {{{"", "1"}, {"exp-x", "2"}, {"exp-x", "3"}}, "\"exp-x\""},
      };
  for (const auto& [trials, expected] : cases) {
    SCOPED_TRACE(expected);
    ASSERT_TRUE(sqlite_->DeleteExperiment("default", "exp").ok() || Trials().empty());
    Spec spec;
    spec.parallel = 2;
    spec.max_trials = 4;
    Create(MakeExperiment(spec));
    NamedSuggestions suggestions(trials);
    absl::StatusOr<core::Experiment> e =
        Run(suggestions, [&](const core::Experiment&, auto&) { SucceedOldest(); });
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(Last(*e).type, core::kFailed);
    EXPECT_THAT(Last(*e).message, HasSubstr("the algorithm returned trial name " + expected));
    EXPECT_THAT(Last(*e).message, HasSubstr("DNS-1123"));
    for (const core::Trial& t : Trials()) EXPECT_TRUE(CheckTrialName(t.metadata.name).empty());
  }
}

TEST(CheckTrialNameTest, Dns1123Subdomain) {
  const std::vector<std::string> goods = {"a", "exp-abc12", "a.b", "0x", std::string(253, 'a')};
  for (const std::string& good : goods) {
    EXPECT_EQ(CheckTrialName(good), "") << good;
  }
  const std::vector<std::string> bads = {
      "", "-a", "a-", "a..b", ".a", "a.", "A", "a_b", "a/b", "..", std::string(254, 'a')};
  for (const std::string& bad : bads) {
    EXPECT_NE(CheckTrialName(bad), "") << bad;
  }
}

// Katib's restart: a LongRunning experiment that ended by maxTrialCount runs the new trials
// when maxTrialCount is raised; a Never one is final.
TEST_F(ControllerRulesTest, Review18RestartAfterLongRunningWithARaisedMaxTrialCount) {
  for (const std::string& policy : std::vector<std::string>{"LongRunning", "Never"}) {
    SCOPED_TRACE(policy);
    (void)sqlite_->DeleteExperiment("default", "exp");
    Spec spec;
    spec.parallel = 1;
    spec.max_trials = 2;
    spec.resume_policy = policy;
    Create(MakeExperiment(spec));
    ScriptedSuggestions suggestions("x", Range(9, 1));
    auto progress = [&](const core::Experiment&, auto&) { SucceedOldest(); };
    absl::StatusOr<core::Experiment> e = Run(suggestions, progress);
    ASSERT_TRUE(e.ok()) << e.status();
    ASSERT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);

    e->spec.max_trial_count = 4;
    e->metadata.resource_version.clear();
    ASSERT_TRUE(sqlite_->UpdateExperimentSpec(*e).ok());
    e = Run(suggestions, progress);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(Last(*e).reason, core::kReasonMaxTrialsReached);
    if (policy == "LongRunning") {
      EXPECT_EQ(e->status.trials, 4);
      EXPECT_TRUE(core::IsConditionTrue(e->status.conditions, core::kRestarting));
      EXPECT_EQ(e->status.current_optimal_trial.parameter_assignments[0].value, "6");
    } else {
      EXPECT_EQ(e->status.trials, 2);
    }
  }
}

// REVIEW 1.9: Stop before Run, and Run called twice, are defined.
TEST_F(ControllerRulesTest, Review19StopBeforeRunAndRunTwice) {
  Spec spec;
  spec.parallel = 1;
  spec.max_trials = 2;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 2));
  ExperimentController controller(
      *faulty_, *faulty_, suggestions, *executor_,
      OnProgress([&](const core::Experiment&, auto&) { SucceedOldest(); }));
  controller.Stop();
  EXPECT_TRUE(absl::IsCancelled(controller.Run("default", "exp").status()));
  EXPECT_TRUE(executor_->starts().empty());
  // The request was consumed: the same controller runs the experiment to its end.
  absl::StatusOr<core::Experiment> e = controller.Run("default", "exp");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status.trials_succeeded, 2);
  // And again: a completed experiment is returned as it is.
  e = controller.Run("default", "exp");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->status.trials, 2);
  EXPECT_EQ(executor_->starts().size(), 2u);
}

// REVIEW 1.4: the controller can be destroyed right after Run returned an error, before the
// executor, with nothing of it reachable from a later exit (ASan).
TEST_F(ControllerRulesTest, Review14DestroyedAfterAStoreErrorWithTrialsRunning) {
  Spec spec;
  spec.parallel = 3;
  spec.max_trials = 6;
  Create(MakeExperiment(spec));
  ScriptedSuggestions suggestions("x", Range(1, 10));
  faulty_->FailCalls("UpdateExperimentStatus", absl::InternalError("disk I/O error"), /*after=*/0,
                     /*count=*/1000);
  {
    ExperimentController controller(*faulty_, *faulty_, suggestions, *executor_, OnProgress({}));
    EXPECT_EQ(controller.Run("default", "exp").status().code(), absl::StatusCode::kInternal);
  }
  EXPECT_EQ(executor_->Running(), 0);
  EXPECT_EQ(executor_->kills().size(), 3u);
  // Exits reported now reach nobody (none is left to report).
  executor_->Shutdown(StopReason::kInterrupt);
}

}  // namespace
}  // namespace ktune::controller
