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
  absl::StatusOr<nlohmann::json> r =
      RenderTrialTemplate(e, "exp-abc", {{"lr", "0.01"}, {"opt", "adam"}});
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

// REVIEW 1.2: template shapes of the wrong JSON type aborted SetDefaults (`kind: 5`, which
// `ktune validate` runs first) and NewTrial (`metadata: oops`, `labels: 5`, `kind` and
// `apiVersion` not strings). Now they keep their value for validation, or are InvalidArgument
// naming the field.
std::string WithTrialSpec(const std::string& trial_spec, const std::string& references = "") {
  return R"(
metadata: {name: exp}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: "0", max: "1"}}]
  trialTemplate:
    trialParameters:
      - {name: learningRate, reference: lr})" +
         references + R"(
    trialSpec: )" +
         trial_spec + "\n";
}

absl::Status NewTrialStatus(const std::string& yaml) {
  absl::StatusOr<Experiment> e = ParseExperiment(yaml);
  if (!e.ok()) return e.status();
  SetDefaults(*e);
  return NewTrial(*e, "exp-1", {{"lr", "0.5"}}, {}).status();
}

TEST(TemplateTest, Review1_2_KindNotAStringDoesNotAbortSetDefaults) {
  absl::StatusOr<Experiment> e = ParseExperiment(WithTrialSpec("{kind: 5, apiVersion: batch/v1}"));
  ASSERT_TRUE(e.ok()) << e.status();
  SetDefaults(*e);
  // No defaults for an unknown kind; the value stays for validation to report.
  EXPECT_EQ(e->spec.trial_template->success_condition, "");
  EXPECT_EQ((*e->spec.trial_template->trial_spec)["kind"], 5);
  for (const char* kind : {"[Job]", "{a: b}", "null", "true"}) {
    absl::StatusOr<Experiment> other =
        ParseExperiment(WithTrialSpec(std::string("{apiVersion: batch/v1, kind: ") + kind + "}"));
    ASSERT_TRUE(other.ok()) << other.status();
    SetDefaults(*other);
  }
}

TEST(TemplateTest, Review1_2_MetadataOfTheWrongTypeIsInvalidArgument) {
  absl::Status s =
      NewTrialStatus(WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: oops}"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "spec.trialTemplate.trialSpec.metadata: expected an object, got string");
  s = NewTrialStatus(WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: [1]}"));
  EXPECT_EQ(s.message(), "spec.trialTemplate.trialSpec.metadata: expected an object, got array");
  // A null metadata is filled in.
  EXPECT_TRUE(
      NewTrialStatus(WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: null}")).ok());
  // A reference into a metadata string.
  s = NewTrialStatus(
      WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: oops}",
                    "\n      - {name: team, reference: \"${trialSpec.Labels[team]}\"}"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("spec.trialTemplate.trialSpec.metadata: expected an object"));
}

TEST(TemplateTest, Review1_2_LabelsOfTheWrongTypeIsInvalidArgument) {
  const std::string reference = "\n      - {name: team, reference: \"${trialSpec.Labels[team]}\"}";
  absl::Status s = NewTrialStatus(
      WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: {labels: 5}}", reference));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "trialParameter \"team\": spec.trialTemplate.trialSpec.metadata.labels: expected an "
            "object, got number");
  s = NewTrialStatus(
      WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: {annotations: [x]}}",
                    "\n      - {name: a, reference: \"${trialSpec.Annotations[a]}\"}"));
  EXPECT_THAT(s.message(), HasSubstr("metadata.annotations: expected an object, got array"));
  // A label that is not a string reads as empty, as Kubernetes' unstructured getters do.
  EXPECT_TRUE(
      NewTrialStatus(
          WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: {labels: {team: [1]}}}",
                        reference))
          .ok());
  // Without a reference, labels of the wrong type are left for validation.
  EXPECT_TRUE(
      NewTrialStatus(WithTrialSpec("{apiVersion: batch/v1, kind: Job, metadata: {labels: 5}}"))
          .ok());
}

TEST(TemplateTest, Review1_2_KindAndApiVersionNotStringsAreInvalidArgument) {
  absl::Status s = NewTrialStatus(WithTrialSpec(
      "{apiVersion: batch/v1, kind: 5}", "\n      - {name: k, reference: \"${trialSpec.Kind}\"}"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "trialParameter \"k\": spec.trialTemplate.trialSpec.kind: expected a string, got "
            "number");
  s = NewTrialStatus(WithTrialSpec("{apiVersion: {v: 1}, kind: Job}",
                                   "\n      - {name: v, reference: \"${trialSpec.APIVersion}\"}"));
  EXPECT_EQ(s.message(),
            "trialParameter \"v\": spec.trialTemplate.trialSpec.apiVersion: expected a string, got "
            "object");
}

TEST(TemplateTest, Review1_2_TfJobWithWorkingDirFiveRendersATrial) {
  // The TFJob of REVIEW 1.2's reproduction: parsing, defaulting and NewTrial do not abort (the
  // executor and validation report the field).
  absl::StatusOr<Experiment> e = ParseExperiment(WithTrialSpec(R"(
      apiVersion: kubeflow.org/v1
      kind: TFJob
      spec:
        tfReplicaSpecs:
          Worker:
            replicas: 1
            template:
              spec:
                containers:
                  - name: tensorflow
                    image: x
                    workingDir: 5
                    env: [{name: 5, valueFrom: oops}]
                    command: [train, "--lr=${trialParameters.learningRate}"])"));
  ASSERT_TRUE(e.ok()) << e.status();
  SetDefaults(*e);
  EXPECT_EQ(e->spec.trial_template->primary_pod_labels.at("training.kubeflow.org/job-role"),
            "master");
  absl::StatusOr<Trial> t = NewTrial(*e, "exp-1", {{"lr", "0.5"}}, {});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->spec.run_spec["metadata"]["name"], "exp-1");
}

}  // namespace
}  // namespace ktune::core
