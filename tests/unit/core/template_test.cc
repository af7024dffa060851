#include "core/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/codec.h"
#include "core/defaults.h"

namespace ktune::core {
namespace {

using ::testing::HasSubstr;

Experiment Parse(const std::string& yaml) {
  absl::StatusOr<Experiment> e = ParseExperiment(yaml);
  EXPECT_TRUE(e.ok()) << e.status();
  SetDefaults(*e);
  return *e;
}

constexpr char kYaml[] = R"(
metadata: {name: exp, namespace: team}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: "0", max: "1"}},
               {name: opt, parameterType: categorical, feasibleSpace: {list: [a]}}]
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - {name: learningRate, reference: lr}
      - {name: optimizer, reference: opt}
      - {name: trialName, reference: "${trialSpec.Name}"}
      - {name: team, reference: "${trialSpec.Labels[team]}"}
      - {name: kind, reference: "${trialSpec.Kind}"}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      metadata:
        labels: {team: vision}
      spec:
        template:
          spec:
            containers:
              - name: main
                command: [train, "--lr=${trialParameters.learningRate}", "${trialParameters.optimizer}"]
                env: [{name: NAME, value: "${trialParameters.trialName}/${trialParameters.team}/${trialParameters.kind}"}]
)";

TEST(TemplateTest, RendersParametersAndMetadata) {
  Experiment e = Parse(kYaml);
  absl::StatusOr<nlohmann::json> r = RenderTrialTemplate(e, "exp-abc", {{"lr", "0.01"}, {"opt", "adam"}});
  ASSERT_TRUE(r.ok()) << r.status();
  const nlohmann::json& c = (*r)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["command"], nlohmann::json::parse(R"(["train", "--lr=0.01", "adam"])"));
  EXPECT_EQ(c["env"][0]["value"], "exp-abc/vision/Job");
  EXPECT_EQ((*r)["metadata"]["name"], "exp-abc");
  EXPECT_EQ((*r)["metadata"]["namespace"], "team");
}

TEST(TemplateTest, ValuesAreInsertedLiterally) {
  Experiment e = Parse(kYaml);
  const std::string nasty = "a;touch pwned \"quoted\" ${trialParameters.learningRate} $(id)";
  absl::StatusOr<nlohmann::json> r = RenderTrialTemplate(e, "t", {{"lr", "1"}, {"opt", nasty}});
  ASSERT_TRUE(r.ok()) << r.status();
  // One argv element, byte for byte; placeholders inside a value are not expanded again.
  EXPECT_EQ((*r)["spec"]["template"]["spec"]["containers"][0]["command"][2], nasty);
}

TEST(TemplateTest, MissingAssignmentIsAnError) {
  Experiment e = Parse(kYaml);
  absl::StatusOr<nlohmann::json> r = RenderTrialTemplate(e, "t", {{"lr", "1"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("trialParameter \"optimizer\" references \"opt\""));
}

TEST(TemplateTest, PlaceholderWithoutTrialParameterIsAnError) {
  Experiment e = Parse(kYaml);
  (*e.spec.trial_template->trial_spec)["spec"]["x"] = "${trialParameters.undeclared}";
  absl::StatusOr<nlohmann::json> r = RenderTrialTemplate(e, "t", {{"lr", "1"}, {"opt", "a"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("${trialParameters.undeclared}"));
}

TEST(TemplateTest, NewTrialCopiesSpecFromExperiment) {
  Experiment e = Parse(kYaml);
  e.metadata.labels = {{"owner", "me"}};
  absl::StatusOr<Trial> t = NewTrial(e, "exp-1", {{"lr", "0.5"}, {"opt", "a"}}, {{"extra", "1"}});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->metadata.labels.at(kExperimentLabel), "exp");
  EXPECT_EQ(t->metadata.labels.at("owner"), "me");
  EXPECT_EQ(t->metadata.labels.at("extra"), "1");
  EXPECT_EQ(t->spec.objective.objective_metric_name, "loss");
  EXPECT_EQ(t->spec.objective.metric_strategies.size(), 1u);
  EXPECT_EQ(t->spec.primary_container_name, "main");
  EXPECT_EQ(t->spec.metrics_collector.kind, "StdOut");
  EXPECT_FALSE(t->spec.success_condition.empty());
}

TEST(TemplateTest, ConfigMapSourceNeedsACluster) {
  Experiment e = Parse(R"(
metadata: {name: exp}
spec:
  trialTemplate:
    configMap: {configMapName: t, configMapNamespace: kubeflow, templatePath: x}
)");
  absl::StatusOr<nlohmann::json> r = RenderTrialTemplate(e, "t", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("trialSpec"));
}

}  // namespace
}  // namespace ktune::core
