#include "server/kube/table.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/kube/resources.h"

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;
using absl::Hours;
using absl::Minutes;
using absl::Seconds;

const ResourceInfo& Resource(std::string_view group, std::string_view plural) {
  return *FindResource(group, group.empty() ? "v1" : "v1beta1", plural);
}

TEST(HumanDurationTest, EveryBoundary) {
  EXPECT_EQ(HumanDuration(Seconds(-3)), "<invalid>");
  EXPECT_EQ(HumanDuration(Seconds(-2)), "<invalid>");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(-1999)), "0s");  // truncates to -1
  EXPECT_EQ(HumanDuration(Seconds(-1)), "0s");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(-500)), "0s");
  EXPECT_EQ(HumanDuration(Seconds(0)), "0s");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(1999)), "1s");
  EXPECT_EQ(HumanDuration(Seconds(59)), "59s");
  EXPECT_EQ(HumanDuration(Seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(Seconds(120)), "2m");
  EXPECT_EQ(HumanDuration(Seconds(121)), "2m1s");
  EXPECT_EQ(HumanDuration(Minutes(9) + Seconds(59)), "9m59s");
  EXPECT_EQ(HumanDuration(Minutes(10)), "10m");
  EXPECT_EQ(HumanDuration(Minutes(10) + Seconds(59)), "10m");
  EXPECT_EQ(HumanDuration(Minutes(179) + Seconds(59)), "179m");
  EXPECT_EQ(HumanDuration(Hours(3)), "3h");
  EXPECT_EQ(HumanDuration(Hours(3) + Minutes(1)), "3h1m");
  EXPECT_EQ(HumanDuration(Hours(7) + Minutes(59)), "7h59m");
  EXPECT_EQ(HumanDuration(Hours(8)), "8h");
  EXPECT_EQ(HumanDuration(Hours(8) + Minutes(30)), "8h");
  EXPECT_EQ(HumanDuration(Hours(47) + Minutes(59)), "47h");
  EXPECT_EQ(HumanDuration(Hours(48)), "2d");
  EXPECT_EQ(HumanDuration(Hours(49)), "2d1h");
  EXPECT_EQ(HumanDuration(Hours(24 * 8 - 1)), "7d23h");
  EXPECT_EQ(HumanDuration(Hours(24 * 8)), "8d");
  EXPECT_EQ(HumanDuration(Hours(24 * 8 + 5)), "8d");
  EXPECT_EQ(HumanDuration(Hours(24 * 365 * 2 - 1)), "729d");
  EXPECT_EQ(HumanDuration(Hours(24 * 365 * 2)), "2y");
  EXPECT_EQ(HumanDuration(Hours(24 * (365 * 2 + 1))), "2y1d");
  EXPECT_EQ(HumanDuration(Hours(24 * 365 * 8 - 1)), "7y364d");
  EXPECT_EQ(HumanDuration(Hours(24 * 365 * 8)), "8y");
  EXPECT_EQ(HumanDuration(Hours(24 * 365 * 100)), "100y");
}

TEST(HumanDurationTest, AgeOf) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z
  EXPECT_EQ(AgeOf("2027-01-15T07:59:49Z", now), "11s");
  EXPECT_EQ(AgeOf("2027-01-15T08:59:49+01:00", now), "11s");
  EXPECT_EQ(AgeOf("2027-01-15T07:59:49.900Z", now), "10s");
  EXPECT_EQ(AgeOf("2027-01-15T08:00:05Z", now), "<invalid>");  // clock skew
  EXPECT_EQ(AgeOf("0001-01-01T00:00:00Z", now), "<unknown>");
  EXPECT_EQ(AgeOf("yesterday", now), "<unknown>");
}

TEST(TableTest, IncludeObjectAndAccept) {
  EXPECT_EQ(*ParseIncludeObject(""), IncludeObject::kMetadata);
  EXPECT_EQ(*ParseIncludeObject("Metadata"), IncludeObject::kMetadata);
  EXPECT_EQ(*ParseIncludeObject("Object"), IncludeObject::kObject);
  EXPECT_EQ(*ParseIncludeObject("None"), IncludeObject::kNone);
  EXPECT_TRUE(absl::IsInvalidArgument(ParseIncludeObject("object").status()));
  EXPECT_TRUE(
      WantsTable("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;"
                 "as=Table;v=v1beta1;g=meta.k8s.io,application/json"));
  EXPECT_TRUE(WantsTable("application/json; as=Table; g=meta.k8s.io; v=v1beta1"));
  EXPECT_FALSE(WantsTable("application/json"));
  EXPECT_FALSE(WantsTable("application/json, */*"));
  EXPECT_FALSE(WantsTable("application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json"));
  EXPECT_FALSE(WantsTable("application/json;as=Table;v=v2;g=meta.k8s.io"));
  EXPECT_STREQ(kTableContentType, "application/json;as=Table;v=v1;g=meta.k8s.io");
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

json RunningExperiment() {
  return json::parse(R"({"apiVersion":"kubeflow.org/v1beta1","kind":"Experiment",
    "metadata":{"name":"random","namespace":"default","uid":"u1","resourceVersion":"7",
                "creationTimestamp":"2027-01-15T07:59:49Z","labels":{"team":"a"}},
    "spec":{"algorithm":{"algorithmName":"random"},"maxTrialCount":12,"parallelTrialCount":3,
            "objective":{"type":"maximize","goal":0.99,"objectiveMetricName":"accuracy",
                         "metricStrategies":[{"name":"accuracy","value":"max"}]}},
    "status":{"conditions":[{"type":"Created","status":"True"},
                            {"type":"Running","status":"True"}],
              "trials":5,"trialsSucceeded":3,"trialsRunning":2,
              "currentOptimalTrial":{"bestTrialName":"random-abc","observation":{"metrics":[
                 {"name":"loss","min":"0.1","max":"0.5","latest":"0.2"},
                 {"name":"accuracy","min":"0.80","max":"0.95","latest":"0.93"}]}}}})");
}

std::vector<std::string> ColumnNames(const json& table, int priority) {
  std::vector<std::string> names;
  for (const json& c : table["columnDefinitions"]) {
    if (c["priority"] == priority) names.push_back(c["name"]);
  }
  return names;
}

TEST(TableTest, ExperimentColumnsAndCells) {
  const json e = RunningExperiment();
  const json fresh = json::parse(R"({"metadata":{"name":"new",
      "creationTimestamp":"2027-01-15T07:00:00Z"},"spec":{"objective":{"type":"minimize",
      "objectiveMetricName":"loss"}}})");
  json t = TableOf(Resource("kubeflow.org", "experiments"), {&e, &fresh}, IncludeObject::kMetadata,
                   kNow, true, "42");
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(t["metadata"]["resourceVersion"], "42");
  EXPECT_THAT(ColumnNames(t, 0), testing::ElementsAre("Name", "Type", "Status", "Algorithm", "Best",
                                                      "Succeeded", "Running", "Failed", "Age"));
  EXPECT_THAT(ColumnNames(t, 1), testing::ElementsAre("Objective", "Goal", "Max", "Parallel"));
  const json& name = t["columnDefinitions"][0];
  EXPECT_EQ(name["format"], "name");
  EXPECT_EQ(name["type"], "string");
  EXPECT_THAT(name["description"].get<std::string>(),
              testing::StartsWith("Name must be unique within a namespace."));
  EXPECT_EQ(t["columnDefinitions"][1]["description"],
            "Custom resource definition column (in JSONPath format): "
            ".status.conditions[-1:].type");
  EXPECT_EQ(t["columnDefinitions"][8]["type"], "date");
  EXPECT_EQ(t["columnDefinitions"][8]["description"],
            "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp");
  ASSERT_EQ(t["rows"].size(), 2u);
  EXPECT_EQ(t["rows"][0]["cells"],
            json::parse(R"(["random","Running","True","random","0.95",3,2,0,"11s",
                            "maximize accuracy","0.99",12,3])"));
  // Nothing in status yet: empty Type/Status/Best (null), counts 0.
  EXPECT_EQ(t["rows"][1]["cells"],
            json::parse(R"(["new",null,null,null,null,0,0,0,"60m","minimize loss",null,null,
                            null])"));
  // includeObject=Metadata (the default): PartialObjectMetadata with the whole metadata.
  EXPECT_EQ(t["rows"][0]["object"], json({{"kind", "PartialObjectMetadata"},
                                          {"apiVersion", "meta.k8s.io/v1"},
                                          {"metadata", e["metadata"]}}));
}

TEST(TableTest, IncludeObjectVariantsAndWatchRows) {
  const json e = RunningExperiment();
  const ResourceInfo& info = Resource("kubeflow.org", "experiments");
  json full = TableOf(info, {&e}, IncludeObject::kObject, kNow, true, "");
  EXPECT_EQ(full["rows"][0]["object"], e);
  EXPECT_EQ(full["metadata"], json::object());
  json none = TableOf(info, {&e}, IncludeObject::kNone, kNow, true, "1");
  EXPECT_FALSE(none["rows"][0].contains("object"));
  // Watch events after the first: no column definitions, the same cells.
  json later = TableOf(info, {&e}, IncludeObject::kMetadata, kNow, false, "9");
  EXPECT_EQ(later["columnDefinitions"], json::array());
  EXPECT_EQ(later["rows"][0]["cells"], full["rows"][0]["cells"]);
  json empty = TableOf(info, {}, IncludeObject::kMetadata, kNow, true, "3");
  EXPECT_EQ(empty["rows"], json::array());
  EXPECT_EQ(empty["columnDefinitions"].size(), 13u);
}

TEST(TableTest, MetricStrategies) {
  const json metrics = json::parse(R"({"metrics":[
      {"name":"loss","min":"0.1","max":"0.9","latest":"0.3"},
      {"name":"acc","min":"unavailable","max":"unavailable","latest":"0.7"}]})");
  auto value = [&](const char* objective) {
    return ObjectiveValue(json::parse(objective), metrics);
  };
  EXPECT_EQ(value(R"({"type":"minimize","objectiveMetricName":"loss"})"), "0.1");
  EXPECT_EQ(value(R"({"type":"maximize","objectiveMetricName":"loss"})"), "0.9");
  EXPECT_EQ(value(R"({"type":"minimize","objectiveMetricName":"loss",
                      "metricStrategies":[{"name":"loss","value":"latest"}]})"),
            "0.3");
  EXPECT_EQ(value(R"({"type":"maximize","objectiveMetricName":"acc"})"), "0.7");
  EXPECT_EQ(value(R"({"type":"maximize","objectiveMetricName":"missing"})"), "");
  EXPECT_EQ(value(R"({"objectiveMetricName":"loss"})"), "0.3");
  EXPECT_EQ(ObjectiveValue(json::parse(R"({"objectiveMetricName":"loss"})"), json::object()), "");
}

TEST(TableTest, TrialColumns) {
  const json trial = json::parse(R"({"metadata":{"name":"random-abc","namespace":"default",
      "creationTimestamp":"2027-01-15T07:57:49Z",
      "labels":{"katib.kubeflow.org/experiment":"random"}},
    "spec":{"objective":{"type":"minimize","objectiveMetricName":"loss"},
            "parameterAssignments":[{"name":"lr","value":"0.01"},{"name":"layers","value":"3"}]},
    "status":{"conditions":[{"type":"Succeeded","status":"True"}],
              "observation":{"metrics":[{"name":"loss","min":"0.12","max":"0.9",
                                         "latest":"0.2"}]}}})");
  const json pending = json::parse(R"({"metadata":{"name":"p"}})");
  json t = TableOf(Resource("kubeflow.org", "trials"), {&trial, &pending}, IncludeObject::kMetadata,
                   kNow, true, "1");
  EXPECT_THAT(ColumnNames(t, 0),
              testing::ElementsAre("Name", "Type", "Status", "Objective", "Parameters", "Age"));
  EXPECT_THAT(ColumnNames(t, 1), testing::ElementsAre("Experiment"));
  EXPECT_EQ(t["rows"][0]["cells"],
            json::parse(R"(["random-abc","Succeeded","True","0.12","lr=0.01, layers=3","2m11s",
                            "random"])"));
  EXPECT_EQ(t["rows"][1]["cells"], json::parse(R"(["p",null,null,null,null,null,null])"));
}

TEST(TableTest, SuggestionColumnsAreKatibs) {
  const json s = json::parse(R"({"metadata":{"name":"random",
      "creationTimestamp":"2027-01-15T05:00:00Z"},"spec":{"requests":3},
      "status":{"suggestionCount":3,"conditions":[{"type":"Running","status":"True"}]}})");
  json t =
      TableOf(Resource("kubeflow.org", "suggestions"), {&s}, IncludeObject::kNone, kNow, true, "1");
  EXPECT_THAT(ColumnNames(t, 0),
              testing::ElementsAre("Name", "Type", "Status", "Requested", "Assigned", "Age"));
  EXPECT_EQ(t["columnDefinitions"][3]["description"],
            "Custom resource definition column (in JSONPath format): .spec.requests");
  EXPECT_EQ(t["rows"][0]["cells"], json::parse(R"(["random","Running","True","3","3","3h"])"));
}

TEST(TableTest, PodColumnsAsKubectlGetPods) {
  const json running = json::parse(R"({"metadata":{"name":"random-abc-xyz",
      "creationTimestamp":"2027-01-15T07:59:00Z"},
    "spec":{"containers":[{"name":"training-container"}]},
    "status":{"phase":"Running","containerStatuses":[{"name":"training-container","ready":true,
              "restartCount":0,"state":{"running":{}}}]}})");
  const json done = json::parse(R"({"metadata":{"name":"d",
      "creationTimestamp":"2027-01-15T07:00:00Z"},
    "spec":{"containers":[{"name":"c"}]},
    "status":{"phase":"Succeeded","containerStatuses":[{"name":"c","ready":false,
              "restartCount":1,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}})");
  const json failed = json::parse(R"({"metadata":{"name":"f",
      "creationTimestamp":"2027-01-15T07:00:00Z"},"spec":{"containers":[{"name":"c"}]},
    "status":{"phase":"Failed","containerStatuses":[{"name":"c","state":{"terminated":
              {"exitCode":2}}}]}})");
  json t = TableOf(Resource("", "pods"), {&running, &done, &failed}, IncludeObject::kMetadata, kNow,
                   true, "1");
  EXPECT_THAT(ColumnNames(t, 0),
              testing::ElementsAre("Name", "Ready", "Status", "Restarts", "Age"));
  EXPECT_EQ(t["rows"][0]["cells"], json::parse(R"(["random-abc-xyz","1/1","Running","0","60s"])"));
  EXPECT_EQ(t["rows"][1]["cells"], json::parse(R"(["d","0/1","Completed","1","60m"])"));
  EXPECT_EQ(t["rows"][2]["cells"], json::parse(R"(["f","0/1","ExitCode:2","0","60m"])"));
}

TEST(TableTest, WatchEventsAndBookmarks) {
  const ResourceInfo& info = Resource("kubeflow.org", "experiments");
  json event = WatchEvent("ADDED", json::parse(R"({"kind":"Experiment"})"));
  EXPECT_EQ(event.dump(), R"({"object":{"kind":"Experiment"},"type":"ADDED"})");
  EXPECT_EQ(BookmarkObject(info, "17", false),
            json::parse(R"({"kind":"Experiment","apiVersion":"kubeflow.org/v1beta1",
                            "metadata":{"resourceVersion":"17"}})"));
  json table_bookmark = BookmarkObject(info, "17", true);
  EXPECT_EQ(table_bookmark["kind"], "Table");
  EXPECT_EQ(table_bookmark["metadata"]["resourceVersion"], "17");
  EXPECT_EQ(table_bookmark["rows"], json::array());
}

}  // namespace
}  // namespace ktune::server::kube
