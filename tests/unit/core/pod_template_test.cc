// core/pod_template.h: the containers of any kind of trial template, and the primary one.
#include "core/pod_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/codec.h"
#include "core/json_access.h"

namespace ktune::core {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json Yaml(const char* text) {
  absl::StatusOr<json> doc = ParseYamlDocument(text);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *doc : json();
}

std::vector<std::string> Paths(const std::vector<PodContainer>& containers) {
  std::vector<std::string> paths;
  for (const PodContainer& c : containers) paths.push_back(c.path);
  return paths;
}

TEST(PodTemplateTest, JobContainersWithPathsAndIndices) {
  const json job = Yaml(R"(
apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      initContainers: [{name: setup, image: busybox}]
      containers:
        - {name: training-container, image: python}
        - {name: sidecar, image: envoy}
)");
  absl::StatusOr<std::vector<PodContainer>> found = FindContainers(job);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(Paths(*found),
              ElementsAre("spec.template.spec.containers[0]", "spec.template.spec.containers[1]"));
  EXPECT_THAT(ContainerNames(*found), ElementsAre("training-container", "sidecar"));
  const PodContainer* primary = FindContainer(*found, "sidecar");
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->index, 1u);
  EXPECT_EQ(StringFieldOr(*primary->node, "image"), "envoy");
  EXPECT_EQ(FindContainer(*found, "setup"), nullptr);  // init containers are not candidates
  EXPECT_EQ(FindContainer(*found, "missing"), nullptr);
}

TEST(PodTemplateTest, EveryReplicaTemplateOfATfJobInDocumentOrder) {
  const json tfjob = Yaml(R"(
apiVersion: kubeflow.org/v1
kind: TFJob
spec:
  tfReplicaSpecs:
    Worker:
      replicas: 2
      template: {spec: {containers: [{name: tensorflow, image: tf}]}}
    Chief:
      template: {spec: {containers: [{name: chief, image: tf}, {image: unnamed}]}}
)");
  absl::StatusOr<std::vector<PodContainer>> found = FindContainers(tfjob);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(Paths(*found), ElementsAre("spec.tfReplicaSpecs.Chief.template.spec.containers[0]",
                                         "spec.tfReplicaSpecs.Chief.template.spec.containers[1]",
                                         "spec.tfReplicaSpecs.Worker.template.spec.containers[0]"));
  EXPECT_THAT(ContainerNames(*found), ElementsAre("chief", "", "tensorflow"));
  EXPECT_THAT(ContainerNames(*found, 2), ElementsAre("chief", ""));
  const PodContainer* primary = FindContainer(*found, "tensorflow");
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->index, 0u);
  // An unnamed container is never the primary one.
  EXPECT_EQ(FindContainer(*found, ""), nullptr);
}

TEST(PodTemplateTest, PodSpecsInListsAndNotInsideAPodSpec) {
  const json workflow = Yaml(R"(
spec:
  steps:
    - {name: a, template: {spec: {containers: [{name: first}]}}}
    - {name: b, template: {spec: {containers: [{name: second}],
                                   extra: {containers: [{name: nested}]}}}}
)");
  absl::StatusOr<std::vector<PodContainer>> found = FindContainers(workflow);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(Paths(*found), ElementsAre("spec.steps[0].template.spec.containers[0]",
                                         "spec.steps[1].template.spec.containers[0]"));
}

TEST(PodTemplateTest, APodSpecItselfAndDocumentsWithoutOne) {
  const json pod_spec = Yaml("{containers: [{name: main}], volumes: []}");
  absl::StatusOr<std::vector<PodContainer>> at_root = FindContainers(pod_spec);
  ASSERT_TRUE(at_root.ok());
  EXPECT_THAT(Paths(*at_root), ElementsAre("containers[0]"));
  absl::StatusOr<std::vector<PodContainer>> in_pod = PodSpecContainers(pod_spec, "spec");
  ASSERT_TRUE(in_pod.ok());
  EXPECT_THAT(Paths(*in_pod), ElementsAre("spec.containers[0]"));

  for (const char* none : {"{}", "[]", "5", "{spec: {containers: null}}", "{containers: {}}"}) {
    absl::StatusOr<std::vector<PodContainer>> found = FindContainers(Yaml(none));
    ASSERT_TRUE(found.ok()) << none;
    EXPECT_TRUE(found->empty()) << none;
  }
}

TEST(PodTemplateTest, WrongShapesNameTheirPathAndNeverThrow) {
  absl::StatusOr<std::vector<PodContainer>> number_name =
      FindContainers(Yaml("{spec: {template: {spec: {containers: [{name: a}, {name: 5}]}}}}"));
  EXPECT_EQ(number_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(number_name.status().message(),
            "spec.template.spec.containers[1].name: must be a string");

  absl::StatusOr<std::vector<PodContainer>> scalar =
      FindContainers(Yaml("{spec: {template: {spec: {containers: [oops]}}}}"));
  EXPECT_EQ(scalar.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(scalar.status().message(),
              HasSubstr("spec.template.spec.containers[0]: must be an object"));

  // A null name is no name (as Kubernetes reads it).
  absl::StatusOr<std::vector<PodContainer>> null_name =
      FindContainers(Yaml("{containers: [{name: null}]}"));
  ASSERT_TRUE(null_name.ok());
  EXPECT_THAT(ContainerNames(*null_name), ElementsAre(""));
}

TEST(PodTemplateTest, DeepDocumentsAreWalkedWithoutRecursion) {
  // Far deeper than any parse limit allows: the walk keeps its own stack, and spells out only
  // the paths of the pod specs it finds.
  json deep = json::parse(R"({"containers": [{"name": "main"}]})");
  for (int i = 0; i < 100000; ++i) {
    json list = json::array();
    list.push_back(std::move(deep));
    deep = std::move(list);
  }
  absl::StatusOr<std::vector<PodContainer>> found = FindContainers(deep);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].name, "main");
  EXPECT_EQ((*found)[0].path.size(), 100000 * 3 + std::string(".containers[0]").size());
}

}  // namespace
}  // namespace ktune::core
