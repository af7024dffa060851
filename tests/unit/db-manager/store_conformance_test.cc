// The combined Store suite (store_conformance.h), and all three conformance suites run over
// SQLite, alone and under the decorators (which must be transparent: the same contract holds
// through them).

#include "tests/unit/db-manager/store_conformance.h"

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "db-manager/internal/sqlite_store.h"
#include "db-manager/retrying_store.h"
#include "db-manager/store.h"
#include "db-manager/testing/faulty_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::db::conformance {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

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

// A failed DeleteExperiment (a trial's logs are kept with it) changes nothing either.
TEST_P(StoreConformanceTest, DeleteOfAMissingExperimentKeepsEveryLog) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-1")).ok());
  ASSERT_TRUE(store_->ReportObservationLog("exp-1", {Log("2026-01-01T00:00:00Z", "m", "1")}).ok());
  EXPECT_EQ(store_->DeleteExperiment("default", "other").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetObservationLog({"exp-1", "", "", ""})->size(), 1u);
  // Observation logs are no objects of the change feed.
  const int64_t revision = *store_->Revision();
  ASSERT_TRUE(store_->ReportObservationLog("exp-1", {Log("2026-01-01T00:00:01Z", "m", "2")}).ok());
  ASSERT_TRUE(store_->DeleteObservationLog("exp-2").ok());
  EXPECT_EQ(*store_->Revision(), revision);
}

// ---- the suites over SQLite -----------------------------------------------------------------

std::unique_ptr<Store> OpenSqliteIn(const fs::path& dir, int64_t change_window = 10000) {
  SqliteStoreOptions options;
  options.change_window = change_window;
  auto store = SqliteStore::Open((dir / "ktune.db").string(), options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return *std::move(store);
}

// A decorator that owns the store it decorates (the holder base is built first).
struct OwnedBase {
  std::unique_ptr<Store> base;
};

class OwningRetryingStore : private OwnedBase, public RetryingStore {
 public:
  explicit OwningRetryingStore(std::unique_ptr<Store> base)
      : OwnedBase{std::move(base)}, RetryingStore(*OwnedBase::base) {}
};

class OwningFaultyStore : private OwnedBase, public testing::FaultyStore {
 public:
  explicit OwningFaultyStore(std::unique_ptr<Store> base)
      : OwnedBase{std::move(base)}, FaultyStore(*OwnedBase::base) {}
};

std::unique_ptr<Store> OpenRetrying(const fs::path& dir, int64_t change_window = 10000) {
  std::unique_ptr<Store> base = OpenSqliteIn(dir, change_window);
  if (base == nullptr) return nullptr;
  return std::make_unique<OwningRetryingStore>(std::move(base));
}

std::unique_ptr<Store> OpenFaulty(const fs::path& dir, int64_t change_window = 10000) {
  std::unique_ptr<Store> base = OpenSqliteIn(dir, change_window);
  if (base == nullptr) return nullptr;
  return std::make_unique<OwningFaultyStore>(std::move(base));
}

using Opener = std::unique_ptr<Store> (*)(const fs::path&, int64_t);

ExperimentStoreBackend ExperimentBackend(std::string name, Opener open) {
  return ExperimentStoreBackend{
      std::move(name),
      [open](const fs::path& dir) -> std::unique_ptr<ExperimentStore> { return open(dir, 10000); },
      [open](const fs::path& dir, int64_t window) -> std::unique_ptr<ExperimentStore> {
        return open(dir, window);
      }};
}

ObservationStoreBackend ObservationBackend(std::string name, Opener open) {
  return ObservationStoreBackend{std::move(name),
                                 [open](const fs::path& dir) -> std::unique_ptr<ObservationStore> {
                                   return open(dir, 10000);
                                 }};
}

StoreBackend CombinedBackend(std::string name, Opener open) {
  return StoreBackend{std::move(name), [open](const fs::path& dir) { return open(dir, 10000); }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ExperimentStoreConformanceTest,
                         ::testing::Values(ExperimentBackend("Sqlite", &OpenSqliteIn),
                                           ExperimentBackend("RetryingSqlite", &OpenRetrying),
                                           ExperimentBackend("FaultySqliteWithoutFaults",
                                                             &OpenFaulty)),
                         BackendName<ExperimentStoreBackend>);

INSTANTIATE_TEST_SUITE_P(Sqlite, ObservationStoreConformanceTest,
                         ::testing::Values(ObservationBackend("Sqlite", &OpenSqliteIn),
                                           ObservationBackend("RetryingSqlite", &OpenRetrying),
                                           ObservationBackend("FaultySqliteWithoutFaults",
                                                              &OpenFaulty)),
                         BackendName<ObservationStoreBackend>);

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(CombinedBackend("Sqlite", &OpenSqliteIn),
                                           CombinedBackend("RetryingSqlite", &OpenRetrying),
                                           CombinedBackend("FaultySqliteWithoutFaults",
                                                           &OpenFaulty)),
                         BackendName<StoreBackend>);

}  // namespace
}  // namespace ktune::db::conformance
