// The ObservationStore conformance suite (see observation_store_conformance.h): what every
// backend must do. Each backend instantiates ObservationStoreConformanceTest.

#include "tests/unit/db-manager/observation_store_conformance.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/experiment.h"
#include "core/time_util.h"
#include "db-manager/observation_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::db::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

TEST_P(ObservationStoreConformanceTest, ObservationLogsFilterAndOrder) {
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

TEST_P(ObservationStoreConformanceTest, ObservationLogBadTimestampStoresNothing) {
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

TEST_P(ObservationStoreConformanceTest, ObservationLogOnlyEmptyTimestampsIsANoOp) {
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {Log("", "accuracy", "1")}).ok());
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {}).ok());
  auto logs = store_->GetObservationLog({"trial-1", "", "", ""});
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_THAT(*logs, IsEmpty());
}

TEST_P(ObservationStoreConformanceTest, ObservationLogZeroTimeRoundTrips) {
  ASSERT_TRUE(
      store_->ReportObservationLog("trial-1", {Log(core::kZeroTime, "accuracy", "0.5")}).ok());
  auto logs = store_->GetObservationLog({"trial-1", "accuracy", core::kZeroTime, core::kZeroTime});
  ASSERT_TRUE(logs.ok()) << logs.status();
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].time_stamp, "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(core::ParseRfc3339((*logs)[0].time_stamp), core::ParseRfc3339(core::kZeroTime));
}

TEST_P(ObservationStoreConformanceTest, DeleteObservationLog) {
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

TEST_P(ObservationStoreConformanceTest, LogsOfManyTrialsForOneMetricInOneCall) {
  ASSERT_TRUE(store_
                  ->ReportObservationLog("t1", {Log("2026-03-01T10:00:02Z", "accuracy", "0.6"),
                                                Log("2026-03-01T10:00:01Z", "accuracy", "0.5"),
                                                Log("2026-03-01T10:00:01Z", "loss", "0.9")})
                  .ok());
  ASSERT_TRUE(
      store_->ReportObservationLog("t2", {Log("2026-03-01T10:00:00Z", "accuracy", "0.1")}).ok());
  ASSERT_TRUE(store_->ReportObservationLog("t3", {Log("2026-03-01T10:00:00Z", "loss", "1")}).ok());
  ASSERT_TRUE(
      store_->ReportObservationLog("other", {Log("2026-03-01T10:00:00Z", "accuracy", "1")}).ok());

  auto accuracy = store_->GetObservationLogs({"t1", "t2", "t3", "never"}, "accuracy");
  ASSERT_TRUE(accuracy.ok()) << accuracy.status();
  // Ordered as GetObservationLog; trials without logs of the metric are absent.
  ASSERT_THAT(*accuracy, SizeIs(2u));
  EXPECT_THAT(Render(accuracy->at("t1")), ElementsAre("2026-03-01T10:00:01.000000Z accuracy=0.5",
                                                      "2026-03-01T10:00:02.000000Z accuracy=0.6"));
  EXPECT_THAT(Render(accuracy->at("t2")), ElementsAre("2026-03-01T10:00:00.000000Z accuracy=0.1"));
  auto single = store_->GetObservationLog({"t1", "accuracy", "", ""});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(Render(*single), Render(accuracy->at("t1")));

  auto loss = store_->GetObservationLogs({"t1", "t3"}, "loss");
  ASSERT_TRUE(loss.ok()) << loss.status();
  EXPECT_THAT(*loss, ElementsAre(Pair("t1", SizeIs(1u)), Pair("t3", SizeIs(1u))));

  auto none = store_->GetObservationLogs({}, "accuracy");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
  auto unknown = store_->GetObservationLogs({"never"}, "accuracy");
  ASSERT_TRUE(unknown.ok());
  EXPECT_THAT(*unknown, IsEmpty());
}

// An experiment's worth of trials (more than any IN list a backend would send at once).
TEST_P(ObservationStoreConformanceTest, LogsOfThousandsOfTrials) {
  constexpr int kTrials = 2500;
  std::vector<std::string> names;
  for (int i = 0; i < kTrials; ++i) {
    names.push_back(absl::StrCat("trial-", i));
    if (i % 2 == 0) {
      ASSERT_TRUE(store_
                      ->ReportObservationLog(names.back(),
                                             {Log("2026-03-01T10:00:00Z", "m", absl::StrCat(i))})
                      .ok());
    }
  }
  auto logs = store_->GetObservationLogs(names, "m");
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(logs->size(), static_cast<size_t>(kTrials / 2));
  ASSERT_EQ(logs->count("trial-2498"), 1u);
  EXPECT_EQ(logs->at("trial-2498")[0].value, "2498");
  EXPECT_EQ(logs->count("trial-1"), 0u);
}

TEST_P(ObservationStoreConformanceTest, ConcurrentReportersLoseNothing) {
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
}

// Two stores on one database, as two processes would have.
TEST_P(ObservationStoreConformanceTest, TwoStoresOnOneDatabaseWaitForEachOther) {
  std::unique_ptr<ObservationStore> second = Open();
  ASSERT_NE(second, nullptr);
  constexpr int kThreads = 4;
  constexpr int kCalls = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    ObservationStore* store = t % 2 == 0 ? store_.get() : second.get();
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

TEST_P(ObservationStoreConformanceTest, PersistsAcrossReopen) {
  ASSERT_TRUE(store_
                  ->ReportObservationLog("exp-1", {Log("2026-01-01T00:00:00Z", "m", "1"),
                                                   Log("2026-01-01T00:00:01Z", "m", "2")})
                  .ok());
  store_.reset();
  std::unique_ptr<ObservationStore> reopened = Open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->GetObservationLog({"exp-1", "m", "", ""})->size(), 2u);
}

}  // namespace
}  // namespace ktune::db::conformance
