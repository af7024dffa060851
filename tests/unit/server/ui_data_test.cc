// The web UI's read models (server/ui_data.h) over real HTTP: a real SQLite store, the real
// controller manager and `random` plugin, trials in a FakeExecutor the test ends.

#include "server/ui_data.h"

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/manager.h"
#include "controller/testing/fake_executor.h"
#include "core/mutex.h"
#include "db-manager/internal/sqlite_store.h"
#include "db-manager/store.h"
#include "server/api_server.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"
#include "tests/unit/server/server_fixture.h"

namespace ktune::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kBase[] = "/apis/ktune.dev/v1/namespaces/default/experiments/";

json Parameter(const std::string& name) {
  return {
      {"name", name}, {"parameterType", "double"}, {"feasibleSpace", {{"min", "0"}, {"max", "1"}}}};
}

std::string ExperimentJson(const std::string& name, int max_trials, int parallel,
                           const std::string& type = "minimize",
                           std::vector<std::string> params = {"x"}) {
  json parameters = json::array(), trial_parameters = json::array();
  json command = json::array({"/bin/echo"});
  for (const std::string& p : params) {
    parameters.push_back(Parameter(p));
    trial_parameters.push_back({{"name", p}, {"reference", p}});
    command.push_back(p + "=${trialParameters." + p + "}");
  }
  json container = {{"name", "main"}, {"image", "none"}, {"command", command}};
  json e = {
      {"apiVersion", "kubeflow.org/v1beta1"},
      {"kind", "Experiment"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"objective",
         {{"type", type},
          {"objectiveMetricName", "loss"},
          {"additionalMetricNames", json::array({"acc"})}}},
        {"algorithm", {{"algorithmName", "random"}}},
        {"parallelTrialCount", parallel},
        {"maxTrialCount", max_trials},
        {"maxFailedTrialCount", max_trials},
        {"parameters", parameters},
        {"trialTemplate",
         {{"primaryContainerName", "main"},
          {"trialParameters", trial_parameters},
          {"trialSpec",
           {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"spec",
             {{"template",
               {{"spec",
                 {{"restartPolicy", "Never"}, {"containers", json::array({container})}}}}}}}}}}}}}};
  return e.dump();
}

class UiDataTest : public ApiServerFixture {
 protected:
  UiDataTest() : ApiServerFixture("ktune-ui-data") { client_sends_token_ = true; }

  absl::StatusOr<std::unique_ptr<db::Store>> OpenStore() override {
    if (change_window_ <= 0) return ApiServerFixture::OpenStore();
    db::SqliteStoreOptions store_options;
    store_options.change_window = change_window_;
    absl::StatusOr<std::unique_ptr<db::SqliteStore>> store =
        db::SqliteStore::Open((dir_ / "k.db").string(), store_options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<db::Store>(std::move(*store));
  }

  // The answer's body as JSON; a test failure unless its status is `status`.
  static json Body(const httplib::Result& r, int status = 200) {
    if (r) {
      EXPECT_EQ(r->status, status) << r->body;
    }
    return ApiServerFixture::Body(r);
  }

  void Create(const std::string& body) {
    auto r = Post(body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }

  json Get(const std::string& path, int status = 200) {
    return Body(Client().Get((kBase + path).c_str()), status);
  }

  // Waits (on the store's change feed, 30 s at most) until `done` holds.
  template <typename Pred>
  bool WaitFor(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int64_t revision = store_->Revision().value_or(0);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      revision = store_->WaitForChanges(revision, absl::Milliseconds(200));
    }
    return true;
  }

  std::string PhaseOf(const std::string& experiment, const std::string& trial) {
    json table = Get(experiment + "/trialtable");
    for (const json& row : table["trials"]) {
      if (row["name"] == trial) return row["phase"];
    }
    return "";
  }

  int64_t change_window_ = 0;  // > 0: the store keeps only this many changes
};

TEST_F(UiDataTest, TrialTableShowsFinishedRunningAndFailedTrialsThenOnlyWhatChanged) {
  ASSERT_NO_FATAL_FAILURE(Create(ExperimentJson("t", 3, 3)));
  executor_->WaitForStarts(3);
  std::vector<std::string> names = executor_->running();
  ASSERT_EQ(names.size(), 3u);
  ASSERT_TRUE(executor_->Succeed(names[0], {{"loss", "0.25"}, {"acc", "0.9"}}));
  ASSERT_TRUE(executor_->Fail(names[1]));
  ASSERT_TRUE(WaitFor([&] {
    return PhaseOf("t", names[0]) == "Succeeded" && PhaseOf("t", names[1]) == "Failed" &&
           PhaseOf("t", names[2]) == "Running";
  }));
  json table = Get("t/trialtable");
  EXPECT_EQ(table["kind"], "TrialTable");
  EXPECT_EQ(table["apiVersion"], "ktune.dev/v1");
  EXPECT_EQ(table["complete"], true);
  EXPECT_EQ(table["objective"], json({{"metric", "loss"}, {"type", "minimize"}}));
  EXPECT_EQ(table["metrics"], json({"loss", "acc"}));
  ASSERT_EQ(table["parameters"].size(), 1u);
  EXPECT_EQ(table["parameters"][0]["name"], "x");
  ASSERT_EQ(table["trials"].size(), 3u);
  std::map<std::string, json> rows;
  for (const json& row : table["trials"]) rows[row["name"]] = row;
  const json& done = rows[names[0]];
  EXPECT_EQ(done["objective"], 0.25);
  EXPECT_EQ(done["metrics"]["loss"], json({{"latest", 0.25}, {"min", 0.25}, {"max", 0.25}}));
  EXPECT_EQ(done["metrics"]["acc"]["latest"], 0.9);
  EXPECT_TRUE(done["assignments"]["x"].is_string());
  EXPECT_TRUE(done.contains("createdAt") && done.contains("startTime") &&
              done.contains("completionTime"));
  const json& failed = rows[names[1]];
  EXPECT_THAT(failed["reason"].get<std::string>(), HasSubstr("TrialFailed"));
  EXPECT_THAT(failed["message"].get<std::string>(), HasSubstr("process exited with code 1"));
  EXPECT_FALSE(failed.contains("objective"));
  const json& running = rows[names[2]];
  EXPECT_TRUE(running.contains("startTime"));
  EXPECT_FALSE(running.contains("completionTime"));
  EXPECT_TRUE(WaitFor([&] { return Get("t/trialtable").value("bestTrialName", "") == names[0]; }));

  // Only the trial that changed after the table's revision comes back.
  const std::string rv = Get("t/trialtable")["resourceVersion"];
  json nothing = Get("t/trialtable?since=" + rv);
  EXPECT_EQ(nothing["complete"], false);
  EXPECT_TRUE(nothing["trials"].empty());
  EXPECT_TRUE(nothing["deleted"].empty());
  ASSERT_TRUE(executor_->Succeed(names[2], {{"loss", "0.5"}}));
  ASSERT_TRUE(WaitFor([&] { return PhaseOf("t", names[2]) == "Succeeded"; }));
  json delta = Get("t/trialtable?since=" + rv);
  EXPECT_EQ(delta["complete"], false);
  ASSERT_EQ(delta["trials"].size(), 1u);
  EXPECT_EQ(delta["trials"][0]["name"], names[2]);
  EXPECT_EQ(delta["trials"][0]["objective"], 0.5);
  EXPECT_GT(std::stoll(delta["resourceVersion"].get<std::string>()), std::stoll(rv));

  EXPECT_EQ(Get("t/trialtable?since=abc", 400)["kind"], "Status");
  EXPECT_EQ(Get("missing/trialtable", 404)["reason"], "NotFound");
}

TEST_F(UiDataTest, IntermediateValuesComeInReportOrderAndReportsAreEvents) {
  ASSERT_NO_FATAL_FAILURE(Create(ExperimentJson("iv", 2, 2)));
  executor_->WaitForStarts(2);
  std::vector<std::string> names = executor_->running();
  ASSERT_EQ(names.size(), 2u);

  // Subscribe to the event stream before the reports.
  Mutex mu;
  CondVar cv;
  std::string stream;
  bool stream_done = false;
  std::thread reader([&] {
    httplib::Client c = Client();
    c.Get("/apis/ktune.dev/v1/events", [&](const char* data, size_t size) {
      MutexLock lock(mu);
      stream.append(data, size);
      cv.SignalAll();
      return stream.find("\"kind\":\"Observation\"") == std::string::npos;
    });
    MutexLock lock(mu);
    stream_done = true;
    cv.SignalAll();
  });
  auto wait_stream = [&](const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    MutexLock lock(mu);
    while (stream.find(text) == std::string::npos && !stream_done) {
      if (!cv.WaitUntil(mu, deadline)) break;
    }
    return stream.find(text) != std::string::npos;
  };
  ASSERT_TRUE(wait_stream("event: hello"));
  ASSERT_TRUE(tap_->Report(names[0], {{"2026-01-01T00:00:01Z", "loss", "3"},
                                      {"2026-01-01T00:00:02Z", "loss", "2"},
                                      {"2026-01-01T00:00:02Z", "acc", "0.5"},
                                      {"2026-01-01T00:00:03Z", "loss", "nan"},
                                      {"2026-01-01T00:00:04Z", "loss", "1.5"}})
                  .ok());
  EXPECT_TRUE(wait_stream("\"kind\":\"Observation\""));
  reader.join();
  {
    MutexLock lock(mu);
    EXPECT_THAT(stream, HasSubstr("{\"experiment\":\"iv\",\"kind\":\"Observation\""));
    EXPECT_THAT(stream, HasSubstr("\"name\":\"" + names[0] + "\""));
    EXPECT_THAT(stream, HasSubstr("\"experiment\":\"iv\""));
  }

  json iv = Get("iv/intermediate");
  EXPECT_EQ(iv["kind"], "IntermediateValues");
  EXPECT_EQ(iv["metric"], "loss");
  EXPECT_EQ(iv["maxPointsPerTrial"], kMaxIntermediatePoints);
  ASSERT_EQ(iv["trials"].size(), 2u);
  std::map<std::string, json> rows;
  for (const json& row : iv["trials"]) rows[row["name"]] = row;
  EXPECT_EQ(rows[names[0]]["values"], json({3, 2, 1.5}));  // "nan" cannot be drawn
  EXPECT_EQ(rows[names[0]]["times"].size(), 3u);
  EXPECT_EQ(rows[names[0]]["phase"], "Running");
  EXPECT_TRUE(rows[names[1]]["values"].empty());
  json acc = Get("iv/intermediate?metric=acc");
  for (const json& row : acc["trials"]) {
    if (row["name"] == names[0]) {
      EXPECT_EQ(row["values"], json({0.5}));
    }
  }
}

TEST_F(UiDataTest, IntermediateValuesAreThinnedToTheBoundAndLargeAnswersAreGzipped) {
  ASSERT_NO_FATAL_FAILURE(Create(ExperimentJson("many", 3, 3)));
  executor_->WaitForStarts(3);
  std::vector<core::MetricLog> logs;
  for (int i = 0; i < 3000; ++i) {
    logs.push_back({absl::StrCat("2026-01-01T00:", i / 60 % 60 < 10 ? "0" : "", i / 60 % 60, ":",
                                 i % 60 < 10 ? "0" : "", i % 60, "Z"),
                    "loss", std::to_string(i)});
  }
  for (const std::string& trial : executor_->running()) {
    ASSERT_TRUE(tap_->Report(trial, logs).ok());
  }
  // What browsers send: brotli would be preferred (and take seconds at httplib's quality).
  auto r = Client().Get((std::string(kBase) + "many/intermediate").c_str(),
                        {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  json iv = Body(r);
  ASSERT_EQ(iv["trials"].size(), 3u);
  for (const json& row : iv["trials"]) {
    const json& values = row["values"];
    ASSERT_EQ(values.size(), static_cast<size_t>(kMaxIntermediatePoints));
    EXPECT_EQ(row["reported"], 3000);
    EXPECT_EQ(values.front(), 0);
    EXPECT_EQ(values.back(), 2999);
    for (size_t i = 1; i < values.size(); ++i) ASSERT_LT(values[i - 1], values[i]);
  }
}

TEST_F(UiDataTest, ImportanceFindsTheParameterThatDrivesAMaximisedObjective) {
  // Highest values need x above 0.7; y only spoils them when it is below 0.3.
  ASSERT_NO_FATAL_FAILURE(Create(ExperimentJson("imp", 60, 10, "maximize", {"x", "y"})));
  EXPECT_EQ(Get("imp/importance", 409)["message"],
            "parameter importance needs at least 3 completed trials with an objective value, "
            "has 0");
  size_t ended = 0;
  while (ended < 60) {
    executor_->WaitForStarts(ended + 1);
    for (const core::Trial& t : executor_->starts()) {
      std::map<std::string, double> p;
      for (const auto& a : t.spec.parameter_assignments) p[a.name] = std::stod(a.value);
      const double v = 10 * std::max(0.0, p["x"] - 0.7) - 10 * std::max(0.0, 0.3 - p["y"]);
      if (executor_->Succeed(t.metadata.name, {{"loss", std::to_string(v)}})) ++ended;
    }
  }
  ASSERT_TRUE(manager_->Wait({"default", "imp"}).ok());
  json imp = Get("imp/importance");
  EXPECT_EQ(imp["kind"], "ParameterImportance");
  EXPECT_EQ(imp["method"], "ped-anova");
  EXPECT_EQ(imp["metric"], "loss");
  EXPECT_EQ(imp["trials"], 60);
  ASSERT_EQ(imp["importances"].size(), 2u);
  EXPECT_EQ(imp["importances"][0]["parameter"], "x");
  EXPECT_GT(imp["importances"][0]["importance"].get<double>(), 0.6);
  EXPECT_NEAR(imp["importances"][0]["importance"].get<double>() +
                  imp["importances"][1]["importance"].get<double>(),
              1.0, 1e-9);
  // The same answer again (from the cache while nothing changed).
  EXPECT_EQ(Get("imp/importance"), imp);
}

TEST_F(UiDataTest, StopKillsRunningTrialsAndEndsTheExperiment) {
  ASSERT_NO_FATAL_FAILURE(Create(ExperimentJson("s", 5, 2)));
  executor_->WaitForStarts(2);
  const std::vector<std::string> running = executor_->running();
  auto r = Client().Post((std::string(kBase) + "s/stop").c_str(), "", "application/json");
  json e = Body(r);
  EXPECT_EQ(e["kind"], "Experiment");
  bool stopped = false;
  for (const json& c : e["status"]["conditions"]) {
    if (c["type"] == "Succeeded" && c["status"] == "True") {
      stopped = c["reason"] == controller::kReasonExperimentStopped;
    }
  }
  EXPECT_TRUE(stopped) << e["status"].dump();
  EXPECT_THAT(executor_->kills(), UnorderedElementsAre(running[0], running[1]));
  json again =
      Body(Client().Post((std::string(kBase) + "s/stop").c_str(), "", "application/json"), 409);
  EXPECT_EQ(again["reason"], "Conflict");
  EXPECT_THAT(again["message"].get<std::string>(), HasSubstr("already finished"));
  json missing =
      Body(Client().Post((std::string(kBase) + "nope/stop").c_str(), "", "application/json"), 404);
  EXPECT_EQ(missing["kind"], "Status");
}

class UiDataShortFeedTest : public UiDataTest {
 protected:
  UiDataShortFeedTest() { change_window_ = 2; }
};

TEST_F(UiDataShortFeedTest, ARevisionOlderThanTheFeedGetsTheWholeTable) {
  ASSERT_NO_FATAL_FAILURE(Create(ExperimentJson("w", 3, 3)));
  executor_->WaitForStarts(3);
  const std::string rv = Get("w/trialtable")["resourceVersion"];
  // More writes than the feed keeps (three trials end: three writes at least).
  for (const std::string& t : executor_->running()) {
    ASSERT_TRUE(executor_->Succeed(t, {{"loss", "1"}}));
  }
  ASSERT_TRUE(manager_->Wait({"default", "w"}).ok());
  json table = Get("w/trialtable?since=" + rv);
  EXPECT_EQ(table["complete"], true);
  EXPECT_EQ(table["trials"].size(), 3u);
  EXPECT_FALSE(table.contains("deleted"));
  for (const json& row : table["trials"]) EXPECT_EQ(row["phase"], "Succeeded");
}

class UiDataTokenTest : public UiDataTest {
 protected:
  UiDataTokenTest() { token_ = "s3cret"; }
};

TEST_F(UiDataTokenTest, TheNewRoutesNeedTheToken) {
  ASSERT_NO_FATAL_FAILURE(Create(ExperimentJson("a", 1, 1)));
  httplib::Client anonymous("127.0.0.1", port_);
  for (const char* path : {"a/trialtable", "a/intermediate", "a/importance"}) {
    auto r = anonymous.Get((std::string(kBase) + path).c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
  }
  auto stop = anonymous.Post((std::string(kBase) + "a/stop").c_str(), "", "application/json");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 401);
  EXPECT_EQ(Get("a/trialtable")["kind"], "TrialTable");
}

}  // namespace
}  // namespace ktune::server
