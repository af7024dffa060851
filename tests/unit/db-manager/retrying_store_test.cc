#include "db-manager/retrying_store.h"
#include "tests/unit/db-manager/experiment_store_conformance.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/experiment.h"
#include "db-manager/internal/sqlite_store.h"
#include "db-manager/testing/faulty_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::db {
namespace {

using ::std::chrono::milliseconds;
using ::testing::ElementsAre;
using testing::FaultyStore;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The conformance suites' fixtures, in namespace "default".
core::Experiment MakeExperiment(const std::string& name) {
  return conformance::MakeExperiment("default", name);
}
core::Trial MakeTrial(const std::string& experiment, const std::string& name) {
  return conformance::MakeTrial("default", experiment, name);
}

ObservationQuery AllOf(const std::string& trial_name) {
  ObservationQuery query;
  query.trial_name = trial_name;
  return query;
}

class RetryingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.status();
    base_ = *std::move(opened);
    ASSERT_TRUE(base_->CreateExperiment(MakeExperiment("exp")).ok());
  }

  // A policy that records its waits instead of sleeping.
  RetryPolicy Recording(int max_attempts = 8, milliseconds initial = milliseconds(20),
                        milliseconds max = milliseconds(2000)) {
    RetryPolicy policy;
    policy.max_attempts = max_attempts;
    policy.initial_backoff = initial;
    policy.max_backoff = max;
    policy.sleep = [this](milliseconds wait) { waits_.push_back(wait); };
    return policy;
  }

  std::unique_ptr<SqliteStore> base_;
  std::vector<milliseconds> waits_;
};

// REVIEW 1.4: a Store that is Unavailable for a moment no longer fails the call.
TEST_F(RetryingStoreTest, Review14_UnavailableThreeTimesThenSuccessSucceeds) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording(/*max_attempts=*/8, milliseconds(100), milliseconds(300)));
  faulty.FailCalls("ReportObservationLog", absl::UnavailableError("database is locked"),
                   /*after=*/0, /*count=*/3);
  const std::vector<core::MetricLog> logs = {{"2024-01-01T00:00:00Z", "loss", "0.5"}};
  const absl::Status status = store.ReportObservationLog("t1", logs);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(faulty.calls("ReportObservationLog"), 4);
  // Three waits, doubling and capped.
  EXPECT_THAT(waits_, ElementsAre(milliseconds(100), milliseconds(200), milliseconds(300)));
  // Stored exactly once: the failed attempts changed nothing.
  auto stored = base_->GetObservationLog(AllOf("t1"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->size(), 1u);
}

TEST_F(RetryingStoreTest, StatusOrCallsAreRetriedAndReturnTheValue) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording());
  faulty.FailCalls("GetExperiment", absl::UnavailableError("down"), 0, 2);
  auto experiment = store.GetExperiment("default", "exp");
  ASSERT_TRUE(experiment.ok()) << experiment.status();
  EXPECT_EQ(experiment->metadata.name, "exp");
  EXPECT_THAT(waits_, ElementsAre(milliseconds(20), milliseconds(40)));
}

TEST_F(RetryingStoreTest, Review14_OtherErrorsAreNotRetried) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording());
  faulty.FailCalls("UpdateTrialStatus", absl::InvalidArgumentError("bad trial"));
  faulty.FailCalls("PutSuggestionState", absl::ResourceExhaustedError("disk full"));
  faulty.FailCalls("CreateTrial", absl::DeadlineExceededError("no answer; may have committed"));
  faulty.FailCalls("ChangesSince", absl::OutOfRangeError("too old"));

  const absl::Status invalid = store.UpdateTrialStatus(MakeTrial("exp", "t1")).status();
  EXPECT_TRUE(absl::IsInvalidArgument(invalid)) << invalid;
  EXPECT_EQ(invalid.message(), "bad trial");
  EXPECT_TRUE(absl::IsResourceExhausted(store.PutSuggestionState("default", "exp", "s")));
  EXPECT_TRUE(absl::IsDeadlineExceeded(store.CreateTrial(MakeTrial("exp", "t1")).status()));
  EXPECT_TRUE(absl::IsOutOfRange(store.ChangesSince(0).status()));
  // A real answer from the backend is not retried either.
  EXPECT_TRUE(absl::IsNotFound(store.GetTrial("default", "missing").status()));

  EXPECT_EQ(faulty.calls("UpdateTrialStatus"), 1);
  EXPECT_EQ(faulty.calls("ChangesSince"), 1);
  EXPECT_EQ(faulty.calls("PutSuggestionState"), 1);
  EXPECT_EQ(faulty.calls("CreateTrial"), 1);
  EXPECT_EQ(faulty.calls("GetTrial"), 1);
  EXPECT_THAT(waits_, IsEmpty());
}

TEST_F(RetryingStoreTest, Review14_ExhaustedRetriesSaySoAndKeepTheCode) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording(/*max_attempts=*/4));
  faulty.FailCalls("UpdateExperimentStatus", absl::UnavailableError("database is locked"), 0, 100);
  const absl::Status status = store.UpdateExperimentStatus(MakeExperiment("exp")).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("UpdateExperimentStatus failed after 4 attempts"));
  EXPECT_THAT(status.message(), HasSubstr("database is locked"));
  EXPECT_EQ(faulty.calls("UpdateExperimentStatus"), 4);
  EXPECT_EQ(waits_.size(), 3u);  // none after the last attempt
}

TEST_F(RetryingStoreTest, ExhaustedStatusOrCallsSaySoToo) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording(/*max_attempts=*/2));
  faulty.FailCalls("ListTrials", absl::UnavailableError("gone"), 0, 100);
  auto trials = store.ListTrials("default", "exp");
  EXPECT_TRUE(absl::IsUnavailable(trials.status())) << trials.status();
  EXPECT_THAT(trials.status().message(), HasSubstr("ListTrials failed after 2 attempts: gone"));
}

TEST_F(RetryingStoreTest, OneAttemptMeansNoRetryAndTheErrorUnchanged) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording(/*max_attempts=*/0));
  faulty.FailCalls("DeleteObservationLog", absl::UnavailableError("gone"));
  const absl::Status status = store.DeleteObservationLog("t1");
  EXPECT_EQ(status, absl::UnavailableError("gone"));
  EXPECT_EQ(faulty.calls("DeleteObservationLog"), 1);
  EXPECT_THAT(waits_, IsEmpty());
}

// Create* retried after an Unavailable that changed nothing (the Store contract) must not see
// its own first attempt as an AlreadyExists.
TEST_F(RetryingStoreTest, RetriedCreateDoesNotAnswerAlreadyExists) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording());
  faulty.FailCalls("CreateTrial", absl::UnavailableError("locked"), 0, 2);
  faulty.FailCalls("CreateExperiment", absl::UnavailableError("locked"), 0, 2);
  EXPECT_TRUE(store.CreateTrial(MakeTrial("exp", "t1")).ok());
  EXPECT_TRUE(store.CreateExperiment(MakeExperiment("exp2")).ok());
  // A real duplicate still is one, answered at once.
  EXPECT_TRUE(absl::IsAlreadyExists(store.CreateTrial(MakeTrial("exp", "t1")).status()));
  EXPECT_EQ(faulty.calls("CreateTrial"), 4);
}

// A compare-and-swap conflict is the caller's to resolve (read again, decide again): retrying
// the same stale write could never succeed, so Aborted comes back at once.
TEST_F(RetryingStoreTest, ConflictsAreNotRetried) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording());
  auto stale = base_->GetExperiment("default", "exp");
  ASSERT_TRUE(stale.ok());
  core::Experiment first = *stale;
  first.spec.max_trial_count = 3;
  ASSERT_TRUE(store.UpdateExperimentSpec(first).ok());
  core::Experiment second = *stale;
  second.spec.max_trial_count = 4;
  auto lost = store.UpdateExperimentSpec(second);
  EXPECT_TRUE(absl::IsAborted(lost.status())) << lost.status();
  EXPECT_THAT(lost.status().message(), HasSubstr("the object has been modified"));
  EXPECT_EQ(faulty.calls("UpdateExperimentSpec"), 2);
  EXPECT_THAT(waits_, IsEmpty());
  EXPECT_EQ(base_->GetExperiment("default", "exp")->spec.max_trial_count, 3);
}

// The new calls are retried like the old ones, and return what the backend returned.
TEST_F(RetryingStoreTest, NewCallsAreRetriedToo) {
  FaultyStore faulty(*base_);
  RetryingStore store(faulty, Recording());
  ASSERT_TRUE(base_->CreateTrial(MakeTrial("exp", "t1")).ok());
  for (const char* method : {"UpdateTrialStatus", "ListTrialSummaries", "ChangesSince", "Revision",
                             "GetObservationLogs", "UpdateExperimentSpec"}) {
    faulty.FailCalls(method, absl::UnavailableError("locked"), 0, 1);
  }
  core::Trial t = *base_->GetTrial("default", "t1");
  t.status.start_time = "2024-01-01T00:00:00Z";
  auto updated = store.UpdateTrialStatus(t);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->status.start_time, "2024-01-01T00:00:00Z");
  auto summaries = store.ListTrialSummaries("default", "exp", {});
  ASSERT_TRUE(summaries.ok()) << summaries.status();
  EXPECT_EQ(summaries->items.size(), 1u);
  auto revision = store.Revision();
  ASSERT_TRUE(revision.ok());
  auto changes = store.ChangesSince(*revision - 1);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(changes->changes.size(), 1u);
  EXPECT_TRUE(store.GetObservationLogs({"t1"}, "loss").ok());
  core::Experiment e = *base_->GetExperiment("default", "exp");
  e.spec.max_trial_count = 9;
  auto spec = store.UpdateExperimentSpec(e);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->metadata.generation, 2);  // written once
  EXPECT_EQ(waits_.size(), 6u);
  EXPECT_EQ(store.WaitForChanges(0, absl::ZeroDuration()), *base_->Revision());
}

TEST(RetryBackoffTest, DoublesFromTheInitialWaitUpToTheCap) {
  RetryPolicy policy;  // 20 ms doubling, capped at 2 s
  std::vector<milliseconds> waits;
  for (int attempt = 1; attempt <= 10; ++attempt) waits.push_back(RetryBackoff(policy, attempt));
  EXPECT_THAT(waits,
              ElementsAre(milliseconds(20), milliseconds(40), milliseconds(80), milliseconds(160),
                          milliseconds(320), milliseconds(640), milliseconds(1280),
                          milliseconds(2000), milliseconds(2000), milliseconds(2000)));
  policy.initial_backoff = milliseconds(5000);
  EXPECT_EQ(RetryBackoff(policy, 1), milliseconds(2000));
}

}  // namespace
}  // namespace ktune::db
