// The Store conformance suite (see store_conformance.h): what every backend must do. Each
// backend instantiates StoreConformanceTest in its own test file.

#include "tests/unit/db-manager/store_conformance.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/experiment.h"
#include "core/time_util.h"
#include "db-manager/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::db::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- experiments ----------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ExperimentLifecycle) {
  const core::Experiment foo = MakeExperiment("default", "foo");
  ASSERT_TRUE(store_->CreateExperiment(foo).ok());

  auto got = store_->GetExperiment("default", "foo");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(core::ExperimentToJson(*got), core::ExperimentToJson(foo));

  absl::Status dup = store_->CreateExperiment(foo);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.message(), "experiment \"default/foo\" already exists");

  core::Experiment updated = foo;
  updated.status.start_time = "2026-01-01T00:00:00Z";
  updated.status.conditions.push_back({"Running", "True", "ExperimentRunning",
                                       "Experiment is running", "2026-01-01T00:00:00Z",
                                       "2026-01-01T00:00:00Z"});
  updated.status.trials = 4;
  updated.status.succeeded_trial_list = {"foo-a", "foo-b"};
  updated.spec.max_trial_count = 20;
  ASSERT_TRUE(store_->UpdateExperiment(updated).ok());
  got = store_->GetExperiment("default", "foo");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status.trials, 4);
  EXPECT_THAT(got->status.succeeded_trial_list, ElementsAre("foo-a", "foo-b"));
  EXPECT_EQ(got->spec.max_trial_count, 20);
  EXPECT_EQ(core::ExperimentToJson(*got), core::ExperimentToJson(updated));

  absl::Status missing = store_->UpdateExperiment(MakeExperiment("default", "nope"));
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "experiment \"default/nope\" not found");

  ASSERT_TRUE(store_->DeleteExperiment("default", "foo").ok());
  got = store_->GetExperiment("default", "foo");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "experiment \"default/foo\" not found");
  absl::Status again = store_->DeleteExperiment("default", "foo");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("\"default/foo\""));
}

TEST_P(StoreConformanceTest, ListExperimentsByNamespace) {
  for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
           {"team-b", "z"}, {"default", "b"}, {"default", "a"}, {"team-b", "a"}}) {
    ASSERT_TRUE(store_->CreateExperiment(MakeExperiment(ns, name)).ok());
  }
  auto all = store_->ListExperiments();
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> keys;
  for (const auto& e : *all) keys.push_back(e.metadata.namespace_ + "/" + e.metadata.name);
  EXPECT_THAT(keys, ElementsAre("default/a", "default/b", "team-b/a", "team-b/z"));

  auto team_b = store_->ListExperiments("team-b");
  ASSERT_TRUE(team_b.ok()) << team_b.status();
  ASSERT_EQ(team_b->size(), 2u);
  EXPECT_EQ((*team_b)[0].metadata.name, "a");
  EXPECT_EQ((*team_b)[1].metadata.name, "z");

  auto none = store_->ListExperiments("elsewhere");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(StoreConformanceTest, RejectsEmptyKey) {
  EXPECT_EQ(store_->CreateExperiment(MakeExperiment("default", "")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateExperiment(MakeExperiment("", "x")).code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- trials ---------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, TrialsListInCreationOrderScopedToExperiment) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp-a")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp-b")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("other", "exp-a")).ok());
  for (const char* name : {"exp-a-zeta", "exp-a-alpha", "exp-a-mid"}) {
    ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp-a", name)).ok());
  }
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp-b", "exp-b-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("other", "exp-a", "exp-a-other")).ok());

  // An update keeps the trial's place.
  core::Trial zeta = MakeTrial("default", "exp-a", "exp-a-zeta");
  zeta.status.start_time = "2026-01-02T03:04:05Z";
  ASSERT_TRUE(store_->UpdateTrial(zeta).ok());

  auto a = store_->ListTrials("default", "exp-a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(Names(*a), ElementsAre("exp-a-zeta", "exp-a-alpha", "exp-a-mid"));
  EXPECT_EQ((*a)[0].status.start_time, "2026-01-02T03:04:05Z");
  auto b = store_->ListTrials("default", "exp-b");
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(Names(*b), ElementsAre("exp-b-1"));
  auto other = store_->ListTrials("other", "exp-a");
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(Names(*other), ElementsAre("exp-a-other"));
  auto none = store_->ListTrials("default", "no-such");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(StoreConformanceTest, TrialErrors) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "t1")).ok());

  absl::Status dup = store_->CreateTrial(MakeTrial("default", "exp", "t1"));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.message(), "trial \"default/t1\" already exists");

  absl::Status orphan = store_->CreateTrial(MakeTrial("default", "ghost", "t2"));
  EXPECT_EQ(orphan.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(orphan.message(), HasSubstr("experiment \"default/ghost\""));

  core::Trial unlabeled = MakeTrial("default", "exp", "t3");
  unlabeled.metadata.labels.clear();
  EXPECT_EQ(store_->CreateTrial(unlabeled).code(), absl::StatusCode::kInvalidArgument);

  absl::Status update = store_->UpdateTrial(MakeTrial("default", "exp", "t9"));
  EXPECT_EQ(update.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(update.message(), "trial \"default/t9\" not found");

  auto get = store_->GetTrial("default", "t9");
  EXPECT_EQ(get.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(get.status().message(), "trial \"default/t9\" not found");
}

TEST_P(StoreConformanceTest, TrialRoundTripKeepsRunSpecUnknownFields) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  core::Trial trial = MakeTrial("default", "exp", "exp-x1");
  trial.spec.run_spec = nlohmann::json::parse(R"({
    "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "exp-x1", "annotations": {"custom.io/anything": "yes"}},
    "spec": {"pytorchReplicaSpecs": {"Master": {"replicas": 1, "x-unknown": [1, 2.5, null, true]}},
             "someFutureField": {"nested": {"deeper": "value ünïcode"}}}
  })");
  trial.spec.metrics_collector.kind = "StdOut";
  trial.status.conditions.push_back({"Created", "True", "TrialCreated", "Trial is created",
                                     "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"});
  ASSERT_TRUE(store_->CreateTrial(trial).ok());

  auto got = store_->GetTrial("default", "exp-x1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->spec.run_spec, trial.spec.run_spec);
  EXPECT_EQ(core::TrialToJson(*got), core::TrialToJson(trial));
}

// ---- observation logs -----------------------------------------------------------------------

TEST_P(StoreConformanceTest, ObservationLogsFilterAndOrder) {
  const std::vector<core::MetricLog> batch = {
      Log("2026-03-01T10:00:02Z", "loss", "0.5"),
      Log("2026-03-01T10:00:01.5Z", "accuracy", "0.7"),
      Log("", "accuracy", "0.0"),                           // skipped: no timestamp
      Log("2026-03-01T10:00:01.5Z", "loss", "0.9"),         // same time: insertion order
      Log("2026-03-01T12:00:03+02:00", "accuracy", "0.8"),  // 10:00:03 UTC
      Log("2026-03-01T10:00:04.123456789Z", "accuracy", core::kUnavailable),
  };
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", batch).ok());
  ASSERT_TRUE(
      store_->ReportObservationLog("trial-2", {Log("2026-03-01T10:00:00Z", "loss", "1")}).ok());

  auto all = store_->GetObservationLog({"trial-1", "", "", ""});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Render(*all), ElementsAre("2026-03-01T10:00:01.500000Z accuracy=0.7",
                                        "2026-03-01T10:00:01.500000Z loss=0.9",
                                        "2026-03-01T10:00:02.000000Z loss=0.5",
                                        "2026-03-01T10:00:03.000000Z accuracy=0.8",
                                        "2026-03-01T10:00:04.123456Z accuracy=unavailable"));

  auto accuracy = store_->GetObservationLog({"trial-1", "accuracy", "", ""});
  ASSERT_TRUE(accuracy.ok());
  EXPECT_THAT(Render(*accuracy), ElementsAre("2026-03-01T10:00:01.500000Z accuracy=0.7",
                                             "2026-03-01T10:00:03.000000Z accuracy=0.8",
                                             "2026-03-01T10:00:04.123456Z accuracy=unavailable"));

  // Bounds are inclusive, and may be given in another offset.
  auto range = store_->GetObservationLog(
      {"trial-1", "", "2026-03-01T10:00:02Z", "2026-03-01T11:00:03+01:00"});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_THAT(Render(*range), ElementsAre("2026-03-01T10:00:02.000000Z loss=0.5",
                                          "2026-03-01T10:00:03.000000Z accuracy=0.8"));

  auto from = store_->GetObservationLog({"trial-1", "accuracy", "2026-03-01T10:00:03Z", ""});
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->size(), 2u);
  auto until = store_->GetObservationLog({"trial-1", "loss", "", "2026-03-01T10:00:01.500000Z"});
  ASSERT_TRUE(until.ok());
  EXPECT_THAT(Render(*until), ElementsAre("2026-03-01T10:00:01.500000Z loss=0.9"));

  auto unknown = store_->GetObservationLog({"no-such-trial", "", "", ""});
  ASSERT_TRUE(unknown.ok());
  EXPECT_THAT(*unknown, IsEmpty());

  auto bad = store_->GetObservationLog({"trial-1", "", "yesterday", ""});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"yesterday\""));
}

TEST_P(StoreConformanceTest, ObservationLogBadTimestampStoresNothing) {
  const std::vector<core::MetricLog> batch = {
      Log("2026-03-01T10:00:01Z", "accuracy", "0.7"),
      Log("2026-03-01 10:00", "accuracy", "0.8"),
      Log("2026-03-01T10:00:03Z", "accuracy", "0.9"),
  };
  absl::Status status = store_->ReportObservationLog("trial-1", batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"2026-03-01 10:00\""));
  EXPECT_THAT(status.message(), HasSubstr("trial-1"));

  auto logs = store_->GetObservationLog({"trial-1", "", "", ""});
  ASSERT_TRUE(logs.ok());
  EXPECT_THAT(*logs, IsEmpty());
}

TEST_P(StoreConformanceTest, ObservationLogOnlyEmptyTimestampsIsANoOp) {
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {Log("", "accuracy", "1")}).ok());
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {}).ok());
  auto logs = store_->GetObservationLog({"trial-1", "", "", ""});
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_THAT(*logs, IsEmpty());
}

TEST_P(StoreConformanceTest, ObservationLogZeroTimeRoundTrips) {
  ASSERT_TRUE(
      store_->ReportObservationLog("trial-1", {Log(core::kZeroTime, "accuracy", "0.5")}).ok());
  auto logs = store_->GetObservationLog({"trial-1", "accuracy", core::kZeroTime, core::kZeroTime});
  ASSERT_TRUE(logs.ok()) << logs.status();
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].time_stamp, "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(core::ParseRfc3339((*logs)[0].time_stamp), core::ParseRfc3339(core::kZeroTime));
}

TEST_P(StoreConformanceTest, DeleteObservationLog) {
  ASSERT_TRUE(store_->ReportObservationLog("t1", {Log("2026-01-01T00:00:00Z", "m", "1")}).ok());
  ASSERT_TRUE(store_->ReportObservationLog("t2", {Log("2026-01-01T00:00:00Z", "m", "2")}).ok());
  ASSERT_TRUE(store_->DeleteObservationLog("t1").ok());
  ASSERT_TRUE(store_->DeleteObservationLog("never-reported").ok());
  EXPECT_THAT(*store_->GetObservationLog({"t1", "", "", ""}), IsEmpty());
  EXPECT_EQ(store_->GetObservationLog({"t2", "", "", ""})->size(), 1u);
}

// A trial run again under its own name (on resume, after its controller stopped) starts with no
// observation logs: the controller deletes the partial logs of the cut-short run first, and
// the new run's reports are all that GetObservationLog finds, whatever their times.
TEST_P(StoreConformanceTest, RerunTrialStartsWithoutItsOldObservationLogs) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-2")).ok());
  // The first run of exp-1 was cut short after two reports.
  ASSERT_TRUE(store_
                  ->ReportObservationLog("exp-1", {Log("2026-01-01T00:00:01Z", "accuracy", "0.9"),
                                                   Log("2026-01-01T00:00:01Z", "loss", "0.1")})
                  .ok());
  ASSERT_TRUE(
      store_->ReportObservationLog("exp-1", {Log("2026-01-03T00:00:00Z", "accuracy", "0.95")})
          .ok());
  ASSERT_TRUE(
      store_->ReportObservationLog("exp-2", {Log("2026-01-01T00:00:01Z", "accuracy", "0.5")}).ok());

  ASSERT_TRUE(store_->DeleteObservationLog("exp-1").ok());
  // The trial stays, and so do the other trials' logs.
  EXPECT_TRUE(store_->GetTrial("default", "exp-1").ok());
  EXPECT_THAT(*store_->GetObservationLog({"exp-1", "", "", ""}), IsEmpty());
  EXPECT_THAT(*store_->GetObservationLog({"exp-1", "accuracy", "", ""}), IsEmpty());
  EXPECT_EQ(store_->GetObservationLog({"exp-2", "", "", ""})->size(), 1u);

  // The second run reports from scratch; its times are earlier than the first run's last one.
  ASSERT_TRUE(
      store_->ReportObservationLog("exp-1", {Log("2026-01-02T00:00:01Z", "accuracy", "0.6")}).ok());
  ASSERT_TRUE(store_
                  ->ReportObservationLog("exp-1", {Log("2026-01-02T00:00:02Z", "accuracy", "0.7"),
                                                   Log("2026-01-02T00:00:02Z", "loss", "0.3")})
                  .ok());
  auto logs = store_->GetObservationLog({"exp-1", "", "", ""});
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_THAT(Render(*logs), ElementsAre("2026-01-02T00:00:01.000000Z accuracy=0.6",
                                         "2026-01-02T00:00:02.000000Z accuracy=0.7",
                                         "2026-01-02T00:00:02.000000Z loss=0.3"));
  auto late = store_->GetObservationLog({"exp-1", "accuracy", "2026-01-02T12:00:00Z", ""});
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_THAT(*late, IsEmpty());

  // Deleting before yet another run works again, also when there is nothing left to delete,
  // and another store on the database (another process) sees it.
  ASSERT_TRUE(store_->DeleteObservationLog("exp-1").ok());
  ASSERT_TRUE(store_->DeleteObservationLog("exp-1").ok());
  std::unique_ptr<Store> other = Open();
  ASSERT_NE(other, nullptr);
  EXPECT_THAT(*other->GetObservationLog({"exp-1", "", "", ""}), IsEmpty());
  EXPECT_EQ(other->GetObservationLog({"exp-2", "", "", ""})->size(), 1u);
}

// ---- delete cascade -------------------------------------------------------------------------

TEST_P(StoreConformanceTest, DeleteExperimentRemovesTrialsLogsAndState) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "gone")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "kept")).ok());
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("other", "kept")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "gone", "gone-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "gone", "shared-name")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "kept", "kept-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("other", "kept", "shared-name")).ok());
  for (const char* trial : {"gone-1", "shared-name", "kept-1"}) {
    ASSERT_TRUE(store_->ReportObservationLog(trial, {Log("2026-01-01T00:00:00Z", "m", "1")}).ok());
  }
  ASSERT_TRUE(store_->PutSuggestionState("default", "gone", "state-gone").ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "kept", "state-kept").ok());

  ASSERT_TRUE(store_->DeleteExperiment("default", "gone").ok());

  EXPECT_EQ(store_->GetTrial("default", "gone-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTrial("default", "shared-name").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(*store_->ListTrials("default", "gone"), IsEmpty());
  EXPECT_THAT(*store_->GetObservationLog({"gone-1", "", "", ""}), IsEmpty());
  EXPECT_EQ(store_->GetSuggestionState("default", "gone").status().code(),
            absl::StatusCode::kNotFound);

  // Other experiments keep theirs; a same-named trial in another namespace keeps its logs.
  EXPECT_TRUE(store_->GetTrial("default", "kept-1").ok());
  EXPECT_EQ(store_->GetObservationLog({"kept-1", "", "", ""})->size(), 1u);
  EXPECT_EQ(store_->GetObservationLog({"shared-name", "", "", ""})->size(), 1u);
  EXPECT_EQ(*store_->GetSuggestionState("default", "kept"), "state-kept");
}

// ---- suggestion state -----------------------------------------------------------------------

TEST_P(StoreConformanceTest, SuggestionState) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  auto none = store_->GetSuggestionState("default", "exp");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("\"default/exp\""));

  const std::string binary("a\0b\xff\x01", 5);
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", binary).ok());
  EXPECT_EQ(*store_->GetSuggestionState("default", "exp"), binary);
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "").ok());
  EXPECT_EQ(*store_->GetSuggestionState("default", "exp"), "");
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "{\"seen\":3}").ok());
  EXPECT_EQ(*store_->GetSuggestionState("default", "exp"), "{\"seen\":3}");

  EXPECT_EQ(store_->PutSuggestionState("default", "ghost", "x").code(),
            absl::StatusCode::kNotFound);
}

// ---- concurrency, reopening -----------------------------------------------------------------

TEST_P(StoreConformanceTest, ConcurrentWritersLoseNothing) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  constexpr int kThreads = 8;
  constexpr int kCalls = 40;
  constexpr int kLogsPerCall = 5;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        std::vector<core::MetricLog> logs;
        for (int i = 0; i < kLogsPerCall; ++i) {
          logs.push_back(Log(absl::StrCat("2026-01-01T00:00:", 10 + i, "Z"), "m",
                             absl::StrCat(t, ":", c, ":", i)));
        }
        if (!store_->ReportObservationLog(absl::StrCat("trial-", t), logs).ok()) ++failures;
        if (c % 10 == 0 &&
            !store_->CreateTrial(MakeTrial("default", "exp", absl::StrCat("exp-", t, "-", c)))
                 .ok()) {
          ++failures;
        }
        if (!store_->GetObservationLog({absl::StrCat("trial-", t), "m", "", ""}).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    auto logs = store_->GetObservationLog({absl::StrCat("trial-", t), "", "", ""});
    ASSERT_TRUE(logs.ok());
    EXPECT_EQ(logs->size(), static_cast<size_t>(kCalls * kLogsPerCall));
  }
  EXPECT_EQ(store_->ListTrials("default", "exp")->size(), static_cast<size_t>(kThreads * 4));
}

// Two stores on one database, as two processes would have.
TEST_P(StoreConformanceTest, TwoStoresOnOneDatabaseWaitForEachOther) {
  std::unique_ptr<Store> second = Open();
  ASSERT_NE(second, nullptr);
  constexpr int kThreads = 4;
  constexpr int kCalls = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store* store = t % 2 == 0 ? store_.get() : second.get();
    threads.emplace_back([&, store, t] {
      for (int c = 0; c < kCalls; ++c) {
        absl::Status s = store->ReportObservationLog(
            "shared", {Log("2026-01-01T00:00:00Z", "m", absl::StrCat(t, ":", c)),
                       Log("2026-01-01T00:00:01Z", "m", absl::StrCat(t, ":", c))});
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->GetObservationLog({"shared", "", "", ""})->size(),
            static_cast<size_t>(kThreads * kCalls * 2));
}

TEST_P(StoreConformanceTest, PersistsAcrossReopen) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-2")).ok());
  ASSERT_TRUE(store_
                  ->ReportObservationLog("exp-1", {Log("2026-01-01T00:00:00Z", "m", "1"),
                                                   Log("2026-01-01T00:00:01Z", "m", "2")})
                  .ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "state").ok());
  store_.reset();

  std::unique_ptr<Store> reopened = Open();
  ASSERT_NE(reopened, nullptr);
  Store& store = *reopened;
  EXPECT_TRUE(store.GetExperiment("default", "exp").ok());
  EXPECT_THAT(Names(*store.ListTrials("default", "exp")), ElementsAre("exp-1", "exp-2"));
  EXPECT_EQ(store.GetObservationLog({"exp-1", "m", "", ""})->size(), 2u);
  EXPECT_EQ(*store.GetSuggestionState("default", "exp"), "state");
  // A new trial still comes after the old ones.
  ASSERT_TRUE(store.CreateTrial(MakeTrial("default", "exp", "exp-0")).ok());
  EXPECT_THAT(Names(*store.ListTrials("default", "exp")), ElementsAre("exp-1", "exp-2", "exp-0"));
}

}  // namespace
}  // namespace ktune::db::conformance
