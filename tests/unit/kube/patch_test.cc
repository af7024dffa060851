#include "server/kube/patch.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/kube/resources.h"
#include "server/kube/status.h"

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;

const ResourceInfo& Experiments() {
  return *FindResource("kubeflow.org", "v1beta1", "experiments");
}

json Live() {
  return json::parse(R"({"apiVersion":"kubeflow.org/v1beta1","kind":"Experiment",
    "metadata":{"name":"random","namespace":"default","labels":{"a":"1","b":"2"}},
    "spec":{"maxTrialCount":12,"parallelTrialCount":3,
            "parameters":[{"name":"lr"},{"name":"momentum"}]}})");
}

TEST(PatchTest, ContentTypes) {
  EXPECT_EQ(*ParsePatchContentType("application/merge-patch+json"), PatchType::kMerge);
  EXPECT_EQ(*ParsePatchContentType("Application/Merge-Patch+JSON; charset=utf-8"),
            PatchType::kMerge);
  EXPECT_EQ(*ParsePatchContentType("application/json-patch+json"), PatchType::kJson);
  EXPECT_EQ(*ParsePatchContentType("application/apply-patch+yaml"), PatchType::kApply);
  for (const char* type : {"application/strategic-merge-patch+json", "application/json", ""}) {
    absl::StatusOr<PatchType> t = ParsePatchContentType(type);
    ASSERT_FALSE(t.ok()) << type;
    EXPECT_EQ(HttpCodeOf(t.status()), 415);
    json status = StatusJsonOf(t.status(), &Experiments(), "random");
    EXPECT_EQ(status["reason"], "UnsupportedMediaType");
    EXPECT_EQ(status["message"],
              "the body of the request was in an unknown format - accepted media types include: "
              "application/json-patch+json, application/merge-patch+json, "
              "application/apply-patch+yaml");
  }
}

TEST(PatchTest, MergePatchAsKubectlLabelAndApplySendIt) {
  absl::StatusOr<json> out = ApplyMergePatch(Live(), R"({"metadata":{"labels":{"a":null,"c":"3"}},
                                 "spec":{"maxTrialCount":20,"parameters":[{"name":"x"}]}})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["metadata"]["labels"], json::parse(R"({"b":"2","c":"3"})"));
  EXPECT_EQ((*out)["spec"]["maxTrialCount"], 20);
  EXPECT_EQ((*out)["spec"]["parallelTrialCount"], 3);
  EXPECT_EQ((*out)["spec"]["parameters"], json::parse(R"([{"name":"x"}])"));  // lists replace
  EXPECT_TRUE(absl::IsInvalidArgument(ApplyMergePatch(Live(), "[1]").status()));
  absl::Status syntax = ApplyMergePatch(Live(), "{\"a\":").status();
  EXPECT_TRUE(absl::IsInvalidArgument(syntax));
  EXPECT_THAT(std::string(syntax.message()), testing::StartsWith("invalid JSON at byte"));
}

TEST(PatchTest, JsonPatch) {
  absl::StatusOr<json> out =
      ApplyJsonPatch(Live(), R"([{"op":"replace","path":"/spec/maxTrialCount","value":5},
                  {"op":"add","path":"/metadata/labels/c","value":"3"},
                  {"op":"remove","path":"/spec/parameters/1"},
                  {"op":"test","path":"/spec/parallelTrialCount","value":3}])");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["spec"]["maxTrialCount"], 5);
  EXPECT_EQ((*out)["metadata"]["labels"]["c"], "3");
  EXPECT_EQ((*out)["spec"]["parameters"].size(), 1u);

  absl::Status failed = ApplyJsonPatch(Live(), R"([{"op":"replace","path":"/spec/maxTrialCount",
      "value":5},{"op":"remove","path":"/spec/nope"}])")
                            .status();
  EXPECT_EQ(HttpCodeOf(failed), 422);
  EXPECT_THAT(std::string(failed.message()),
              testing::StartsWith("json patch operation 1 (remove /spec/nope): "));
  absl::Status test_failed =
      ApplyJsonPatch(Live(), R"([{"op":"test","path":"/spec/maxTrialCount","value":1}])").status();
  EXPECT_EQ(HttpCodeOf(test_failed), 422);
  EXPECT_THAT(std::string(test_failed.message()),
              testing::HasSubstr("operation 0 (test /spec/maxTrialCount)"));

  // Malformed operations are 400s, found before anything is applied.
  absl::Status no_value = ApplyJsonPatch(Live(), R"([{"op":"add","path":"/a"}])").status();
  EXPECT_EQ(HttpCodeOf(no_value), 400);
  EXPECT_EQ(no_value.message(), "json patch operation 0: \"add\" needs a \"value\"");
  EXPECT_EQ(ApplyJsonPatch(Live(), R"([{"op":"frob","path":"/a"}])").status().message(),
            "json patch operation 0: unknown op \"frob\"");
  EXPECT_EQ(HttpCodeOf(ApplyJsonPatch(Live(), R"([{"op":"add","path":"a","value":1}])").status()),
            400);
  EXPECT_EQ(HttpCodeOf(ApplyJsonPatch(Live(), R"({"op":"add"})").status()), 400);
  EXPECT_EQ(HttpCodeOf(ApplyJsonPatch(Live(), R"([{"op":"move","path":"/a"}])").status()), 400);
}

TEST(PatchTest, ApplyPatchJsonAndYaml) {
  // kubectl apply --server-side sends JSON; the object is created from it when missing.
  const std::string config = R"({"apiVersion":"kubeflow.org/v1beta1","kind":"Experiment",
      "metadata":{"name":"random","labels":{"a":"9"}},"spec":{"maxTrialCount":30}})";
  absl::StatusOr<json> created = ApplyApplyPatch(nullptr, config, Experiments());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)["spec"], json::parse(R"({"maxTrialCount":30})"));
  absl::StatusOr<json> merged = ApplyApplyPatch(Live(), config, Experiments());
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ((*merged)["metadata"]["labels"], json::parse(R"({"a":"9","b":"2"})"));
  EXPECT_EQ((*merged)["spec"]["maxTrialCount"], 30);
  EXPECT_EQ((*merged)["spec"]["parallelTrialCount"], 3);  // not tracked: kept

  absl::StatusOr<json> yaml = ApplyApplyPatch(Live(),
                                              "apiVersion: kubeflow.org/v1beta1\n"
                                              "kind: Experiment\n"
                                              "metadata: {name: random}\n"
                                              "spec:\n  parallelTrialCount: 1\n",
                                              Experiments());
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_EQ((*yaml)["spec"]["parallelTrialCount"], 1);
  absl::StatusOr<json> flow = ApplyApplyPatch(
      Live(), "{apiVersion: kubeflow.org/v1beta1, kind: Experiment, spec: {maxTrialCount: 2}}",
      Experiments());
  ASSERT_TRUE(flow.ok()) << flow.status();
  EXPECT_EQ((*flow)["spec"]["maxTrialCount"], 2);

  EXPECT_THAT(
      std::string(ApplyApplyPatch(Live(), R"({"spec":{}})", Experiments()).status().message()),
      testing::HasSubstr("must set apiVersion and kind"));
  EXPECT_THAT(
      std::string(ApplyApplyPatch(Live(), R"({"apiVersion":"v1","kind":"Pod"})", Experiments())
                      .status()
                      .message()),
      testing::HasSubstr("is a v1 Pod, the resource is a kubeflow.org/v1beta1 Experiment"));
  EXPECT_TRUE(
      absl::IsInvalidArgument(ApplyApplyPatch(Live(), "a: [unclosed", Experiments()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ApplyApplyPatch(Live(), "- 1\n", Experiments()).status()));
}

TEST(PatchTest, HostileBodiesAreRefusedWithoutRecursion) {
  // 200 000 levels: a recursive parser would overflow the stack long before.
  const std::string deep = std::string(200'000, '[') + std::string(200'000, ']');
  absl::Status st = ParseJsonBody(deep).status();
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_EQ(st.message(), "request body nested deeper than 512 levels");
  EXPECT_EQ(ApplyMergePatch(Live(), "{\"a\":" + deep + "}").status().message(), st.message());
  EXPECT_EQ(ApplyJsonPatch(Live(), deep).status().message(), st.message());
  EXPECT_THAT(std::string(ApplyApplyPatch(Live(), deep, Experiments()).status().message()),
              testing::EndsWith(std::string(st.message())));
  // 512 levels are fine.
  EXPECT_TRUE(ParseJsonBody(std::string(512, '[') + std::string(512, ']')).ok());
  EXPECT_FALSE(ParseJsonBody(std::string(513, '[') + std::string(513, ']')).ok());

  std::string many = "[";
  for (int i = 0; i < 100'000; ++i) many += "0,";
  many += "0]";  // 100 001 scalars + the array
  absl::Status too_many = ParseJsonBody(many).status();
  EXPECT_EQ(HttpCodeOf(too_many), 413);
  EXPECT_EQ(StatusJsonOf(too_many, nullptr, "")["reason"], "RequestEntityTooLarge");
  // YAML goes through the same value bound.
  std::string yaml = "apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nspec:\n  l:\n";
  for (int i = 0; i < 100'001; ++i) yaml += "  - 0\n";
  EXPECT_EQ(HttpCodeOf(ApplyApplyPatch(Live(), yaml, Experiments()).status()), 413);
}

}  // namespace
}  // namespace ktune::server::kube
