// ControllerManager: many experiments in one process, driven deterministically through the
// FakeExecutor (trials end only when the test says so) and WaitIdle (no sleeps).

#include "controller/manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "controller/testing/fake_executor.h"
#include "core/conditions.h"
#include "db-manager/store.h"
#include "tests/unit/controller/test_support.h"

namespace ktune::controller {
namespace {

using ktune::testing::MakeExperiment;
using ktune::testing::MakeTempDir;
using ktune::testing::Range;
using ktune::testing::ScriptedSuggestions;
using ktune::testing::Spec;
using testing::FakeExecutor;

Spec Exp(std::string name, int parallel, int max_trials, std::string resume_policy = "") {
  Spec spec;
  spec.name = std::move(name);
  spec.parallel = parallel;
  spec.max_trials = max_trials;
  spec.resume_policy = std::move(resume_policy);
  return spec;
}

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("ktune-manager");
    absl::StatusOr<std::unique_ptr<db::Store>> store = db::OpenStore((dir_ / "k.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    tap_ = std::make_unique<MetricsTap>(*store_);
    fake_ = std::make_unique<FakeExecutor>(tap_.get());
  }
  void TearDown() override {
    manager_.reset();
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  ControllerManager& StartManager(ManagerOptions options = {}) {
    options.watch_store = watch_store_;
    if (!options.on_deleted) {
      options.on_deleted = [this](const ExperimentKey& key, const std::vector<std::string>& t) {
        deleted_[key.name] = t;
      };
    }
    manager_ = std::make_unique<ControllerManager>(*store_, *store_, suggestions_, *fake_,
                                                   std::move(options));
    tap_->set_manager(manager_.get());
    manager_->Start();
    return *manager_;
  }

  void Create(const Spec& spec) {
    core::Experiment e = MakeExperiment(spec);
    ASSERT_TRUE(store_->CreateExperiment(e).ok());
    manager_->Enqueue({e.metadata.namespace_, e.metadata.name});
  }

  // The trial's experiment, from its label.
  static std::string ExperimentOf(const core::Trial& t) {
    return t.metadata.labels.at(core::kExperimentLabel);
  }
  std::string ExperimentOfRunning(const std::string& trial) {
    for (const core::Trial& t : fake_->starts()) {
      if (t.metadata.name == trial) return ExperimentOf(t);
    }
    return "";
  }

  // Ends running trials one at a time (oldest first) with loss = `loss`, letting the manager
  // react to each, until none is running.
  void DrainAll(const std::string& loss = "1") {
    while (true) {
      manager_->WaitIdle();
      std::vector<std::string> running = fake_->running();
      if (running.empty()) return;
      ASSERT_TRUE(fake_->Succeed(running.front(), {{"loss", loss}}));
    }
  }

  std::vector<core::Trial> Trials(const std::string& name, const std::string& ns = "default") {
    absl::StatusOr<std::vector<core::Trial>> trials = store_->ListTrials(ns, name);
    EXPECT_TRUE(trials.ok()) << trials.status();
    return trials.ok() ? *trials : std::vector<core::Trial>{};
  }
  core::Experiment Stored(const std::string& name, const std::string& ns = "default") {
    absl::StatusOr<core::Experiment> e = store_->GetExperiment(ns, name);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : core::Experiment{};
  }
  static std::string ReasonOf(const core::Experiment& e, const char* type) {
    const core::Condition* c = core::FindCondition(e.status.conditions, type);
    return c && c->status == "True" ? c->reason : "";
  }

  std::filesystem::path dir_;
  std::unique_ptr<db::Store> store_;
  std::unique_ptr<MetricsTap> tap_;
  std::unique_ptr<FakeExecutor> fake_;
  ScriptedSuggestions suggestions_{"x", Range(1, 1000)};
  std::unique_ptr<ControllerManager> manager_;
  std::map<std::string, std::vector<std::string>> deleted_;
  bool watch_store_ = false;
};

TEST_F(ManagerTest, ManyExperimentsShareTheGlobalCapFairlyAndEachEndsWithExactlyItsTrials) {
  ManagerOptions options;
  options.workers = 1;
  options.max_running_trials = 4;
  StartManager(std::move(options));
  for (int i = 0; i < 5; ++i) Create(Exp("exp" + std::to_string(i), 3, 6));
  DrainAll();
  EXPECT_LE(fake_->peak_running(), 4);
  EXPECT_EQ(fake_->peak_running(), 4);
  for (int i = 0; i < 5; ++i) {
    const std::string name = "exp" + std::to_string(i);
    core::Experiment e = Stored(name);
    EXPECT_EQ(ReasonOf(e, core::kSucceeded), core::kReasonMaxTrialsReached) << name;
    EXPECT_EQ(e.status.trials, 6) << name;
    EXPECT_EQ(e.status.trials_succeeded, 6) << name;
    EXPECT_EQ(Trials(name).size(), 6u) << name;
    EXPECT_TRUE(manager_->Wait({"default", name}).ok());
  }
  // Fair: every experiment got a trial running before any got a fourth start.
  std::map<std::string, int> starts;
  std::set<std::string> seen;
  for (const core::Trial& t : fake_->starts()) {
    const std::string exp = ExperimentOf(t);
    seen.insert(exp);
    if (++starts[exp] == 4) {
      EXPECT_EQ(seen.size(), 5u) << exp << " got its 4th trial before every experiment had one";
      break;
    }
  }
  EXPECT_EQ(fake_->starts().size(), 30u);
  EXPECT_EQ(manager_->RunningTrials(), 0);
}

TEST_F(ManagerTest, GlobalCapOfOneRunsOneTrialAtATimeAcrossExperiments) {
  ManagerOptions options;
  options.max_running_trials = 1;
  StartManager(std::move(options));
  Create(Exp("a", 3, 3));
  Create(Exp("b", 3, 3));
  DrainAll();
  EXPECT_EQ(fake_->peak_running(), 1);
  EXPECT_EQ(Trials("a").size(), 3u);
  EXPECT_EQ(Trials("b").size(), 3u);
}

TEST_F(ManagerTest, PerExperimentParallelismStillHoldsUnderAGenerousCap) {
  ManagerOptions options;
  options.max_running_trials = 100;
  StartManager(std::move(options));
  Create(Exp("a", 2, 4));
  manager_->WaitIdle();
  EXPECT_EQ(fake_->running().size(), 2u);
  DrainAll();
  EXPECT_EQ(fake_->peak_running(), 2);
}

TEST_F(ManagerTest, APerExperimentParallelLimitHoldsOnlyWhereItApplies) {
  ManagerOptions options;
  // As `ktune server` limits File-collector experiments where trials cannot get their own
  // metrics file.
  options.parallel_limit = [](const core::Experiment& e) -> std::optional<int32_t> {
    if (e.metadata.name == "limited") return 1;
    return std::nullopt;
  };
  StartManager(std::move(options));
  Create(Exp("limited", 3, 4));
  Create(Exp("free", 3, 3));
  manager_->WaitIdle();
  int limited = 0;
  for (const std::string& t : fake_->running()) limited += ExperimentOfRunning(t) == "limited";
  EXPECT_EQ(limited, 1);
  EXPECT_EQ(fake_->running().size(), 4u);
  DrainAll();
  EXPECT_EQ(Trials("limited").size(), 4u);
  EXPECT_EQ(Trials("free").size(), 3u);
}

TEST_F(ManagerTest, StopEndsOneExperimentAndKillsOnlyItsTrials) {
  StartManager();
  Create(Exp("a", 2, 10));
  Create(Exp("b", 2, 10));
  manager_->WaitIdle();
  ASSERT_EQ(fake_->running().size(), 4u);
  ASSERT_TRUE(manager_->StopExperiment({"default", "a"}).ok());
  manager_->WaitIdle();
  core::Experiment a = Stored("a");
  EXPECT_EQ(ReasonOf(a, core::kSucceeded), kReasonExperimentStopped);
  EXPECT_EQ(a.status.trials_killed, 2);
  EXPECT_EQ(Trials("a").size(), 2u);
  // b's trials run on.
  std::vector<std::string> running = fake_->running();
  ASSERT_EQ(running.size(), 2u);
  for (const std::string& t : running) EXPECT_EQ(ExperimentOfRunning(t), "b");
  DrainAll();
  EXPECT_EQ(Trials("b").size(), 10u);
  EXPECT_EQ(Trials("a").size(), 2u);  // a stopped experiment creates nothing more
}

TEST_F(ManagerTest, DeleteKillsTheTrialsThenRemovesEverythingAndLeavesOthersRunning) {
  StartManager();
  Create(Exp("a", 2, 10));
  Create(Exp("b", 2, 10));
  manager_->WaitIdle();
  // One finished trial of a with an observation log.
  std::string done;
  for (const std::string& t : fake_->running()) {
    if (ExperimentOfRunning(t) == "a") done = t;
  }
  ASSERT_TRUE(fake_->Succeed(done, {{"loss", "0.5"}}));
  manager_->WaitIdle();
  std::vector<std::string> a_trials;
  for (const core::Trial& t : Trials("a")) a_trials.push_back(t.metadata.name);
  ASSERT_EQ(a_trials.size(), 3u);

  ASSERT_TRUE(manager_->Delete({"default", "a"}).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetExperiment("default", "a").status()));
  for (const std::string& t : a_trials) {
    db::ObservationQuery q;
    q.trial_name = t;
    absl::StatusOr<std::vector<core::MetricLog>> logs = store_->GetObservationLog(q);
    ASSERT_TRUE(logs.ok());
    EXPECT_TRUE(logs->empty()) << t;
  }
  EXPECT_EQ(deleted_["a"], a_trials);
  EXPECT_TRUE(absl::IsNotFound(manager_->Wait({"default", "a"}).status()));
  for (const std::string& t : fake_->running()) EXPECT_EQ(ExperimentOfRunning(t), "b");
  EXPECT_EQ(fake_->running().size(), 2u);
  DrainAll();
  EXPECT_EQ(Trials("b").size(), 10u);
}

TEST_F(ManagerTest, RaisingTheBudgetWhileRunningRunsMoreTrials) {
  StartManager();
  Create(Exp("a", 2, 4));
  manager_->WaitIdle();
  ASSERT_TRUE(fake_->Succeed(fake_->running().front(), {{"loss", "1"}}));
  manager_->WaitIdle();
  Budget budget;
  budget.max_trial_count = 7;
  absl::StatusOr<core::Experiment> updated = manager_->UpdateBudget({"default", "a"}, budget);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->metadata.generation, 2);
  DrainAll();
  core::Experiment a = Stored("a");
  EXPECT_EQ(ReasonOf(a, core::kSucceeded), core::kReasonMaxTrialsReached);
  EXPECT_EQ(a.status.trials, 7);
  EXPECT_EQ(*a.spec.max_trial_count, 7);
}

TEST_F(ManagerTest, LoweringTheBudgetWhileRunningEndsEarlierWithoutKilling) {
  StartManager();
  Create(Exp("a", 3, 10));
  manager_->WaitIdle();
  ASSERT_EQ(fake_->running().size(), 3u);
  Budget budget;
  budget.max_trial_count = 3;
  ASSERT_TRUE(manager_->UpdateBudget({"default", "a"}, budget).ok());
  DrainAll();
  core::Experiment a = Stored("a");
  EXPECT_EQ(a.status.trials, 3);
  EXPECT_EQ(a.status.trials_succeeded, 3);
  EXPECT_EQ(a.status.trials_killed, 0);
}

TEST_F(ManagerTest, BudgetUpdateIsCheckedAsKatibDoes) {
  StartManager();
  Create(Exp("a", 2, 4));
  Budget zero;
  zero.max_trial_count = 0;
  absl::Status st = manager_->UpdateBudget({"default", "a"}, zero).status();
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_NE(st.message().find("spec.maxTrialCount"), std::string_view::npos) << st;
  Budget too_parallel;
  too_parallel.parallel_trial_count = 5;
  st = manager_->UpdateBudget({"default", "a"}, too_parallel).status();
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_EQ(*Stored("a").spec.parallel_trial_count, 2);
  DrainAll();
}

// A REST PATCH of maxTrialCount lands in the store while the controller works: the controller's
// next status write meets a newer resourceVersion, takes the new spec and decides under it.
TEST_F(ManagerTest, ConcurrentSpecUpdateByAnotherWriterIsNotLost) {
  StartManager();
  Create(Exp("a", 1, 2));
  manager_->WaitIdle();
  ASSERT_TRUE(fake_->Succeed(fake_->running().front(), {{"loss", "3"}}));
  manager_->WaitIdle();
  ASSERT_EQ(fake_->running().size(), 1u);
  // Another writer raises the budget between two reconciles.
  core::Experiment patched = Stored("a");
  patched.spec.max_trial_count = 4;
  absl::StatusOr<core::Experiment> written = store_->UpdateExperimentSpec(patched);
  ASSERT_TRUE(written.ok()) << written.status();
  // This exit would have completed the experiment under the old budget (2 trials).
  DrainAll();
  core::Experiment a = Stored("a");
  EXPECT_EQ(*a.spec.max_trial_count, 4);
  EXPECT_EQ(a.status.trials, 4);
  EXPECT_EQ(ReasonOf(a, core::kSucceeded), core::kReasonMaxTrialsReached);
}

// The change feed wakes the controller for a spec written by someone else, also when the
// experiment had completed: a LongRunning experiment restarts, as Katib's edit budget.
TEST_F(ManagerTest, ChangeFeedWakesACompletedLongRunningExperimentToRestart) {
  watch_store_ = true;
  StartManager();
  Create(Exp("a", 1, 1, "LongRunning"));
  DrainAll();
  ASSERT_TRUE(manager_->Wait({"default", "a"}).ok());
  ASSERT_EQ(ReasonOf(Stored("a"), core::kSucceeded), core::kReasonMaxTrialsReached);
  core::Experiment patched = Stored("a");
  patched.spec.max_trial_count = 3;
  ASSERT_TRUE(store_->UpdateExperimentSpec(patched).ok());
  // No call into the manager: only the feed can wake it. Wait for the restart's first trial.
  fake_->WaitForStarts(2);
  DrainAll();
  core::Experiment a = Stored("a");
  EXPECT_EQ(a.status.trials, 3);
  EXPECT_EQ(ReasonOf(a, core::kSucceeded), core::kReasonMaxTrialsReached);
}

TEST_F(ManagerTest, ShutdownInterruptsRunningTrialsAndANewManagerRunsThemAgain) {
  {
    ManagerOptions options;
    StartManager(std::move(options));
    Create(Exp("a", 2, 4));
    manager_->WaitIdle();
    ASSERT_EQ(fake_->running().size(), 2u);
    manager_->Shutdown();
    EXPECT_TRUE(absl::IsCancelled(manager_->Wait({"default", "a"}).status()));
  }
  std::vector<core::Trial> trials = Trials("a");
  ASSERT_EQ(trials.size(), 2u);
  for (const core::Trial& t : trials) {
    const core::Condition* running = core::FindCondition(t.status.conditions, core::kRunning);
    ASSERT_NE(running, nullptr);
    EXPECT_EQ(running->status, "False");
    EXPECT_EQ(running->reason, kReasonTrialInterrupted);
    EXPECT_FALSE(core::IsTrialCompleted(t));
  }
  const size_t starts_before = fake_->starts().size();
  StartManager();
  manager_->Enqueue({"default", "a"});
  DrainAll();
  std::vector<std::string> rerun;
  for (size_t i = starts_before; i < fake_->starts().size(); ++i) {
    rerun.push_back(fake_->starts()[i].metadata.name);
  }
  ASSERT_GE(rerun.size(), 2u);
  EXPECT_EQ(rerun[0], trials[0].metadata.name);
  EXPECT_EQ(rerun[1], trials[1].metadata.name);
  core::Experiment a = Stored("a");
  EXPECT_EQ(a.status.trials, 4);  // the interrupted ones count once
  EXPECT_EQ(a.status.trials_succeeded, 4);
}

// A crash leaves trials Running in the store; the next manager Adopts them, and where they did
// not survive (local trials) runs them again.
TEST_F(ManagerTest, TrialsLeftRunningByACrashAreAdoptedThenRunAgain) {
  StartManager();
  Create(Exp("a", 2, 2));
  manager_->WaitIdle();
  std::vector<core::Trial> trials = Trials("a");
  ASSERT_EQ(trials.size(), 2u);
  // Simulate the crash: a fresh store object over the same file, a fresh executor that knows
  // nothing, a fresh manager. The old ones are dropped without Shutdown's write-back.
  auto old_manager = std::move(manager_);
  auto old_fake = std::move(fake_);
  fake_ = std::make_unique<FakeExecutor>(tap_.get());
  StartManager();
  manager_->Enqueue({"default", "a"});
  DrainAll();
  std::vector<std::string> adopts = fake_->adopts();
  std::sort(adopts.begin(), adopts.end());
  std::vector<std::string> names = {trials[0].metadata.name, trials[1].metadata.name};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(adopts, names);
  EXPECT_EQ(Stored("a").status.trials_succeeded, 2);
  EXPECT_EQ(Trials("a").size(), 2u);
  // The old manager's trials were still "running" in the old fake: let it go quietly.
  old_fake->set_exit_on_kill(true);
  old_manager.reset();
  old_fake.reset();
}

TEST_F(ManagerTest, AdoptedTrialThatSurvivedIsWatchedNotRestarted) {
  StartManager();
  Create(Exp("a", 1, 1));
  manager_->WaitIdle();
  const std::string trial = fake_->running().front();
  auto old_manager = std::move(manager_);
  auto old_fake = std::move(fake_);
  fake_ = std::make_unique<FakeExecutor>(tap_.get());
  fake_->set_adopted_survive(true);
  StartManager();
  manager_->Enqueue({"default", "a"});
  manager_->WaitIdle();
  ASSERT_EQ(fake_->running(), std::vector<std::string>{trial});
  EXPECT_TRUE(fake_->starts().empty());
  ASSERT_TRUE(fake_->Succeed(trial, {{"loss", "2"}}));
  manager_->WaitIdle();
  core::Experiment a = Stored("a");
  EXPECT_EQ(a.status.trials_succeeded, 1);
  EXPECT_EQ(a.status.current_optimal_trial.best_trial_name, trial);
  old_manager.reset();
  old_fake.reset();
}

TEST_F(ManagerTest, EarlyStoppedTrialKeepsItsObservation) {
  StartManager();
  Create(Exp("a", 1, 1));
  manager_->WaitIdle();
  const std::string trial = fake_->running().front();
  ASSERT_TRUE(fake_->Exit(trial, TrialExit::Kind::kEarlyStopped, {{"loss", "0.25"}}, "EarlyStopped",
                          "stopped by a rule"));
  manager_->WaitIdle();
  std::vector<core::Trial> trials = Trials("a");
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_TRUE(core::IsConditionTrue(trials[0].status.conditions, core::kEarlyStopped));
  ASSERT_TRUE(trials[0].status.observation.has_value());
  EXPECT_EQ(Stored("a").status.trials_early_stopped, 1);
}

TEST_F(ManagerTest, UnavailableStoreIsRetriedWithBackoffNotFatal) {
  // Exercised through the work queue: a reconcile that fails with Unavailable runs again.
  WorkQueue<int> queue(absl::ZeroDuration(), absl::ZeroDuration());
  EXPECT_EQ(queue.AddRateLimited(1), 1);
  EXPECT_EQ(queue.AddRateLimited(1), 2);
  std::optional<int> key = queue.Get();
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, 1);
  queue.Done(1);
  queue.Forget(1);
  EXPECT_EQ(queue.AddRateLimited(1), 1);
  queue.ShutDown();
}

TEST(WorkQueueTest, KeysAreDeduplicatedAndAKeyAddedWhileProcessingRunsAgainAfterDone) {
  WorkQueue<std::string> queue(absl::ZeroDuration(), absl::ZeroDuration());
  queue.Add("a");
  queue.Add("b");
  queue.Add("a");
  EXPECT_EQ(queue.Ready(), 2u);
  EXPECT_EQ(queue.Get(), "a");
  queue.Add("a");  // while processing: dirty, not handed to a second worker
  EXPECT_EQ(queue.Get(), "b");
  EXPECT_EQ(queue.Ready(), 0u);
  queue.Done("a");
  EXPECT_EQ(queue.Ready(), 1u);
  EXPECT_EQ(queue.Get(), "a");
  queue.Done("a");
  queue.Done("b");
  queue.WaitIdle();
  queue.ShutDown();
  EXPECT_EQ(queue.Get(), std::nullopt);
}

TEST(TrialSlotsTest, WaitingExperimentsGetFreedSlotsInTurn) {
  TrialSlots<std::string> slots(2);
  EXPECT_EQ(slots.Acquire("a", 3), 2);  // a waits for its third
  EXPECT_EQ(slots.Acquire("b", 1), 0);  // b waits behind a
  std::vector<std::string> wake = slots.Release(1);
  EXPECT_EQ(wake, std::vector<std::string>{"a"});
  EXPECT_EQ(slots.Acquire("b", 1), 0);  // not b's turn yet
  EXPECT_EQ(slots.Acquire("a", 1), 1);
  wake = slots.Release(1);
  EXPECT_EQ(wake, std::vector<std::string>{"b"});
  EXPECT_EQ(slots.Acquire("c", 1), 0);  // c queues behind b
  EXPECT_EQ(slots.Acquire("b", 1), 1);
  EXPECT_EQ(slots.used(), 2);
  wake = slots.Leave("c");
  EXPECT_TRUE(wake.empty());
  TrialSlots<std::string> unlimited(0);
  EXPECT_EQ(unlimited.Acquire("a", 100), 100);
}

}  // namespace
}  // namespace ktune::controller

namespace ktune::controller {
namespace {

// An algorithm with state of its own (ABI 1.1 save_state): the manager stores what SaveState
// returns with the suggestion state, and a later session of the experiment opens with it.
class StatefulSuggestions : public suggestion::SuggestionService {
 public:
  absl::Status ValidateAlgorithmSettings(const core::Experiment&) override {
    return absl::OkStatus();
  }
  std::vector<std::string> AlgorithmNames() const override { return {"scripted"}; }
  absl::StatusOr<std::unique_ptr<suggestion::Suggester>> Open(
      const core::Experiment&, const std::string& saved_state) override {
    opened_with.push_back(saved_state);
    return std::unique_ptr<suggestion::Suggester>(new Session(saved_state));
  }
  std::vector<std::string> opened_with;

 private:
  class Session : public suggestion::Suggester {
   public:
    explicit Session(std::string state) : calls_(state.empty() ? 0 : std::stoi(state.substr(6))) {}
    absl::StatusOr<suggestion::SuggestionReply> GetSuggestions(
        const core::Experiment&, const std::vector<core::Trial>&, int32_t count, int32_t,
        const suggestion::CallOptions& options) override {
      EXPECT_LT(absl::Now(), options.deadline);
      EXPECT_NE(options.cancelled, nullptr);
      suggestion::SuggestionReply reply;
      for (int32_t i = 0; i < count; ++i) {
        reply.trials.push_back({"", {{"x", std::to_string(++calls_)}}, {}});
      }
      return reply;
    }
    absl::StatusOr<std::string> SaveState() override {
      return "calls=" + std::to_string(calls_) + std::string(1, '\0');
    }

   private:
    int calls_;
  };
};

TEST_F(ManagerTest, AlgorithmStateIsPersistedAndHandedToTheNextSession) {
  StatefulSuggestions stateful;
  ManagerOptions options;
  options.watch_store = false;
  manager_ = std::make_unique<ControllerManager>(*store_, *store_, stateful, *fake_, options);
  manager_->Start();
  Create(Exp("a", 1, 3));
  manager_->WaitIdle();
  ASSERT_TRUE(fake_->Succeed(fake_->running().front(), {{"loss", "1"}}));
  manager_->WaitIdle();
  manager_->Shutdown();  // one trial interrupted, two created so far
  absl::StatusOr<std::string> state = store_->GetSuggestionState("default", "a");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_NE(state->find("pluginState"), std::string::npos) << *state;

  manager_ = std::make_unique<ControllerManager>(*store_, *store_, stateful, *fake_, options);
  manager_->Start();
  manager_->Enqueue({"default", "a"});
  DrainAll();
  ASSERT_EQ(stateful.opened_with.size(), 2u);
  EXPECT_EQ(stateful.opened_with[0], "");
  // Bytes survive as they were, a NUL included.
  EXPECT_EQ(stateful.opened_with[1], std::string("calls=2") + std::string(1, '\0'));
  EXPECT_EQ(Stored("a").status.trials_succeeded, 3);
}

}  // namespace
}  // namespace ktune::controller
