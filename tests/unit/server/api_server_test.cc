// The REST API over real HTTP (httplib on a loopback port), a real SQLite store, the real
// controller manager and the `random` plugin; trials run in a FakeExecutor so the test decides
// when each ends.

#include "server/api_server.h"

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "controller/manager.h"
#include "controller/testing/fake_executor.h"
#include "core/codec.h"
#include "core/mutex.h"
#include "db-manager/store.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"
#include "tests/unit/server/server_fixture.h"

namespace ktune::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kTable[] = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

std::string ExperimentJson(const std::string& name, int max_trials = 2, int parallel = 2) {
  json e = {
      {"apiVersion", "kubeflow.org/v1beta1"},
      {"kind", "Experiment"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"objective", {{"type", "minimize"}, {"objectiveMetricName", "loss"}}},
        {"algorithm", {{"algorithmName", "random"}}},
        {"parallelTrialCount", parallel},
        {"maxTrialCount", max_trials},
        {"parameters", json::array({{{"name", "x"},
                                     {"parameterType", "double"},
                                     {"feasibleSpace", {{"min", "0"}, {"max", "1"}}}}})},
        {"trialTemplate",
         {{"primaryContainerName", "main"},
          {"trialParameters", json::array({{{"name", "x"}, {"reference", "x"}}})},
          {"trialSpec",
           {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"spec",
             {{"template",
               {{"spec",
                 {{"restartPolicy", "Never"},
                  {"containers",
                   json::array(
                       {{{"name", "main"},
                         {"image", "none"},
                         {"command",
                          json::array({"/bin/echo", "x=${trialParameters.x}"})}}})}}}}}}}}}}}}}};
  if (name.empty()) {
    e["metadata"].erase("name");
    e["metadata"]["generateName"] = "gen-";
  }
  return e.dump();
}

class ApiServerTest : public ApiServerFixture {
 protected:
  ApiServerTest() : ApiServerFixture("ktune-api") {}

  void AdjustOptions(ApiServerOptions& options) override {
    options.log_path = [this](const controller::TrialRef& t) {
      return dir_ / "logs" / (t.name + ".log");
    };
  }

  std::string Path(const std::string& name, const std::string& kind = "experiments") {
    return "/apis/kubeflow.org/v1beta1/namespaces/default/" + kind + "/" + name;
  }

  // Ends `trials` more trials with loss = 0.5 as they start, then waits for the experiment
  // to be done.
  core::Experiment RunToEnd(const std::string& name, size_t trials) {
    for (const size_t target = ended_ + trials; ended_ < target;) {
      executor_->WaitForStarts(ended_ + 1);
      for (const std::string& t : executor_->running()) {
        if (executor_->Succeed(t, {{"loss", "0.5"}})) ++ended_;
      }
    }
    absl::StatusOr<core::Experiment> e = manager_->Wait({"default", name});
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : core::Experiment{};
  }

  size_t ended_ = 0;  // trials ended by RunToEnd
};

TEST_F(ApiServerTest, DiscoveryVersionAndOpenApiAreWhatKubectlNeeds) {
  httplib::Client c = Client();
  json version = Body(c.Get("/version"));
  EXPECT_EQ(version["major"], "1");
  EXPECT_EQ(version["minor"], "32");
  auto apis =
      c.Get("/apis", {{"Accept",
                       "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                       "application/json"}});
  ASSERT_TRUE(apis);
  EXPECT_THAT(apis->get_header_value("Content-Type"), HasSubstr("as=APIGroupDiscoveryList"));
  EXPECT_THAT(apis->body, HasSubstr("\"experiments\""));
  json legacy = Body(c.Get("/apis/kubeflow.org/v1beta1"));
  EXPECT_EQ(legacy["kind"], "APIResourceList");
  json openapi = Body(c.Get("/openapi/v3"));
  ASSERT_TRUE(openapi["paths"].contains("apis/kubeflow.org/v1beta1"));
  std::string url = openapi["paths"]["apis/kubeflow.org/v1beta1"]["serverRelativeURL"];
  auto gv = c.Get(url.c_str());
  ASSERT_TRUE(gv);
  EXPECT_THAT(gv->body, HasSubstr("fieldValidation"));
  EXPECT_EQ(Client().Get("/healthz")->status, 200);
  EXPECT_EQ(Client().Get("/readyz")->status, 200);
  auto metrics = Client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("\nktune_running_trials 0\n"));
  EXPECT_THAT(metrics->body, HasSubstr("ktune_experiments{state=\"active\"} 0"));
  EXPECT_THAT(metrics->body, HasSubstr("process_resident_memory_bytes "));
  api_->Shutdown();
  EXPECT_EQ(Client().Get("/readyz")->status, 503);
}

// A browser asks for brotli first; httplib's own brotli (quality 11) takes seconds for a
// few megabytes, so large answers come gzipped by ktune and small ones as they are.
TEST_F(ApiServerTest, LargeAnswersComeGzippedSmallOnesPlain) {
  const httplib::Headers browser = {{"Accept-Encoding", "gzip, deflate, br, zstd"}};
  httplib::Client c = Client();
  auto openapi = c.Get("/openapi/v3/apis/kubeflow.org/v1beta1", browser);  // ~70 KB
  ASSERT_TRUE(openapi);
  EXPECT_EQ(openapi->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(openapi->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_EQ(openapi->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(json::parse(openapi->body, nullptr, false).is_discarded());  // decompressed
  auto brotli_only = c.Get("/openapi/v3/apis/kubeflow.org/v1beta1", {{"Accept-Encoding", "br"}});
  ASSERT_TRUE(brotli_only);
  EXPECT_FALSE(brotli_only->has_header("Content-Encoding"));
  EXPECT_EQ(brotli_only->body, openapi->body);
  auto refused = c.Get("/openapi/v3/apis/kubeflow.org/v1beta1", {{"Accept-Encoding", "gzip;q=0"}});
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->has_header("Content-Encoding"));
  auto small = c.Get("/version", browser);
  ASSERT_TRUE(small);
  EXPECT_FALSE(small->has_header("Content-Encoding"));
}

TEST_F(ApiServerTest, CreateFillsMetadataAppliesDefaultsAndRefusesDuplicates) {
  auto created = Post(ExperimentJson("exp"));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  json e = Body(created);
  EXPECT_EQ(e["metadata"]["namespace"], "default");
  EXPECT_EQ(e["metadata"]["generation"], 1);
  EXPECT_FALSE(e["metadata"]["uid"].get<std::string>().empty());
  EXPECT_THAT(e["metadata"]["creationTimestamp"].get<std::string>(), HasSubstr("Z"));
  EXPECT_FALSE(e["metadata"]["resourceVersion"].get<std::string>().empty());
  // Katib's defaults, as its mutating webhook adds them.
  EXPECT_EQ(e["spec"]["metricsCollectorSpec"]["collector"]["kind"], "StdOut");
  EXPECT_EQ(e["spec"]["resumePolicy"], "Never");

  auto again = Post(ExperimentJson("exp"));
  EXPECT_EQ(again->status, 409);
  json status = Body(again);
  EXPECT_EQ(status["reason"], "AlreadyExists");
  EXPECT_EQ(status["message"], "experiments.kubeflow.org \"exp\" already exists");

  EXPECT_EQ(created->get_header_value("Warning"), "");  // nothing to say about a clean one

  // A typo is stored as Katib would (its CRD keeps unknown fields, its controller drops them),
  // with the apiserver's warning, which kubectl prints.
  json typo = json::parse(ExperimentJson("typo"));
  typo["spec"]["maxTrialCounts"] = 5;
  typo["spec"]["parameters"][0]["feasibleSpace"]["stepp"] = "0.1";
  auto warned = Post(typo.dump());
  ASSERT_EQ(warned->status, 201) << warned->body;
  std::vector<std::string> warnings;
  for (auto [it, end] = warned->headers.equal_range("Warning"); it != end; ++it) {
    warnings.push_back(it->second);
  }
  EXPECT_THAT(warnings, ::testing::UnorderedElementsAre(
                            R"(299 - "unknown field \"spec.maxTrialCounts\"")",
                            R"(299 - "unknown field \"spec.parameters[0].feasibleSpace.stepp\"")"));

  json generated = Body(Post(ExperimentJson("")));
  EXPECT_THAT(generated["metadata"]["name"].get<std::string>(), StartsWith("gen-"));
  EXPECT_EQ(generated["metadata"]["name"].get<std::string>().size(), 9u);
}

TEST_F(ApiServerTest, InvalidExperimentIs422WithKatibsDenialAndFieldCauses) {
  json e = json::parse(ExperimentJson("bad", 2, 2));
  e["spec"]["maxFailedTrialCount"] = 5;
  auto r = Post(e.dump());
  ASSERT_EQ(r->status, 422) << r->body;
  json status = Body(r);
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_EQ(status["message"],
            "admission webhook \"validator.experiment.katib.kubeflow.org\" denied the request: "
            "spec.maxFailedTrialCount: Invalid value: 5: should be less than or equal to "
            "spec.maxTrialCount");
  EXPECT_EQ(status["details"]["causes"][0]["field"], "spec.maxFailedTrialCount");
  EXPECT_EQ(status["details"]["kind"], "Experiment");
  EXPECT_EQ(status["details"]["name"], "bad");
  EXPECT_EQ(Client().Get(Path("bad").c_str())->status, 404);
}

TEST_F(ApiServerTest, GetListTableSelectorsAndNotFound) {
  ASSERT_EQ(Post(ExperimentJson("one"))->status, 201);
  ASSERT_EQ(Post(ExperimentJson("two"))->status, 201);
  httplib::Client c = Client();
  auto missing = c.Get(Path("nope").c_str());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["message"], "experiments.kubeflow.org \"nope\" not found");

  json list = Body(c.Get("/apis/kubeflow.org/v1beta1/namespaces/default/experiments"));
  EXPECT_EQ(list["kind"], "ExperimentList");
  EXPECT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["kind"], "Experiment");
  EXPECT_FALSE(list["metadata"]["resourceVersion"].get<std::string>().empty());

  json by_name =
      Body(c.Get("/apis/kubeflow.org/v1beta1/namespaces/default/"
                 "experiments?fieldSelector=metadata.name%3Dtwo"));
  ASSERT_EQ(by_name["items"].size(), 1u);
  EXPECT_EQ(by_name["items"][0]["metadata"]["name"], "two");
  EXPECT_EQ(
      c.Get("/apis/kubeflow.org/v1beta1/namespaces/default/experiments?fieldSelector=spec.x%3D1")
          ->status,
      400);
  json other_ns = Body(c.Get("/apis/kubeflow.org/v1beta1/namespaces/other/experiments"));
  EXPECT_TRUE(other_ns["items"].empty());
  json all = Body(c.Get("/apis/kubeflow.org/v1beta1/experiments"));
  EXPECT_EQ(all["items"].size(), 2u);

  auto table =
      c.Get("/apis/kubeflow.org/v1beta1/namespaces/default/experiments", {{"Accept", kTable}});
  ASSERT_TRUE(table);
  EXPECT_THAT(table->get_header_value("Content-Type"), HasSubstr("as=Table"));
  json t = Body(table);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["columnDefinitions"][0]["name"], "Name");
  ASSERT_EQ(t["rows"].size(), 2u);
  EXPECT_EQ(t["rows"][0]["cells"][0], "one");
  EXPECT_EQ(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");

  RunToEnd("one", 2);
  json trials =
      Body(c.Get("/apis/kubeflow.org/v1beta1/namespaces/default/"
                 "trials?labelSelector=katib.kubeflow.org%2Fexperiment%3Done"));
  EXPECT_EQ(trials["items"].size(), 2u);
  for (const json& trial : trials["items"]) {
    EXPECT_EQ(trial["metadata"]["labels"]["katib.kubeflow.org/experiment"], "one");
    EXPECT_TRUE(trial["status"].contains("observation"));
  }
  json suggestion = Body(c.Get(Path("one", "suggestions").c_str()));
  EXPECT_EQ(suggestion["kind"], "Suggestion");
  EXPECT_EQ(suggestion["spec"]["requests"], 2);
  EXPECT_EQ(suggestion["status"]["suggestionCount"], 2);
  json pods =
      Body(c.Get(("/api/v1/namespaces/default/pods?labelSelector=katib.kubeflow.org%2Ftrial%3D" +
                  trials["items"][0]["metadata"]["name"].get<std::string>())
                     .c_str()));
  ASSERT_EQ(pods["items"].size(), 1u);
  EXPECT_EQ(pods["items"][0]["status"]["phase"], "Succeeded");
  EXPECT_EQ(pods["items"][0]["spec"]["containers"][1]["name"], "metrics-logger-and-collector");
}

TEST_F(ApiServerTest, MergePatchEditsTheBudgetWithKatibsUpdateRules) {
  json spec = json::parse(ExperimentJson("exp", 2, 1));
  spec["spec"]["resumePolicy"] = "LongRunning";  // Katib restarts only these
  json created = Body(Post(spec.dump()));
  RunToEnd("exp", 2);
  httplib::Client c = Client();
  json current = Body(c.Get(Path("exp").c_str()));
  const std::string rv = current["metadata"]["resourceVersion"];
  // Katib's SDK edit_experiment_budget: the whole object, with its resourceVersion.
  json edited = current;
  edited["spec"]["maxTrialCount"] = 3;
  edited["metadata"]["creationTimestamp"] = "2026-12-01T07:27:57+00:00";
  edited["status"] = {{"trials", 99}};
  auto patched = c.Patch(Path("exp").c_str(), edited.dump(), "application/merge-patch+json");
  ASSERT_EQ(patched->status, 200) << patched->body;
  json after = Body(patched);
  EXPECT_EQ(after["spec"]["maxTrialCount"], 3);
  EXPECT_EQ(after["metadata"]["generation"], 2);
  EXPECT_EQ(after["metadata"]["uid"], created["metadata"]["uid"]);
  EXPECT_EQ(after["metadata"]["creationTimestamp"], created["metadata"]["creationTimestamp"]);
  EXPECT_NE(after["status"]["trials"], 99);

  // The same body again carries a stale resourceVersion now.
  auto stale = c.Patch(Path("exp").c_str(), edited.dump(), "application/merge-patch+json");
  EXPECT_EQ(stale->status, 409);
  EXPECT_EQ(Body(stale)["reason"], "Conflict");
  // Only the budget may change.
  auto forbidden =
      c.Patch(Path("exp").c_str(), R"({"spec":{"objective":{"objectiveMetricName":"acc"}}})",
              "application/merge-patch+json");
  EXPECT_EQ(forbidden->status, 422) << forbidden->body;
  auto strategic =
      c.Patch(Path("exp").c_str(), R"({"spec":{}})", "application/strategic-merge-patch+json");
  EXPECT_EQ(strategic->status, 415);
  // The raised budget restarts the experiment: a third trial runs.
  RunToEnd("exp", 1);
  json done = Body(c.Get(Path("exp").c_str()));
  EXPECT_EQ(done["status"]["trials"], 3);
  EXPECT_EQ(Client().Put(Path("exp", "trials").c_str(), "{}", "application/json")->status, 405);
}

TEST_F(ApiServerTest, WatchStreamsChangesFromTheListsVersionAsTablesWhenAsked) {
  httplib::Client c = Client();
  json list = Body(c.Get("/apis/kubeflow.org/v1beta1/namespaces/default/experiments"));
  const std::string rv = list["metadata"]["resourceVersion"];
  Mutex mu;
  CondVar cv;
  std::string received;
  bool ended = false;
  bool watching = false;
  std::thread watcher([&] {
    httplib::Client w("127.0.0.1", port_);
    w.set_read_timeout(30, 0);
    w.Get(("/apis/kubeflow.org/v1beta1/namespaces/default/experiments?watch=true&resourceVersion=" +
           rv + "&timeoutSeconds=20&allowWatchBookmarks=true")
              .c_str(),
          {{"Accept", kTable}}, [&](const char* data, size_t n) {
            MutexLock lock(mu);
            // The first bookmark says the watch is established.
            if (!watching && std::string_view(data, n).find("BOOKMARK") != std::string::npos) {
              watching = true;
            } else {
              received.append(data, n);
            }
            cv.SignalAll();
            return received.find("\"DELETED\"") == std::string::npos;
          });
    MutexLock lock(mu);
    ended = true;
    cv.SignalAll();
  });
  {
    MutexLock lock(mu);
    while (!watching && !ended) cv.Wait(mu);
  }
  // Whether the watcher has had the experiment's row with status Succeeded.
  auto succeeded_in = [](const std::string& text) {
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      json e = json::parse(std::string(line), nullptr, false);
      if (!e.is_discarded() && e["type"] == "MODIFIED" &&
          e["object"]["rows"][0]["cells"][1] == "Succeeded") {
        return true;
      }
    }
    return false;
  };
  ASSERT_EQ(Post(ExperimentJson("w", 1, 1))->status, 201);
  RunToEnd("w", 1);
  {
    // A watch sends an object's state as of when it reads the change: deleted at once, the
    // Succeeded state could be passed over, so the deletion waits until it was seen.
    MutexLock lock(mu);
    while (!ended && !succeeded_in(received)) cv.Wait(mu);
  }
  ASSERT_EQ(c.Delete(Path("w").c_str())->status, 200);
  {
    MutexLock lock(mu);
    while (!ended) cv.Wait(mu);
  }
  watcher.join();
  std::vector<json> events;
  for (absl::string_view line : absl::StrSplit(received, '\n', absl::SkipEmpty())) {
    json event = json::parse(std::string(line));
    if (event["type"] != "BOOKMARK") events.push_back(std::move(event));
  }
  ASSERT_GE(events.size(), 3u) << received;
  EXPECT_EQ(events.front()["type"], "ADDED");
  EXPECT_EQ(events.front()["object"]["kind"], "Table");
  EXPECT_TRUE(events.front()["object"].contains("columnDefinitions"));
  EXPECT_EQ(events.front()["object"]["rows"][0]["cells"][0], "w");
  EXPECT_EQ(events.back()["type"], "DELETED");
  EXPECT_TRUE(succeeded_in(received)) << received;
}

TEST_F(ApiServerTest, DeleteOfARunningExperimentKillsItsTrialsAndRemovesEverything) {
  ASSERT_EQ(Post(ExperimentJson("run", 4, 2))->status, 201);
  executor_->WaitForStarts(2);
  auto deleted = Client().Delete(Path("run").c_str());
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(Body(deleted)["status"], "Success");
  EXPECT_EQ(executor_->kills().size(), 2u);
  EXPECT_EQ(Client().Get(Path("run").c_str())->status, 404);
  json trials = Body(Client().Get("/apis/kubeflow.org/v1beta1/namespaces/default/trials"));
  EXPECT_TRUE(trials["items"].empty());
}

TEST_F(ApiServerTest, ObservationsAndDraftValidationUnderKtuneDev) {
  ASSERT_EQ(Post(ExperimentJson("obs", 1, 1))->status, 201);
  core::Experiment e = RunToEnd("obs", 1);
  const std::string trial = e.status.current_optimal_trial.best_trial_name;
  json logs = Body(Client().Get(
      ("/apis/ktune.dev/v1/namespaces/default/trials/" + trial + "/observations").c_str()));
  ASSERT_EQ(logs["metricLogs"].size(), 1u);
  EXPECT_EQ(logs["metricLogs"][0]["metric"]["name"], "loss");
  EXPECT_EQ(logs["metricLogs"][0]["metric"]["value"], "0.5");

  json draft = json::parse(ExperimentJson("draft"));
  draft["spec"]["parallelTrialCount"] = -1;
  json result = Body(Client().Post("/apis/ktune.dev/v1/namespaces/default/validate", draft.dump(),
                                   "application/json"));
  EXPECT_EQ(result["valid"], false);
  bool found = false;
  for (const json& f : result["findings"]) {
    found = found || f["field"] == "spec.parallelTrialCount";
  }
  EXPECT_TRUE(found) << result.dump();
  EXPECT_EQ(Client().Get(Path("draft").c_str())->status, 404);
}

TEST_F(ApiServerTest, ParallelTrialCountRaisedWhileRunningStartsMoreTrials) {
  ASSERT_EQ(Post(ExperimentJson("par", 10, 1))->status, 201);
  executor_->WaitForStarts(1);
  EXPECT_EQ(executor_->running().size(), 1u);
  auto patched = Client().Patch(Path("par").c_str(), R"({"spec":{"parallelTrialCount":3}})",
                                "application/merge-patch+json");
  ASSERT_EQ(patched->status, 200) << patched->body;
  executor_->WaitForStarts(3);
  EXPECT_EQ(executor_->running().size(), 3u);
}

// Many clients at once while an experiment runs: every answer is complete and correct.
TEST_F(ApiServerTest, ConcurrentClientsWhileAnExperimentRuns) {
  ASSERT_EQ(Post(ExperimentJson("load", 40, 4))->status, 201);
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port_);
      for (int i = 0; i < 100; ++i) {
        const std::string path =
            i % 3 == 0   ? Path("load")
            : i % 3 == 1 ? std::string("/apis/kubeflow.org/v1beta1/namespaces/default/trials")
                         : Path("load", "suggestions");
        auto r = c % 2 ? client.Get(path.c_str(), {{"Accept", kTable}}) : client.Get(path.c_str());
        if (!r || r->status != 200 || json::parse(r->body, nullptr, false).is_discarded()) ++bad;
      }
    });
  }
  RunToEnd("load", 40);
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(bad.load(), 0);
  json e = Body(Client().Get(Path("load").c_str()));
  EXPECT_EQ(e["status"]["trialsSucceeded"], 40);
}

// A restarted store keeps its revision but not its window of changes: a watch from a revision
// before it gets one ERROR event, 410 Expired, and the stream ends (informers list again).
TEST_F(ApiServerTest, WatchFromARevisionBeforeARestartIsGone) {
  ASSERT_EQ(Post(ExperimentJson("old", 1, 1))->status, 201);
  RunToEnd("old", 1);
  absl::StatusOr<std::unique_ptr<db::Store>> reopened = db::OpenStore((dir_ / "k.db").string());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  controller::testing::FakeExecutor executor;
  controller::ControllerManager manager(**reopened, **reopened, *suggestions_, executor);
  ApiServerOptions options;
  options.store = reopened->get();
  options.manager = &manager;
  options.watch_slice_ms = 200;
  ApiServer api(std::move(options));
  httplib::Server http;
  api.Install(http);
  const int port = http.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { http.listen_after_bind(); });
  while (!http.is_running()) std::this_thread::yield();
  httplib::Client c("127.0.0.1", port);
  auto r =
      c.Get("/apis/kubeflow.org/v1beta1/namespaces/default/experiments?watch=1&resourceVersion=1");
  api.Shutdown();
  http.stop();
  listener.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json event = json::parse(r->body.substr(0, r->body.find('\n')));
  EXPECT_EQ(event["type"], "ERROR");
  EXPECT_EQ(event["object"]["code"], 410);
  EXPECT_EQ(event["object"]["reason"], "Expired");
}

// `kubectl logs -f`: the log as it grows, until the trial ends.
TEST_F(ApiServerTest, FollowedLogStreamsUntilTheTrialEnds) {
  ASSERT_EQ(Post(ExperimentJson("log", 1, 1))->status, 201);
  executor_->WaitForStarts(1);
  const std::string trial = executor_->running().at(0);
  // The executor has started it; the pod (and its log) exists once the controller has stored
  // that, a moment later.
  for (;;) {
    absl::StatusOr<int64_t> revision = store_->Revision();
    ASSERT_TRUE(revision.ok()) << revision.status();
    absl::StatusOr<core::Trial> t = store_->GetTrial("default", trial);
    ASSERT_TRUE(t.ok()) << t.status();
    if (!t->status.start_time.empty()) break;
    store_->WaitForChanges(*revision, absl::Seconds(5));
  }
  fs::create_directories(dir_ / "logs");
  const fs::path log = dir_ / "logs" / (trial + ".log");
  std::ofstream(log) << "epoch=1 loss=0.9\n";
  Mutex mu;
  CondVar cv;
  std::string received;
  bool ended = false;
  std::jthread follower([&] {
    httplib::Client f("127.0.0.1", port_);
    f.set_read_timeout(30, 0);
    // As a browser and kubectl ask: a compressed stream would arrive only at its end.
    f.Get(("/api/v1/namespaces/default/pods/" + trial + "/log?follow=true").c_str(),
          {{"Accept-Encoding", "gzip, deflate, br"}}, [&](const char* data, size_t n) {
            MutexLock lock(mu);
            received.append(data, n);
            cv.SignalAll();
            return true;
          });
    MutexLock lock(mu);
    ended = true;
    cv.SignalAll();
  });
  {
    MutexLock lock(mu);
    while (received.find("epoch=1") == std::string::npos && !ended) cv.Wait(mu);
    ASSERT_FALSE(ended) << received;
  }
  std::ofstream(log, std::ios::app) << "epoch=2 loss=0.5\n";
  {
    MutexLock lock(mu);
    while (received.find("epoch=2") == std::string::npos && !ended) cv.Wait(mu);
    ASSERT_FALSE(ended) << received;
  }
  EXPECT_TRUE(executor_->Succeed(trial, {{"loss", "0.5"}}));
  {
    MutexLock lock(mu);
    while (!ended) cv.Wait(mu);
  }
  follower.join();
  EXPECT_EQ(received, "epoch=1 loss=0.9\nepoch=2 loss=0.5\n");
  auto tail =
      Client().Get(("/api/v1/namespaces/default/pods/" + trial + "/log?tailLines=1").c_str());
  EXPECT_EQ(tail->body, "epoch=2 loss=0.5\n");
}

class ApiServerTokenTest : public ApiServerTest {
 protected:
  void SetUp() override {
    token_ = "s3cret";
    ApiServerTest::SetUp();
  }
};

TEST_F(ApiServerTokenTest, EveryRequestButHealthNeedsTheBearerToken) {
  httplib::Client c = Client();
  EXPECT_EQ(c.Get("/apis/kubeflow.org/v1beta1/experiments")->status, 401);
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  c.set_bearer_token_auth("wrong");
  EXPECT_EQ(c.Get("/apis/kubeflow.org/v1beta1/experiments")->status, 401);
  c.set_bearer_token_auth("s3cret");
  EXPECT_EQ(c.Get("/apis/kubeflow.org/v1beta1/experiments")->status, 200);
}

}  // namespace
}  // namespace ktune::server
