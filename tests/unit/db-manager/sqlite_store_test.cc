#include "db-manager/sqlite_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/time_util.h"
#include "db-manager/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::db {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

core::Experiment MakeExperiment(const std::string& ns, const std::string& name) {
  core::Experiment e;
  e.metadata.namespace_ = ns;
  e.metadata.name = name;
  core::ObjectiveSpec objective;
  objective.type = "maximize";
  objective.goal = 0.99;
  objective.objective_metric_name = "accuracy";
  objective.additional_metric_names = {"loss"};
  e.spec.objective = objective;
  e.spec.algorithm = core::AlgorithmSpec{"random", {{"random_state", "10"}}};
  core::ParameterSpec lr;
  lr.name = "lr";
  lr.parameter_type = "double";
  lr.feasible_space.min = "0.01";
  lr.feasible_space.max = "0.05";
  e.spec.parameters = {lr};
  e.spec.max_trial_count = 12;
  e.spec.parallel_trial_count = 3;
  return e;
}

core::Trial MakeTrial(const std::string& ns, const std::string& experiment,
                      const std::string& name) {
  core::Trial t;
  t.metadata.namespace_ = ns;
  t.metadata.name = name;
  t.metadata.labels[core::kExperimentLabel] = experiment;
  t.spec.objective.type = "maximize";
  t.spec.objective.objective_metric_name = "accuracy";
  t.spec.parameter_assignments = {{"lr", "0.02"}};
  t.spec.run_spec = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  return t;
}

core::MetricLog Log(std::string time, std::string name, std::string value) {
  return core::MetricLog{std::move(time), std::move(name), std::move(value)};
}

std::vector<std::string> Names(const std::vector<core::Trial>& trials) {
  std::vector<std::string> names;
  for (const auto& t : trials) names.push_back(t.metadata.name);
  return names;
}

std::vector<std::string> Render(const std::vector<core::MetricLog>& logs) {
  std::vector<std::string> out;
  for (const auto& l : logs) out.push_back(absl::StrCat(l.time_stamp, " ", l.name, "=", l.value));
  return out;
}

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

// ---- experiments ----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, ExperimentLifecycle) {
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

TEST_F(SqliteStoreTest, ListExperimentsByNamespace) {
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

TEST_F(SqliteStoreTest, RejectsEmptyKey) {
  EXPECT_EQ(store_->CreateExperiment(MakeExperiment("default", "")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateExperiment(MakeExperiment("", "x")).code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- trials ---------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, TrialsListInCreationOrderScopedToExperiment) {
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

TEST_F(SqliteStoreTest, TrialErrors) {
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

TEST_F(SqliteStoreTest, TrialRoundTripKeepsRunSpecUnknownFields) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  core::Trial trial = MakeTrial("default", "exp", "exp-x1");
  trial.spec.run_spec = nlohmann::json::parse(R"({
    "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "exp-x1", "annotations": {"custom.io/anything": "yes"}},
    "spec": {"pytorchReplicaSpecs": {"Master": {"replicas": 1, "x-unknown": [1, 2.5, null, true]}},
             "someFutureField": {"nested": {"deeper": "value ünïcode"}}}
  })");
  trial.spec.metrics_collector.kind = "StdOut";
  trial.status.conditions.push_back(
      {"Created", "True", "TrialCreated", "Trial is created", "2026-01-01T00:00:00Z",
       "2026-01-01T00:00:00Z"});
  ASSERT_TRUE(store_->CreateTrial(trial).ok());

  auto got = store_->GetTrial("default", "exp-x1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->spec.run_spec, trial.spec.run_spec);
  EXPECT_EQ(core::TrialToJson(*got), core::TrialToJson(trial));
}

// ---- observation logs -----------------------------------------------------------------------

TEST_F(SqliteStoreTest, ObservationLogsFilterAndOrder) {
  const std::vector<core::MetricLog> batch = {
      Log("2026-03-01T10:00:02Z", "loss", "0.5"),
      Log("2026-03-01T10:00:01.5Z", "accuracy", "0.7"),
      Log("", "accuracy", "0.0"),  // skipped: no timestamp
      Log("2026-03-01T10:00:01.5Z", "loss", "0.9"),  // same time: insertion order
      Log("2026-03-01T12:00:03+02:00", "accuracy", "0.8"),  // 10:00:03 UTC
      Log("2026-03-01T10:00:04.123456789Z", "accuracy", core::kUnavailable),
  };
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", batch).ok());
  ASSERT_TRUE(store_->ReportObservationLog("trial-2", {Log("2026-03-01T10:00:00Z", "loss", "1")})
                  .ok());

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

  // Stored as sortable UTC text.
  EXPECT_EQ(Query("SELECT time FROM observation_logs WHERE trial_name = 'trial-1' "
                  "AND value = '0.8'"),
            "2026-03-01 10:00:03.000000");
}

TEST_F(SqliteStoreTest, ObservationLogBadTimestampStoresNothing) {
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
  EXPECT_EQ(Query("SELECT COUNT(*) FROM observation_logs"), "0");
}

TEST_F(SqliteStoreTest, ObservationLogOnlyEmptyTimestampsIsANoOp) {
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {Log("", "accuracy", "1")}).ok());
  ASSERT_TRUE(store_->ReportObservationLog("trial-1", {}).ok());
  EXPECT_EQ(Query("SELECT COUNT(*) FROM observation_logs"), "0");
}

TEST_F(SqliteStoreTest, ObservationLogZeroTimeRoundTrips) {
  ASSERT_TRUE(
      store_->ReportObservationLog("trial-1", {Log(core::kZeroTime, "accuracy", "0.5")}).ok());
  auto logs = store_->GetObservationLog({"trial-1", "accuracy", core::kZeroTime, core::kZeroTime});
  ASSERT_TRUE(logs.ok()) << logs.status();
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].time_stamp, "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(core::ParseRfc3339((*logs)[0].time_stamp), core::ParseRfc3339(core::kZeroTime));
  EXPECT_EQ(Query("SELECT time FROM observation_logs"), "0001-01-01 00:00:00.000000");
}

TEST_F(SqliteStoreTest, DeleteObservationLog) {
  ASSERT_TRUE(store_->ReportObservationLog("t1", {Log("2026-01-01T00:00:00Z", "m", "1")}).ok());
  ASSERT_TRUE(store_->ReportObservationLog("t2", {Log("2026-01-01T00:00:00Z", "m", "2")}).ok());
  ASSERT_TRUE(store_->DeleteObservationLog("t1").ok());
  ASSERT_TRUE(store_->DeleteObservationLog("never-reported").ok());
  EXPECT_THAT(*store_->GetObservationLog({"t1", "", "", ""}), IsEmpty());
  EXPECT_EQ(store_->GetObservationLog({"t2", "", "", ""})->size(), 1u);
}

// ---- delete cascade -------------------------------------------------------------------------

TEST_F(SqliteStoreTest, DeleteExperimentRemovesTrialsLogsAndState) {
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

TEST_F(SqliteStoreTest, SuggestionState) {
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

// ---- file, schema, concurrency --------------------------------------------------------------

TEST_F(SqliteStoreTest, PersistsAcrossReopen) {
  ASSERT_TRUE(store_->CreateExperiment(MakeExperiment("default", "exp")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-1")).ok());
  ASSERT_TRUE(store_->CreateTrial(MakeTrial("default", "exp", "exp-2")).ok());
  ASSERT_TRUE(store_->ReportObservationLog("exp-1", {Log("2026-01-01T00:00:00Z", "m", "1"),
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

TEST_F(SqliteStoreTest, ConcurrentWritersLoseNothing) {
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

TEST_F(SqliteStoreTest, TwoConnectionsOnOneFileWaitForEachOther) {
  auto second = SqliteStore::Open(path_);
  ASSERT_TRUE(second.ok()) << second.status();
  constexpr int kThreads = 4;
  constexpr int kCalls = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store* store = t % 2 == 0 ? static_cast<Store*>(store_.get()) : second->get();
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
