// SqliteStore: the Store conformance suite over SQLite (alone and under the decorators), and
// what is particular to SQLite (file, schema, WAL, locks, a full disk).

#include "db-manager/sqlite_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/time_util.h"
#include "db-manager/retrying_store.h"
#include "db-manager/store.h"
#include "db-manager/testing/faulty_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/db-manager/store_conformance.h"

namespace ktune::db {
namespace {

namespace fs = std::filesystem;
using conformance::Log;
using conformance::MakeExperiment;
using conformance::MakeTrial;
using conformance::Names;
using conformance::Render;
using conformance::StoreBackend;
using conformance::StoreBackendName;
using conformance::StoreConformanceTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// ---- the conformance suite over SQLite --------------------------------------------------------

std::unique_ptr<Store> OpenSqliteIn(const fs::path& dir) {
  auto store = SqliteStore::Open((dir / "ktune.db").string());
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

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreConformanceTest,
    ::testing::Values(StoreBackend{"Sqlite", &OpenSqliteIn},
                      // The decorators are transparent: the same contract holds through them.
                      StoreBackend{"RetryingSqlite",
                                   [](const fs::path& dir) -> std::unique_ptr<Store> {
                                     std::unique_ptr<Store> base = OpenSqliteIn(dir);
                                     if (base == nullptr) return nullptr;
                                     return std::make_unique<OwningRetryingStore>(std::move(base));
                                   }},
                      StoreBackend{"FaultySqliteWithoutFaults",
                                   [](const fs::path& dir) -> std::unique_ptr<Store> {
                                     std::unique_ptr<Store> base = OpenSqliteIn(dir);
                                     if (base == nullptr) return nullptr;
                                     return std::make_unique<OwningFaultyStore>(std::move(base));
                                   }}),
    StoreBackendName);

// ---- SQLite only ----------------------------------------------------------------------------

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "ktune-db-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "ktune.db").string();
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Runs one query on the file through a separate raw connection.
  std::string Query(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
  }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

// ---- file, schema, concurrency --------------------------------------------------------------

TEST_F(SqliteStoreTest, ObservationTimesAreStoredAsSortableUtcText) {
  ASSERT_TRUE(
      store_
          ->ReportObservationLog("trial-1", {Log("2026-03-01T10:00:02Z", "loss", "0.5"),
                                             Log("2026-03-01T12:00:03+02:00", "accuracy", "0.8")})
          .ok());
  EXPECT_EQ(Query("SELECT time FROM observation_logs WHERE trial_name = 'trial-1' "
                  "AND value = '0.8'"),
            "2026-03-01 10:00:03.000000");
  ASSERT_TRUE(
      store_->ReportObservationLog("trial-0", {Log(core::kZeroTime, "accuracy", "0.5")}).ok());
  EXPECT_EQ(Query("SELECT time FROM observation_logs WHERE trial_name = 'trial-0'"),
            "0001-01-01 00:00:00.000000");
}

TEST_F(SqliteStoreTest, RejectedOrTimelessObservationBatchesWriteNoRows) {
  absl::Status status = store_->ReportObservationLog(
      "trial-1",
      {Log("2026-03-01T10:00:01Z", "accuracy", "0.7"), Log("2026-03-01 10:00", "accuracy", "0.8")});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM observation_logs"), "0");
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {Log("", "accuracy", "1")}).ok());
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {}).ok());
  EXPECT_EQ(Query("SELECT COUNT(*) FROM observation_logs"), "0");
}

// The conformance suite reopens through the factory; this goes through OpenStore("sqlite://").
TEST_F(SqliteStoreTest, PersistsAcrossReopenThroughOpenStore) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-2")).ok());
  ASSERT_TRUE(store_
                  ->ReportObservationLog("exp-1", {Log("2026-01-01T00:00:00Z", "m", "1"),
                                                   Log("2026-01-01T00:00:01Z", "m", "2")})
                  .ok());
  ASSERT_TRUE(store_->PutSuggestionState("default", "exp", "state").ok());
  store_.reset();

  auto reopened = OpenStore("sqlite://" + path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  Store& store = **reopened;
  EXPECT_TRUE(store.GetExperiment("default", "exp").ok());
  EXPECT_THAT(Names(*store.ListTrials("default", "exp")), ElementsAre("exp-1", "exp-2"));
  EXPECT_EQ(store.GetObservationLog({"exp-1", "m", "", ""})->size(), 2u);
  EXPECT_EQ(*store.GetSuggestionState("default", "exp"), "state");
  // A new trial still comes after the old ones.
  ASSERT_TRUE(store.CreateTrial(MakeTrial("default", "exp", "exp-0")).ok());
  EXPECT_THAT(Names(*store.ListTrials("default", "exp")), ElementsAre("exp-1", "exp-2", "exp-0"));
}

TEST_F(SqliteStoreTest, SchemaIsVersionedInWalMode) {
  EXPECT_EQ(Query("SELECT MAX(version) FROM schema_version"),
            std::to_string(SqliteStore::kSchemaVersion));
  EXPECT_EQ(Query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                  "('experiments', 'trials', 'observation_logs', 'suggestion_state')"),
            "4");
  EXPECT_EQ(Query("SELECT group_concat(name) FROM pragma_index_info("
                  "'observation_logs_by_trial_metric_time')"),
            "trial_name,metric_name,time");
  // Katib's columns, in Katib's order.
  EXPECT_EQ(Query("SELECT group_concat(name) FROM pragma_table_info('observation_logs')"),
            "trial_name,id,time,metric_name,value");

  // Reopening does not migrate again.
  store_.reset();
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  EXPECT_EQ(Query("SELECT COUNT(*) FROM schema_version"), "1");
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO schema_version (version, description, applied_at) "
                         "VALUES (99, 'from the future', '2099-01-01 00:00:00.000000')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteStore::Open(path_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("99"));
}

TEST_F(SqliteStoreTest, LockedPastBusyTimeoutIsUnavailable) {
  auto store = SqliteStore::Open(path_, SqliteStoreOptions{std::chrono::milliseconds(50)});
  ASSERT_TRUE(store.ok()) << store.status();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  absl::Status create = (*store)->CreateExperiment(MakeExperiment("default", "exp"));
  EXPECT_EQ(create.code(), absl::StatusCode::kUnavailable) << create;
  EXPECT_THAT(create.message(), HasSubstr("\"default/exp\""));
  absl::Status report =
      (*store)->ReportObservationLog("t", {Log("2026-01-01T00:00:00Z", "m", "1")});
  EXPECT_EQ(report.code(), absl::StatusCode::kUnavailable) << report;
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_TRUE((*store)->ListExperiments().ok());

  ASSERT_EQ(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_TRUE((*store)->CreateExperiment(MakeExperiment("default", "exp")).ok());
  EXPECT_TRUE((*store)->ReportObservationLog("t", {Log("2026-01-01T00:00:00Z", "m", "1")}).ok());
}

// REVIEW 1.4: a lock held past the busy timeout is Unavailable, so RetryingStore waits it out
// and the call succeeds once the lock is gone (the other connection releases it during the
// first backoff).
TEST_F(SqliteStoreTest, Review14_LockedDatabaseIsRetriedUntilTheLockIsReleased) {
  auto sqlite = SqliteStore::Open(path_, SqliteStoreOptions{std::chrono::milliseconds(20)});
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  std::vector<std::chrono::milliseconds> waits;
  RetryPolicy policy;
  policy.sleep = [&](std::chrono::milliseconds wait) {
    waits.push_back(wait);
    if (waits.size() == 2) {
      EXPECT_EQ(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    }
  };
  RetryingStore store(**sqlite, policy);
  const absl::Status report =
      store.ReportObservationLog("t", {Log("2026-01-01T00:00:00Z", "m", "1")});
  EXPECT_TRUE(report.ok()) << report;
  EXPECT_EQ(waits.size(), 2u);
  sqlite3_close(db);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM observation_logs WHERE trial_name = 't'"), "1");
}

// REVIEW 1.4 / §4: a full database is ResourceExhausted (retrying cannot help), not
// Unavailable; the batch that did not fit stores nothing, and freeing space makes writes work
// again. The size cap is SQLite's own max_page_count, a real SQLITE_FULL.
TEST_F(SqliteStoreTest, Review14_FullDatabaseIsResourceExhaustedAndStoresNothing) {
  SqliteStoreOptions options;
  options.max_size_bytes = 128 * 1024;
  auto sqlite = SqliteStore::Open(path_, options);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  std::vector<std::chrono::milliseconds> waits;
  RetryPolicy policy;
  policy.sleep = [&](std::chrono::milliseconds wait) { waits.push_back(wait); };
  RetryingStore store(**sqlite, policy);

  constexpr int kLogsPerBatch = 50;
  const std::string value(200, '7');
  std::vector<core::MetricLog> batch;
  for (int i = 0; i < kLogsPerBatch; ++i) {
    batch.push_back(Log(absl::StrCat("2026-01-01T00:00:", 10 + i % 40, "Z"), "m", value));
  }
  absl::Status status;
  int stored_batches = 0;
  for (int i = 0; i < 1000 && status.ok(); ++i) {
    status = store.ReportObservationLog("t", batch);
    if (status.ok()) ++stored_batches;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(std::string(status.message()),
              StartsWith("reporting observation logs of trial \"t\": "));
  EXPECT_THAT(status.message(), HasSubstr("no space left"));
  EXPECT_THAT(status.message(), HasSubstr(path_));
  EXPECT_GT(stored_batches, 0);
  EXPECT_THAT(waits, IsEmpty());  // not retried

  auto logs = store.GetObservationLog({"t", "", "", ""});
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(logs->size(), static_cast<size_t>(stored_batches * kLogsPerBatch));

  ASSERT_TRUE(store.DeleteObservationLog("t").ok());
  EXPECT_TRUE(store.ReportObservationLog("t", batch).ok());
}

// ---- OpenStore ------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, OpenStoreSchemes) {
  const std::string nested = (dir_ / "a" / "b" / "plain.db").string();
  auto plain = OpenStore(nested);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(fs::exists(nested));

  const std::string prefixed = (dir_ / "c" / "prefixed.db").string();
  auto sqlite = OpenStore("sqlite://" + prefixed);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  EXPECT_TRUE(fs::exists(prefixed));
  ASSERT_TRUE((*sqlite)->CreateExperiment(MakeExperiment("default", "exp")).ok());

  auto mysql = OpenStore("mysql://root:s3cret@db:3306/katib");
  EXPECT_EQ(mysql.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(mysql.status().message(), HasSubstr("MySQL"));
  EXPECT_THAT(mysql.status().message(), Not(HasSubstr("s3cret")));

  auto postgres = OpenStore("postgres://user:pw@host/db");
  EXPECT_EQ(postgres.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(postgres.status().message(), HasSubstr("postgres://"));
  EXPECT_THAT(postgres.status().message(), HasSubstr("sqlite://"));
  EXPECT_THAT(postgres.status().message(), Not(HasSubstr("pw")));

  EXPECT_EQ(OpenStore("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("sqlite://").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, UnopenableFileIsUnavailable) {
  // A directory where the file should be.
  auto store = OpenStore(dir_.string());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(dir_.string()));

  // A parent that is a file.
  const std::string blocked = (fs::path(path_) / "sub" / "x.db").string();
  auto nested = OpenStore(blocked);
  EXPECT_EQ(nested.status().code(), absl::StatusCode::kUnavailable) << nested.status();
}

TEST_F(SqliteStoreTest, InMemoryStoreWorks) {
  auto store = OpenStore(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CreateExperiment(MakeExperiment("default", "exp")).ok());
  EXPECT_TRUE((*store)->GetExperiment("default", "exp").ok());
}

}  // namespace
}  // namespace ktune::db
