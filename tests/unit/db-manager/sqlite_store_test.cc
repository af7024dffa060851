// SqliteStore: what is particular to SQLite (file, schema and its migration, WAL, locks, a full
// disk, the per-connection change window). The conformance suites run over SQLite in
// store_conformance_test.cc.

#include "db-manager/internal/sqlite_store.h"

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
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/db-manager/experiment_store_conformance.h"
#include "tests/unit/db-manager/observation_store_conformance.h"

namespace ktune::db {
namespace {

namespace fs = std::filesystem;
using conformance::Log;
using conformance::MakeExperiment;
using conformance::MakeTrial;
using conformance::Names;
using conformance::Render;
using conformance::Rv;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

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
                  "('experiments', 'trials', 'observation_logs', 'suggestion_state', "
                  "'store_revision')"),
            "5");
  // The rendered template is the trials' last column: summaries select the ones before it.
  EXPECT_EQ(Query("SELECT name FROM pragma_table_info('trials') ORDER BY cid DESC LIMIT 1"),
            "run_spec");
  EXPECT_EQ(Query("SELECT group_concat(name) FROM pragma_index_info("
                  "'observation_logs_by_trial_metric_time')"),
            "trial_name,metric_name,time");
  // Katib's columns, in Katib's order.
  EXPECT_EQ(Query("SELECT group_concat(name) FROM pragma_table_info('observation_logs')"),
            "trial_name,id,time,metric_name,value");

  // Reopening does not migrate again.
  store_.reset();
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  EXPECT_EQ(Query("SELECT COUNT(*) FROM schema_version"), "2");
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

  absl::Status create = (*store)->CreateExperiment(MakeExperiment("default", "exp")).status();
  EXPECT_EQ(create.code(), absl::StatusCode::kUnavailable) << create;
  EXPECT_THAT(create.message(), HasSubstr("\"default/exp\""));
  absl::Status report =
      (*store)->ReportObservationLog("t", {Log("2026-01-01T00:00:00Z", "m", "1")});
  EXPECT_EQ(report.code(), absl::StatusCode::kUnavailable) << report;
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_TRUE((*store)->ListExperiments({}).ok());

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

// ---- schema migration -----------------------------------------------------------------------

// The schema of version 1 (ktune up to 420f73b), as that build created it, and rows as it
// wrote them: each object one JSON body.
constexpr char kVersion1Schema[] = R"sql(
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, 'initial schema', '2026-01-01 00:00:00.000000');
CREATE TABLE experiments (
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
);
CREATE TABLE trials (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  experiment TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (namespace, name),
  FOREIGN KEY (namespace, experiment) REFERENCES experiments (namespace, name) ON DELETE CASCADE
);
CREATE INDEX trials_by_experiment ON trials (namespace, experiment, seq);
CREATE TABLE observation_logs (
  trial_name  TEXT NOT NULL,
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  time        TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  value       TEXT NOT NULL
);
CREATE INDEX observation_logs_by_trial_metric_time
  ON observation_logs (trial_name, metric_name, time);
CREATE TABLE suggestion_state (
  namespace  TEXT NOT NULL,
  experiment TEXT NOT NULL,
  state      BLOB NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (namespace, experiment),
  FOREIGN KEY (namespace, experiment) REFERENCES experiments (namespace, name) ON DELETE CASCADE
);
)sql";

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error != nullptr ? error : "") << " in " << sql;
}

void InsertText(sqlite3* db, const std::string& sql, const std::vector<std::string>& values) {
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  for (size_t i = 0; i < values.size(); ++i) {
    sqlite3_bind_text(stmt, static_cast<int>(i + 1), values[i].c_str(), -1, SQLITE_TRANSIENT);
  }
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
}

TEST_F(SqliteStoreTest, Version1FileOpensWithAllItsData) {
  store_.reset();
  fs::remove(path_);
  core::Experiment old_exp = MakeExperiment("default", "old");
  old_exp.metadata.labels["team"] = "a";
  old_exp.status.trials = 2;
  old_exp.status.succeeded_trial_list = {"old-1"};
  core::Experiment with_uid = MakeExperiment("team-b", "kept-uid");
  with_uid.metadata.uid = "11111111-2222-4333-8444-555555555555";
  with_uid.metadata.creation_timestamp = "2025-12-01T00:00:00Z";
  core::Trial first = MakeTrial("default", "old", "old-1");
  first.spec.run_spec = nlohmann::json::parse(R"({"apiVersion": "batch/v1", "kind": "Job",
      "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}})");
  first.status.start_time = "2026-01-01T00:00:01Z";
  core::Trial second = MakeTrial("default", "old", "old-0");
  second.spec.run_spec = nullptr;  // none stored
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    Exec(db, kVersion1Schema);
    const std::string created = "2026-01-02 03:04:05.678901";
    InsertText(db, "INSERT INTO experiments VALUES (?, ?, ?, ?, ?)",
               {"default", "old", core::ExperimentToJson(old_exp).dump(), created, created});
    InsertText(db, "INSERT INTO experiments VALUES (?, ?, ?, ?, ?)",
               {"team-b", "kept-uid", core::ExperimentToJson(with_uid).dump(), created, created});
    InsertText(db,
               "INSERT INTO trials (namespace, name, experiment, body, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               {"default", "old-1", "old", core::TrialToJson(first).dump(), created, created});
    InsertText(db,
               "INSERT INTO trials (namespace, name, experiment, body, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               {"default", "old-0", "old", core::TrialToJson(second).dump(), created, created});
    Exec(db,
         "INSERT INTO observation_logs (trial_name, time, metric_name, value) VALUES "
         "('old-1', '2026-01-01 00:00:02.000000', 'accuracy', '0.9')");
    Exec(db,
         "INSERT INTO suggestion_state VALUES ('default', 'old', X'00FF01', "
         "'2026-01-01 00:00:00.000000')");
    sqlite3_close(db);
  }

  auto opened = SqliteStore::Open(path_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;
  EXPECT_EQ(Query("SELECT MAX(version) FROM schema_version"), "2");
  EXPECT_EQ(*store.Revision(), 1);

  auto exp = store.GetExperiment("default", "old");
  ASSERT_TRUE(exp.ok()) << exp.status();
  EXPECT_EQ(exp->metadata.resource_version, "1");
  EXPECT_EQ(exp->metadata.generation, 1);
  EXPECT_EQ(exp->metadata.uid.size(), 36u);
  EXPECT_EQ(exp->metadata.uid[14], '4');
  EXPECT_EQ(exp->metadata.creation_timestamp, "2026-01-02T03:04:05Z");  // from created_at
  core::Experiment expected = old_exp;
  expected.metadata.uid = exp->metadata.uid;
  expected.metadata.creation_timestamp = exp->metadata.creation_timestamp;
  expected.metadata.resource_version = "1";
  expected.metadata.generation = 1;
  EXPECT_EQ(core::ExperimentToJson(*exp), core::ExperimentToJson(expected));
  auto kept = store.GetExperiment("team-b", "kept-uid");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->metadata.uid, "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(kept->metadata.creation_timestamp, "2025-12-01T00:00:00Z");

  auto trials = store.ListTrials("default", "old");
  ASSERT_TRUE(trials.ok()) << trials.status();
  EXPECT_THAT(Names(*trials), ElementsAre("old-1", "old-0"));
  EXPECT_EQ((*trials)[0].spec.run_spec, first.spec.run_spec);
  EXPECT_EQ((*trials)[0].status.start_time, "2026-01-01T00:00:01Z");
  EXPECT_TRUE((*trials)[1].spec.run_spec.is_null());
  EXPECT_NE((*trials)[0].metadata.uid, (*trials)[1].metadata.uid);
  EXPECT_NE((*trials)[0].metadata.uid, exp->metadata.uid);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM trials WHERE uid = ''"), "0");
  auto summaries = store.ListTrialSummaries("default", "old", {});
  ASSERT_TRUE(summaries.ok()) << summaries.status();
  EXPECT_EQ(summaries->items.size(), 2u);

  EXPECT_EQ(store.GetObservationLog({"old-1", "accuracy", "", ""})->size(), 1u);
  EXPECT_EQ(*store.GetSuggestionState("default", "old"), std::string("\0\xff\x01", 3));

  // The migrated objects take part in versions, compare-and-swap and the cascade.
  core::Experiment patch = *exp;
  patch.spec.max_trial_count = 99;
  auto patched = store.UpdateExperimentSpec(patch);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(patched->metadata.resource_version, "2");
  EXPECT_EQ(patched->metadata.generation, 2);
  EXPECT_EQ(patched->status.trials, 2);
  auto stale = store.UpdateExperimentStatus(*exp);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  auto added = store.CreateTrial(MakeTrial("default", "old", "old-new"));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_THAT(Names(*store.ListTrials("default", "old")), ElementsAre("old-1", "old-0", "old-new"));
  ASSERT_TRUE(store.DeleteExperiment("default", "old").ok());
  EXPECT_THAT(*store.GetObservationLog({"old-1", "", "", ""}), IsEmpty());
  EXPECT_EQ(Query("SELECT COUNT(*) FROM trials"), "0");
}

// ---- what summaries read --------------------------------------------------------------------

// The rendered template lives in its own column that summaries never select: a trial whose
// stored template is unreadable (or enormous) lists fine; only reading the trial itself fails.
TEST_F(SqliteStoreTest, TrialSummariesNeverDecodeTheRunSpec) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "t1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "t2")).ok());
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    // 8 MB that are not JSON.
    Exec(db, "UPDATE trials SET run_spec = '{' || hex(zeroblob(4000000)) WHERE name = 't1'");
    sqlite3_close(db);
  }
  auto summaries = store_->ListTrialSummaries("default", "exp", {});
  ASSERT_TRUE(summaries.ok()) << summaries.status();
  ASSERT_EQ(summaries->items.size(), 2u);
  EXPECT_EQ(summaries->items[0].metadata.name, "t1");
  EXPECT_EQ(summaries->items[0].parameter_assignments[0].value, "0.02");

  auto trial = store_->GetTrial("default", "t1");
  EXPECT_EQ(trial.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(trial.status().message(), HasSubstr("run_spec"));
  EXPECT_THAT(trial.status().message(), HasSubstr("\"default/t1\""));
  EXPECT_TRUE(store_->GetTrial("default", "t2").ok());
}

// ---- revisions across connections -----------------------------------------------------------

TEST_F(SqliteStoreTest, RevisionIsStoredAndSharedByConnections) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  EXPECT_EQ(Query("SELECT revision FROM store_revision"), "1");
  auto other = SqliteStore::Open(path_);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(*(*other)->Revision(), 1);
  auto trial = (*other)->CreateTrial(MakeTrial("default", "exp", "t1"));
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_EQ(trial->metadata.resource_version, "2");

  // This store did not see revision 2 happen: it does not pretend to have its change.
  auto third = store_->CreateTrial(MakeTrial("default", "exp", "t2"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->metadata.resource_version, "3");
  EXPECT_EQ(store_->ChangesSince(1).status().code(), absl::StatusCode::kOutOfRange);
  auto latest = store_->ChangesSince(2);
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->changes.size(), 1u);
  EXPECT_EQ(latest->changes[0].name, "t2");

  // The other one learns of revision 3 when it reads the revision: its window restarts there.
  EXPECT_EQ(*(*other)->Revision(), 3);
  EXPECT_EQ((*other)->ChangesSince(2).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT((*other)->ChangesSince(3)->changes, IsEmpty());
}

// ---- StoreFilePath --------------------------------------------------------------------------

TEST(StoreFilePathTest, NamesTheFileOfASqliteLocationOnly) {
  EXPECT_EQ(*StoreFilePath("/var/lib/ktune/ktune.db"), "/var/lib/ktune/ktune.db");
  EXPECT_EQ(*StoreFilePath("sqlite:///var/lib/ktune/ktune.db"), "/var/lib/ktune/ktune.db");
  EXPECT_EQ(*StoreFilePath("sqlite://relative/k.db"), "relative/k.db");
  EXPECT_EQ(*StoreFilePath("k.db"), "k.db");

  auto mysql = StoreFilePath("mysql://root:s3cret@db:3306/katib");
  EXPECT_EQ(mysql.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mysql.status().message(), HasSubstr("not a path"));
  EXPECT_THAT(mysql.status().message(), Not(HasSubstr("s3cret")));
  auto postgres = StoreFilePath("postgres://user:pw@host/db");
  EXPECT_EQ(postgres.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(postgres.status().message(), Not(HasSubstr("pw")));
  EXPECT_EQ(StoreFilePath("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StoreFilePath("sqlite://").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StoreFilePath(":memory:").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ktune::db
