#include "db-manager/testing/faulty_store.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

#include "absl/status/status.h"
#include "core/experiment.h"
#include "db-manager/internal/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::db::testing {
namespace {

using ::testing::HasSubstr;

core::Experiment MakeExperiment(const std::string& name) {
  core::Experiment e;
  e.metadata.namespace_ = "default";
  e.metadata.name = name;
  core::ObjectiveSpec objective;
  objective.type = "minimize";
  objective.objective_metric_name = "loss";
  e.spec.objective = objective;
  e.spec.algorithm = core::AlgorithmSpec{"random", {}};
  return e;
}

core::Trial MakeTrial(const std::string& experiment, const std::string& name) {
  core::Trial t;
  t.metadata.namespace_ = "default";
  t.metadata.name = name;
  t.metadata.labels[core::kExperimentLabel] = experiment;
  t.spec.objective.type = "minimize";
  t.spec.objective.objective_metric_name = "loss";
  return t;
}

ObservationQuery AllOf(const std::string& trial_name) {
  ObservationQuery query;
  query.trial_name = trial_name;
  return query;
}

class FaultyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.status();
    base_ = *std::move(opened);
    ASSERT_TRUE(base_->CreateExperiment(MakeExperiment("exp")).ok());
  }

  std::unique_ptr<SqliteStore> base_;
};

TEST_F(FaultyStoreTest, WithoutRulesForwardsEveryCallAndCountsIt) {
  FaultyStore store(*base_);
  ASSERT_TRUE(store.CreateTrial(MakeTrial("exp", "t1")).ok());
  auto trial = store.GetTrial("default", "t1");
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_EQ(trial->metadata.name, "t1");
  EXPECT_TRUE(base_->GetTrial("default", "t1").ok());
  EXPECT_EQ(store.calls("CreateTrial"), 1);
  EXPECT_EQ(store.calls("GetTrial"), 1);
  EXPECT_EQ(store.calls("UpdateTrialStatus"), 0);
  EXPECT_EQ(store.calls("*"), 2);
}

TEST_F(FaultyStoreTest, FailsTheNthMatchingCallAndChangesNothing) {
  FaultyStore store(*base_);
  ASSERT_TRUE(store.CreateTrial(MakeTrial("exp", "t1")).ok());
  // The third and fourth UpdateTrialStatus (0-based 2 and 3) fail.
  store.FailCalls("UpdateTrialStatus", absl::UnavailableError("injected outage"), /*after=*/2,
                  /*count=*/2);
  core::Trial trial = MakeTrial("exp", "t1");
  for (int i = 0; i < 6; ++i) {
    trial.status.start_time = "2026-01-01T00:00:0" + std::to_string(i) + "Z";
    const absl::Status status = store.UpdateTrialStatus(trial).status();
    if (i == 2 || i == 3) {
      EXPECT_TRUE(absl::IsUnavailable(status)) << i << ": " << status;
      EXPECT_THAT(status.message(), HasSubstr("injected outage"));
      // Nothing reached the base store: it still holds the previous update.
      auto stored = base_->GetTrial("default", "t1");
      ASSERT_TRUE(stored.ok());
      EXPECT_EQ(stored->status.start_time, "2026-01-01T00:00:01Z") << i;
    } else {
      EXPECT_TRUE(status.ok()) << i << ": " << status;
    }
  }
  EXPECT_EQ(store.calls("UpdateTrialStatus"), 6);
  auto last = base_->GetTrial("default", "t1");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->status.start_time, "2026-01-01T00:00:05Z");
}

TEST_F(FaultyStoreTest, RulesCountOnlyTheMethodTheyName) {
  FaultyStore store(*base_);
  store.FailCalls("ReportObservationLog", absl::UnavailableError("down"));
  EXPECT_TRUE(store.GetExperiment("default", "exp").ok());
  EXPECT_TRUE(store.ListTrials("default", "exp").ok());
  const std::vector<core::MetricLog> logs = {{"2024-01-01T00:00:00Z", "loss", "1"}};
  EXPECT_TRUE(absl::IsUnavailable(store.ReportObservationLog("t1", logs)));
  EXPECT_TRUE(store.ReportObservationLog("t1", logs).ok());
  auto stored = base_->GetObservationLog(AllOf("t1"));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 1u);
}

TEST_F(FaultyStoreTest, StarMatchesEveryMethodAndStatusOrCallsFailToo) {
  FaultyStore store(*base_);
  store.FailCalls("*", absl::ResourceExhaustedError("disk full"), /*after=*/1, /*count=*/2);
  EXPECT_TRUE(store.GetExperiment("default", "exp").ok());  // matched call 0
  auto listed = store.ListExperiments({});                  // 1: fails
  EXPECT_TRUE(absl::IsResourceExhausted(listed.status())) << listed.status();
  EXPECT_TRUE(absl::IsResourceExhausted(store.CreateTrial(MakeTrial("exp", "t1")).status()));  // 2
  EXPECT_FALSE(base_->GetTrial("default", "t1").ok());
  EXPECT_TRUE(store.CreateTrial(MakeTrial("exp", "t1")).ok());  // 3
  EXPECT_EQ(store.calls("*"), 4);
}

TEST_F(FaultyStoreTest, FirstRuleAddedWinsAndClearFaultsRemovesThem) {
  FaultyStore store(*base_);
  store.FailCalls("GetExperiment", absl::UnavailableError("first"));
  store.FailCalls("*", absl::InternalError("second"), /*after=*/0, /*count=*/2);
  EXPECT_TRUE(absl::IsUnavailable(store.GetExperiment("default", "exp").status()));
  // The "*" rule counted that call too, so this is its second and last failure.
  EXPECT_TRUE(absl::IsInternal(store.GetExperiment("default", "exp").status()));
  EXPECT_TRUE(store.GetExperiment("default", "exp").ok());
  store.FailCalls("GetExperiment", absl::UnavailableError("again"), 0, 100);
  store.ClearFaults();
  EXPECT_TRUE(store.GetExperiment("default", "exp").ok());
  EXPECT_EQ(store.calls("GetExperiment"), 4);
}

TEST_F(FaultyStoreTest, CountsCallsFromSeveralThreads) {
  FaultyStore store(*base_);
  store.FailCalls("GetExperiment", absl::UnavailableError("down"), /*after=*/10, /*count=*/5);
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 50;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &failures, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        if (!store.GetExperiment("default", "exp").ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int total_failures = 0;
  for (int f : failures) total_failures += f;
  EXPECT_EQ(total_failures, 5);
  EXPECT_EQ(store.calls("GetExperiment"), kThreads * kCallsPerThread);
}

// Every method of both interfaces can be failed by name, and a failed write changes nothing:
// not the objects, not the revision, not the change feed.
TEST_F(FaultyStoreTest, TheNewMethodsFailByNameAndChangeNothing) {
  FaultyStore store(*base_);
  auto trial = store.CreateTrial(MakeTrial("exp", "t1"));
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(store.ReportObservationLog("t1", {{"2024-01-01T00:00:00Z", "loss", "1"}}).ok());
  const int64_t revision = *base_->Revision();
  const absl::Status down = absl::UnavailableError("down");
  for (const char* method : {"UpdateExperimentSpec", "UpdateExperimentStatus", "UpdateTrialStatus",
                             "ListTrialSummaries", "Revision", "ChangesSince", "GetObservationLogs",
                             "ListExperiments", "DeleteExperiment", "PutSuggestionState"}) {
    store.FailCalls(method, down);
  }
  core::Experiment e = *base_->GetExperiment("default", "exp");
  e.spec.max_trial_count = 5;
  EXPECT_TRUE(absl::IsUnavailable(store.UpdateExperimentSpec(e).status()));
  e.status.trials = 5;
  EXPECT_TRUE(absl::IsUnavailable(store.UpdateExperimentStatus(e).status()));
  core::Trial t = *trial;
  t.status.start_time = "2024-01-01T00:00:00Z";
  EXPECT_TRUE(absl::IsUnavailable(store.UpdateTrialStatus(t).status()));
  EXPECT_TRUE(absl::IsUnavailable(store.ListTrialSummaries("default", "exp", {}).status()));
  EXPECT_TRUE(absl::IsUnavailable(store.Revision().status()));
  EXPECT_TRUE(absl::IsUnavailable(store.ChangesSince(0).status()));
  EXPECT_TRUE(absl::IsUnavailable(store.GetObservationLogs({"t1"}, "loss").status()));
  EXPECT_TRUE(absl::IsUnavailable(store.ListExperiments({}).status()));
  EXPECT_TRUE(absl::IsUnavailable(store.DeleteExperiment("default", "exp")));
  EXPECT_TRUE(absl::IsUnavailable(store.PutSuggestionState("default", "exp", "s")));

  EXPECT_EQ(*base_->Revision(), revision);
  EXPECT_TRUE(base_->ChangesSince(revision)->changes.empty());
  EXPECT_FALSE(base_->GetExperiment("default", "exp")->spec.max_trial_count.has_value());
  EXPECT_EQ(base_->GetTrial("default", "t1")->status.start_time, "");
  // Each rule failed one call; the next ones go through.
  EXPECT_TRUE(store.UpdateTrialStatus(t).ok());
  auto logs = store.GetObservationLogs({"t1"}, "loss");
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(logs->size(), 1u);
  // WaitForChanges is counted and forwarded.
  EXPECT_GT(store.WaitForChanges(revision, absl::ZeroDuration()), revision);
  EXPECT_EQ(store.calls("WaitForChanges"), 1);
}

TEST_F(FaultyStoreTest, ABadRuleAbortsTheTest) {
  FaultyStore store(*base_);
  EXPECT_DEATH(store.FailCalls("UpdateTrial", absl::UnavailableError("x")),
               "needs a Store method name");
  // WaitForChanges returns no status: it cannot fail.
  EXPECT_DEATH(store.FailCalls("WaitForChanges", absl::UnavailableError("x")),
               "needs a Store method name");
  EXPECT_DEATH(store.FailCalls("UpdateTrialStatus", absl::OkStatus()), "an error status");
  EXPECT_DEATH(store.FailCalls("UpdateTrialStatus", absl::UnavailableError("x"), -1), "after >= 0");
}

}  // namespace
}  // namespace ktune::db::testing
