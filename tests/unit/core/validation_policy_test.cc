// Issue 6 item 2: Katib's accept/reject set exactly (kError), ktune's own checks as warnings,
// blocks_run for what can never run, bounded output (REVIEW §2, top finding 3a), one number
// parser (REVIEW 1.9), no throwing accessors or recursion on user JSON (REVIEW 1.2), the full
// batch/v1 Job schema and ConfigMap trial templates.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/configmap.h"
#include "core/defaults.h"
#include "core/json_access.h"
#include "core/validation.h"

namespace ktune::core {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Severity = FieldError::Severity;

constexpr char kYaml[] = R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: policy}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  maxTrialCount: 4
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.01", max: "0.1"}}
    - {name: opt, parameterType: categorical, feasibleSpace: {list: [sgd, adam]}}
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - {name: lr, reference: lr}
      - {name: opt, reference: opt}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                image: python:3.11-slim
                command: [python3, train.py, "--lr=${trialParameters.lr}", "--opt=${trialParameters.opt}"]
            restartPolicy: Never
)";

ValidationOptions Options() {
  ValidationOptions o;
  o.algorithms = {"random", "grid"};
  o.metrics_collector_kinds = {"StdOut", "File"};
  return o;
}

Experiment FromJson(const json& raw) {
  absl::StatusOr<Experiment> e = ExperimentFromJson(raw);
  EXPECT_TRUE(e.ok()) << e.status();
  if (!e.ok()) return Experiment{};
  SetDefaults(*e);
  return *e;
}

json Raw(const std::string& yaml = kYaml) {
  absl::StatusOr<json> raw = ParseYamlDocument(yaml);
  EXPECT_TRUE(raw.ok()) << raw.status();
  return raw.ok() ? *raw : json::object();
}

std::vector<FieldError> Validate(const json& raw, ValidationOptions o = Options()) {
  Experiment e = FromJson(raw);
  o.raw_experiment = &raw;
  return ValidateExperiment(e, o);
}

std::string Dump(const std::vector<FieldError>& errors) {
  std::vector<std::string> lines;
  for (const FieldError& e : errors) {
    lines.push_back(absl::StrCat(e.severity == Severity::kError ? "error: " : "warning: ",
                                 e.blocks_run ? "[blocks] " : "", e.ToString()));
  }
  return absl::StrJoin(lines, "\n");
}

const FieldError* Find(const std::vector<FieldError>& errors, const std::string& field) {
  for (const FieldError& e : errors) {
    if (e.field == field) return &e;
  }
  return nullptr;
}

size_t Count(const std::vector<FieldError>& errors, Severity severity) {
  size_t n = 0;
  for (const FieldError& e : errors) n += e.severity == severity;
  return n;
}

TEST(ValidationPolicyTest, BaseHasNoProblem) { EXPECT_EQ(Dump(Validate(Raw())), ""); }

// What ktune used to reject although Katib admits it: now warnings, Katib's answer unchanged.
struct WarnCase {
  std::string name;
  std::function<void(json&)> mutate;
  std::string field;
  bool blocks_run;
};

class KatibAdmitsTest : public ::testing::TestWithParam<WarnCase> {};

TEST_P(KatibAdmitsTest, IsAWarningNotAnError) {
  json raw = Raw();
  GetParam().mutate(raw);
  std::vector<FieldError> problems = Validate(raw);
  EXPECT_EQ(Count(problems, Severity::kError), 0u) << Dump(problems);
  const FieldError* w = Find(problems, GetParam().field);
  ASSERT_NE(w, nullptr) << Dump(problems);
  EXPECT_EQ(w->severity, Severity::kWarning);
  EXPECT_EQ(w->blocks_run, GetParam().blocks_run) << w->ToString();
  ValidationOptions katib = Options();
  katib.katib_compatible = true;
  EXPECT_EQ(Dump(Validate(raw, katib)), "") << "Katib's answer: allowed";
}

INSTANTIATE_TEST_SUITE_P(
    ValidationPolicy, KatibAdmitsTest,
    ::testing::Values(
        WarnCase{"NameWithADot", [](json& r) { r["metadata"]["name"] = "my.experiment"; },
                 "metadata.name", false},
        WarnCase{"CategoricalWithoutList",
                 [](json& r) {
                   r["spec"]["parameters"][1]["feasibleSpace"] = {{"list", json::array()}};
                 },
                 "spec.parameters[1].feasibleSpace.list", true},
        WarnCase{"MinGreaterThanMax",
                 [](json& r) { r["spec"]["parameters"][0]["feasibleSpace"]["min"] = "1"; },
                 "spec.parameters[0].feasibleSpace.min", true},
        WarnCase{"DuplicateParameterNames",
                 [](json& r) {
                   r["spec"]["parameters"][1]["name"] = "lr";
                   r["spec"]["trialTemplate"]["trialParameters"][1]["reference"] =
                       "${trialSpec.Name}";
                 },
                 "spec.parameters[1].name", true},
        WarnCase{"UnknownMetricStrategy",
                 [](json& r) {
                   r["spec"]["objective"]["metricStrategies"] = {
                       {{"name", "loss"}, {"value", "median"}}};
                 },
                 "spec.objective.metricStrategies[0].value", false},
        WarnCase{"BadRegexUnderStdOut",
                 [](json& r) {
                   r["spec"]["metricsCollectorSpec"] = {
                       {"collector", {{"kind", "StdOut"}}},
                       {"source", {{"filter", {{"metricsFormat", {"([a-z]+"}}}}}}};
                 },
                 "spec.metricsCollectorSpec.source.filter.metricsFormat", true},
        // REVIEW 1.9: "0x0" is judged by core/number.h, as the plugins judge it.
        WarnCase{"HexBoundIsNotANumber",
                 [](json& r) { r["spec"]["parameters"][0]["feasibleSpace"]["min"] = "0x0"; },
                 "spec.parameters[0].feasibleSpace.min", true}),
    [](const ::testing::TestParamInfo<WarnCase>& info) { return info.param.name; });

// What ktune used to accept although Katib rejects it: now errors with Katib's message.
TEST(ValidationPolicyTest, NumberWhereKatibHasAStringIsKatibsDecodeError) {
  json raw = Raw();
  raw["spec"]["parameters"][0]["feasibleSpace"]["min"] = 0.01;  // `min: 0.01`, unquoted
  std::vector<FieldError> problems = Validate(raw);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].severity, Severity::kError);
  EXPECT_FALSE(problems[0].blocks_run);  // ktune can run it
  EXPECT_EQ(problems[0].KatibMessage(),
            "json: cannot unmarshal number into Go struct field "
            "FeasibleSpace.spec.parameters.feasibleSpace.min of "
            "type string");
  EXPECT_EQ(problems[0].field, "spec.parameters[0].feasibleSpace.min");
  EXPECT_EQ(Count(problems, Severity::kError), 1u)
      << "Katib decodes nothing further: " << Dump(problems);
}

TEST(ValidationPolicyTest, EmptyCollectorHasNoKindInKatib) {
  json raw = Raw();
  raw["spec"]["metricsCollectorSpec"] = {{"collector", json::object()}};
  std::vector<FieldError> problems = Validate(raw);
  const FieldError* e = Find(problems, "spec.metricsCollectorSpec.collector.kind");
  ASSERT_NE(e, nullptr) << Dump(problems);
  EXPECT_EQ(e->severity, Severity::kError);
  EXPECT_EQ(e->KatibMessage(),
            "spec.metricsCollectorSpec.collector.kind: Invalid value: \"\": invalid metrics "
            "collector kind: ");
}

TEST(ValidationPolicyTest, TrialSpecWithoutKindIsKatibsDecodeError) {
  json raw = Raw();
  raw["spec"]["trialTemplate"]["trialSpec"].erase("kind");
  raw["spec"]["trialTemplate"]["successCondition"] = "status.succeeded";
  raw["spec"]["trialTemplate"]["failureCondition"] = "status.failed";
  std::vector<FieldError> problems = Validate(raw);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].severity, Severity::kError);
  EXPECT_TRUE(problems[0].blocks_run);
  EXPECT_THAT(problems[0].KatibMessage(),
              ::testing::StartsWith("Object 'Kind' is missing in '{\"apiVersion\":"));
  EXPECT_EQ(Count(problems, Severity::kError), 1u) << Dump(problems);
}

// Katib's early returns: after a failing objective, Katib reports nothing else.
TEST(ValidationPolicyTest, AfterKatibReturnsLaterRulesAreWarnings) {
  json raw = Raw();
  raw["spec"]["objective"]["type"] = "lowest";
  raw["spec"]["algorithm"]["algorithmName"] = "tpe";
  std::vector<FieldError> problems = Validate(raw);
  ASSERT_EQ(Count(problems, Severity::kError), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].field, "spec.objective.type");
  const FieldError* algorithm = Find(problems, "spec.algorithm.algorithmName");
  ASSERT_NE(algorithm, nullptr);
  EXPECT_EQ(algorithm->severity, Severity::kWarning);
  EXPECT_TRUE(algorithm->blocks_run);
  EXPECT_THAT(algorithm->hint, HasSubstr("Katib stops before this check"));
  ValidationOptions katib = Options();
  katib.katib_compatible = true;
  EXPECT_EQ(Validate(raw, katib).size(), 1u);
}

TEST(ValidationPolicyTest, UnknownAlgorithmIsTheOnlyError) {
  json raw = Raw();
  raw["spec"]["algorithm"]["algorithmName"] = "bayesianoptimization";
  std::vector<FieldError> problems = Validate(raw);
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(
      problems[0].KatibMessage(),
      "spec.algorithm.algorithmName: Invalid value: \"bayesianoptimization\": unable to get "
      "Suggestion config "
      "data for algorithm bayesianoptimization: failed to find suggestion config for algorithm: "
      "bayesianoptimization in ConfigMap: katib-config");
  EXPECT_TRUE(problems[0].blocks_run);
}

TEST(ValidationPolicyTest, PlaceholderWithoutTrialParameterBlocksRun) {
  json raw = Raw();
  raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"]
      .push_back("--x=${trialParameters.x}");
  std::vector<FieldError> problems = Validate(raw);
  const FieldError* e = Find(problems, "spec.trialTemplate");
  ASSERT_NE(e, nullptr) << Dump(problems);
  EXPECT_EQ(e->severity, Severity::kError);
  EXPECT_TRUE(e->blocks_run);
}

// ---- REVIEW §2 (top finding 3a): output bounded whatever the input ---------------------------

TEST(ValidationPolicyTest, AmplificationThreeMegabyteTemplateGivesBoundedMessages) {
  // A ~3 MB trialSpec: thousands of undeclared placeholders, fields of the wrong type and
  // unknown fields, plus thousands of trialParameters missing from it.
  json raw = Raw();
  json& container =
      raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0];
  std::string filler(200, 'x');
  for (int i = 0; i < 6000; ++i) {
    container["command"].push_back(
        absl::StrCat("--p", i, "=${trialParameters.undeclared", i, "}", filler));
  }
  json& pod = raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"];
  for (int i = 0; i < 4000; ++i) {
    json c = {{"name", 5}, {"stdin", "yes"}, {absl::StrCat("unknownField", i), filler}};
    pod["initContainers"].push_back(c);
    pod[absl::StrCat("typo", i)] = filler;
  }
  for (int i = 0; i < 3000; ++i) {
    raw["spec"]["trialTemplate"]["trialParameters"].push_back(
        {{"name", absl::StrCat("missing", i)},
         {"reference", absl::StrCat("${trialSpec.Labels[l", i, "]}")}});
  }
  ASSERT_GT(raw.dump().size(), 3'000'000u);
  for (bool katib : {false, true}) {
    ValidationOptions o = Options();
    o.katib_compatible = katib;
    std::vector<FieldError> problems = Validate(raw, o);
    size_t total = 0;
    for (const FieldError& e : problems) total += e.ToString().size();
    EXPECT_LT(total, 256u * 1024) << "katib_compatible=" << katib << ", " << problems.size()
                                  << " problems";
    EXPECT_FALSE(problems.empty());
  }
}

TEST(ValidationPolicyTest, AmplificationTemplateIsQuotedOnceAndCut) {
  json raw = Raw();
  json& container =
      raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0];
  container["args"] = json::array();
  for (int i = 0; i < 2000; ++i) container["args"].push_back(std::string(100, 'a'));
  for (int i = 0; i < 50; ++i) {
    raw["spec"]["trialTemplate"]["trialParameters"].push_back(
        {{"name", absl::StrCat("m", i)},
         {"reference", absl::StrCat("${trialSpec.Labels[l", i, "]}")}});
  }
  std::vector<FieldError> problems = Validate(raw);
  const FieldError* first = Find(problems, "spec.trialTemplate.trialParameters[2].name");
  ASSERT_NE(first, nullptr) << Dump(problems);
  EXPECT_EQ(first->severity, Severity::kError);
  EXPECT_THAT(first->KatibMessage(),
              ::testing::StartsWith(
                  "spec.trialTemplate.trialParameters[2].name: Invalid value: \"m0\": parameter "
                  "name: m0 in spec.trialParameters not found in spec.trialTemplate: {"));
  EXPECT_THAT(first->KatibMessage(), HasSubstr(" more bytes)"));
  EXPECT_LT(first->KatibMessage().size(), 1500u);
  const FieldError* later = Find(problems, "spec.trialTemplate.trialParameters[3].name");
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(later->severity, Severity::kWarning);  // Katib returned at the first
  EXPECT_THAT(later->KatibMessage(), HasSubstr("<the template, as quoted above>"));
}

TEST(ValidationPolicyTest, DeepTrialSpecIsRefusedWithoutRecursion) {
  json raw = Raw();
  json deep = json::array();
  for (int i = 0; i < 20000; ++i) deep = json::array({std::move(deep)});
  raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"] =
      std::move(deep);
  Experiment e = FromJson(raw);
  ValidationOptions o = Options();
  std::vector<FieldError> problems = ValidateExperiment(e, o);
  const FieldError* f = Find(problems, "spec.trialTemplate.trialSpec");
  ASSERT_NE(f, nullptr) << Dump(problems);
  EXPECT_THAT(f->detail, HasSubstr("nested deeper than"));
}

// ---- batch/v1 Job: every nested type is checked ------------------------------------------------

struct JobFieldCase {
  std::string name;
  std::string pointer;  // where the misspelled field goes, under the pod spec
  json value;
};

class JobSchemaTest : public ::testing::TestWithParam<JobFieldCase> {};

TEST_P(JobSchemaTest, MisspelledNestedFieldIsKatibsError) {
  json raw = Raw();
  json& pod = raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"];
  pod[json::json_pointer(GetParam().pointer)] = GetParam().value;
  std::vector<FieldError> problems = Validate(raw);
  const FieldError* e = Find(problems, "spec.trialTemplate");
  ASSERT_NE(e, nullptr) << Dump(problems);
  EXPECT_EQ(e->severity, Severity::kError);
  EXPECT_THAT(e->KatibMessage(), HasSubstr(absl::StrCat("unable to convert: /spec/template/spec",
                                                        GetParam().pointer)));
}

INSTANTIATE_TEST_SUITE_P(
    ValidationPolicy, JobSchemaTest,
    ::testing::Values(
        JobFieldCase{"Volume", "/volumes",
                     json::array({{{"name", "data"},
                                   {"emptyDir", {{"medium", "Memory"}, {"sizeLimt", "1Gi"}}}}})},
        JobFieldCase{"Affinity",
                     "/affinity",
                     {{"nodeAffinity", {{"requiredDuringScheduling", json::object()}}}}},
        JobFieldCase{"Probe",
                     "/containers/0/livenessProbe",
                     {{"exec", {{"command", {"true"}}}}, {"periodSecond", 5}}},
        JobFieldCase{"SecurityContext", "/securityContext", {{"runAsUsr", 1000}}},
        JobFieldCase{"Resources", "/containers/0/resources", {{"limit", {{"cpu", "1"}}}}},
        JobFieldCase{"Toleration", "/tolerations",
                     json::array({{{"key", "gpu"}, {"efect", "NoSchedule"}}})},
        JobFieldCase{
            "EnvValueFrom", "/containers/0/env",
            json::array({{{"name", "A"},
                          {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"kee", "k"}}}}}}})}),
    [](const ::testing::TestParamInfo<JobFieldCase>& info) { return info.param.name; });

TEST(ValidationPolicyTest, JobTypeErrorsInNestedTypesUseGoTypeNames) {
  json raw = Raw();
  raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["securityContext"] = {
      {"runAsUser", "root"}};
  std::vector<FieldError> problems = Validate(raw);
  const FieldError* e = Find(problems, "spec.trialTemplate");
  ASSERT_NE(e, nullptr) << Dump(problems);
  EXPECT_THAT(e->KatibMessage(), ::testing::EndsWith("to Job: cannot convert string to int64"));
}

TEST(ValidationPolicyTest, GpuLimitsAndRichJobFieldsPass) {
  json raw = Raw();
  json& pod = raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"];
  pod["containers"][0]["resources"] = {{"limits", {{"nvidia.com/gpu", 1}, {"memory", "1Gi"}}}};
  pod["containers"][0]["readinessProbe"] = {{"httpGet", {{"path", "/"}, {"port", 8080}}},
                                            {"periodSeconds", 5}};
  pod["volumes"] = json::array({{{"name", "d"}, {"persistentVolumeClaim", {{"claimName", "c"}}}}});
  pod["affinity"] = {{"podAntiAffinity",
                      {{"preferredDuringSchedulingIgnoredDuringExecution",
                        json::array({{{"weight", 1},
                                      {"podAffinityTerm",
                                       {{"topologyKey", "kubernetes.io/hostname"},
                                        {"labelSelector", {{"matchLabels", {{"a", "b"}}}}}}}}})}}}};
  pod["tolerations"] =
      json::array({{{"key", "gpu"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}});
  raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["backoffLimit"] = 0;
  raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["podFailurePolicy"] = {
      {"rules", json::array({{{"action", "FailJob"},
                              {"onExitCodes", {{"operator", "In"}, {"values", {1, 2}}}}}})}};
  EXPECT_EQ(Dump(Validate(raw)), "");
}

// ---- ConfigMap trial templates --------------------------------------------------------------

constexpr char kConfigMaps[] = R"(# two documents
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: kubeflow}
data: {x: y}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: trial-templates
  namespace: kubeflow
data:
  job.yaml: |
    apiVersion: batch/v1
    kind: Job
    spec:
      template:
        spec:
          containers:
            - name: main
              image: python:3.11-slim
              command: [python3, train.py, "--lr=${trialParameters.lr}", "--opt=${trialParameters.opt}"]
          restartPolicy: Never
)";

json RawWithConfigMapSource(const std::string& path = "job.yaml") {
  json raw = Raw();
  raw["spec"]["trialTemplate"].erase("trialSpec");
  raw["spec"]["trialTemplate"]["configMap"] = {{"configMapName", "trial-templates"},
                                               {"configMapNamespace", "kubeflow"},
                                               {"templatePath", path}};
  raw["spec"]["trialTemplate"]["successCondition"] = "status.succeeded";
  raw["spec"]["trialTemplate"]["failureCondition"] = "status.failed";
  return raw;
}

TEST(ConfigMapTest, ParsesSeveralDocumentsAndFindsTheTemplate) {
  absl::StatusOr<std::vector<ConfigMap>> maps = ParseConfigMaps(kConfigMaps, "maps.yaml");
  ASSERT_TRUE(maps.ok()) << maps.status();
  ASSERT_EQ(maps->size(), 2u);
  ASSERT_NE(FindConfigMap(*maps, "kubeflow", "trial-templates"), nullptr);
  EXPECT_EQ(FindConfigMap(*maps, "default", "trial-templates"), nullptr);
  absl::StatusOr<std::string> text =
      ConfigMapTemplate(*maps, {"trial-templates", "kubeflow", "job.yaml"});
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("kind: Job"));
  EXPECT_EQ(ConfigMapTemplate(*maps, {"missing", "kubeflow", "job.yaml"}).status().message(),
            "configMap not found: configmaps \"missing\" not found");
  EXPECT_EQ(
      ConfigMapTemplate(*maps, {"other", "kubeflow", "job.yaml"}).status().message(),
      "unable to find trial template in ConfigMap: TemplatePath: job.yaml, ConfigMap: map[x:y]");
}

TEST(ConfigMapTest, RejectsNonStringDataNamingTheKey) {
  absl::StatusOr<std::vector<ConfigMap>> maps = ParseConfigMaps(
      "kind: ConfigMap\nmetadata: {name: m}\ndata: {job.yaml: {kind: Job}}\n", "m.yaml");
  ASSERT_FALSE(maps.ok());
  EXPECT_THAT(maps.status().message(), HasSubstr("m.yaml: data.job.yaml: expected a string"));
}

TEST(ConfigMapTest, ValidationRunsKatibsChecksOnTheLoadedTemplate) {
  absl::StatusOr<std::vector<ConfigMap>> maps = ParseConfigMaps(kConfigMaps);
  ASSERT_TRUE(maps.ok());
  ValidationOptions o = Options();
  o.load_config_map_template = ConfigMapTemplateLoader(*maps);
  EXPECT_EQ(Dump(Validate(RawWithConfigMapSource(), o)), "");
  std::vector<FieldError> problems = Validate(RawWithConfigMapSource("nope.yaml"), o);
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_THAT(problems[0].KatibMessage(),
              ::testing::StartsWith(
                  "spec.trialTemplate: Invalid value: \"\": unable to parse spec.trialTemplate: "
                  "unable to find trial template in ConfigMap: TemplatePath: nope.yaml, ConfigMap: "
                  "map[job.yaml:apiVersion: batch/v1"));
}

TEST(ConfigMapTest, ResolveTurnsTheSourceIntoATrialSpec) {
  absl::StatusOr<std::vector<ConfigMap>> maps = ParseConfigMaps(kConfigMaps);
  ASSERT_TRUE(maps.ok());
  Experiment e = FromJson(RawWithConfigMapSource());
  ASSERT_TRUE(ResolveConfigMapTemplate(e, ConfigMapTemplateLoader(*maps)).ok());
  ASSERT_TRUE(e.spec.trial_template->trial_spec.has_value());
  EXPECT_FALSE(e.spec.trial_template->config_map.has_value());
  EXPECT_EQ(StringFieldOr(*e.spec.trial_template->trial_spec, "kind"), "Job");
  Experiment missing = FromJson(RawWithConfigMapSource());
  EXPECT_EQ(ResolveConfigMapTemplate(missing, nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ktune::core

namespace ktune::core {
namespace {

TEST(KatibDefaulterRemovalsTest, RemovesWhatKatibsTypedRoundTripDrops) {
  json raw = Raw();
  raw["spec"]["parmeters"] = json::array();                            // misspelled: unknown
  raw["spec"]["objective"]["additionalMetricNames"] = json::array();   // omitempty
  raw["spec"]["parameters"][0]["feasibleSpace"]["stepp"] = "0.1";      // unknown, nested
  raw["spec"]["trialTemplate"]["retain"] = false;                      // omitempty bool
  raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["x-unknown"] = 1;  // unstructured: kept
  raw["spec"]["maxFailedTrialCount"] = 0;                              // a pointer: kept
  raw["spec"]["resumePolicy"] = nullptr;
  EXPECT_EQ(KatibDefaulterRemovals(raw),
            (std::vector<std::string>{"/spec/objective/additionalMetricNames",
                                      "/spec/parameters/0/feasibleSpace/stepp", "/spec/parmeters",
                                      "/spec/resumePolicy", "/spec/trialTemplate/retain"}));
  EXPECT_TRUE(KatibDefaulterRemovals(Raw()).empty());
}

}  // namespace
}  // namespace ktune::core
