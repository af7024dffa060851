#include "core/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace ktune::core {
namespace {

using ::testing::HasSubstr;

constexpr char kRandomYaml[] = R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  namespace: kubeflow
  name: random
spec:
  objective:
    type: maximize
    goal: 0.99
    objectiveMetricName: Validation-accuracy
    additionalMetricNames:
      - Train-accuracy
  algorithm:
    algorithmName: random
    algorithmSettings:
      - name: random_state
        value: "10"
  parallelTrialCount: 3
  maxTrialCount: 12
  maxFailedTrialCount: 3
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace:
        min: 0.01
        max: "0.03"
    - name: num-layers
      parameterType: int
      feasibleSpace:
        min: "2"
        max: "5"
    - name: optimizer
      parameterType: categorical
      feasibleSpace:
        list: [sgd, adam, ftrl]
  trialTemplate:
    primaryContainerName: training-container
    trialParameters:
      - name: learningRate
        description: Learning rate for the training model
        reference: lr
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        backoffLimit: 0
        template:
          metadata:
            annotations:
              sidecar.istio.io/inject: "false"
          spec:
            containers:
              - name: training-container
                image: docker.io/kubeflowkatib/mxnet-mnist:latest
                command:
                  - "python3"
                  - "--lr=${trialParameters.learningRate}"
                someUnknownField: {nested: [1, 2.5, true, null]}
            restartPolicy: Never
)";

TEST(CodecTest, ParsesKatibRandomExample) {
  absl::StatusOr<Experiment> e = ParseExperiment(kRandomYaml);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->metadata.name, "random");
  EXPECT_EQ(e->metadata.namespace_, "kubeflow");
  ASSERT_TRUE(e->spec.objective);
  EXPECT_EQ(e->spec.objective->type, "maximize");
  EXPECT_DOUBLE_EQ(*e->spec.objective->goal, 0.99);
  EXPECT_EQ(e->spec.objective->additional_metric_names, std::vector<std::string>{"Train-accuracy"});
  EXPECT_EQ(e->spec.algorithm->algorithm_settings[0].value, "10");
  EXPECT_EQ(*e->spec.parallel_trial_count, 3);
  EXPECT_EQ(*e->spec.max_trial_count, 12);
  ASSERT_EQ(e->spec.parameters.size(), 3u);
  // An unquoted number in a string field is accepted as its text.
  EXPECT_EQ(e->spec.parameters[0].feasible_space.min, "0.01");
  EXPECT_EQ(e->spec.parameters[2].feasible_space.list,
            (std::vector<std::string>{"sgd", "adam", "ftrl"}));
  EXPECT_EQ(e->spec.trial_template->primary_container_name, "training-container");
  EXPECT_FALSE(e->spec.max_failed_trial_count == std::nullopt);
}

TEST(CodecTest, TrialSpecKeepsUnknownFieldsAndScalarTypes) {
  absl::StatusOr<Experiment> e = ParseExperiment(kRandomYaml);
  ASSERT_TRUE(e.ok()) << e.status();
  const nlohmann::json& spec = *e->spec.trial_template->trial_spec;
  const nlohmann::json& container = spec["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["someUnknownField"],
            nlohmann::json::parse(R"({"nested": [1, 2.5, true, null]})"));
  EXPECT_EQ(spec["spec"]["backoffLimit"], 0);
  EXPECT_EQ(spec["spec"]["template"]["metadata"]["annotations"]["sidecar.istio.io/inject"],
            "false");
}

TEST(CodecTest, JsonRoundTripIsStable) {
  absl::StatusOr<Experiment> e = ParseExperiment(kRandomYaml);
  ASSERT_TRUE(e.ok()) << e.status();
  nlohmann::json first = ExperimentToJson(*e);
  absl::StatusOr<Experiment> again = ExperimentFromJson(first);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ExperimentToJson(*again), first);
  // And through YAML text.
  absl::StatusOr<Experiment> from_yaml = ParseExperiment(ToYaml(first));
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.status() << "\n" << ToYaml(first);
  EXPECT_EQ(ExperimentToJson(*from_yaml), first);
}

TEST(CodecTest, AcceptsJsonInput) {
  absl::StatusOr<Experiment> e = ParseExperiment(
      R"({"apiVersion":"kubeflow.org/v1beta1","kind":"Experiment","metadata":{"name":"j"},)"
      R"("spec":{"maxTrialCount":4,"objective":{"type":"minimize","objectiveMetricName":"loss"}}})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e->spec.max_trial_count, 4);
  EXPECT_EQ(e->spec.objective->objective_metric_name, "loss");
}

TEST(CodecTest, EmptyTrialParametersListIsKeptDistinctFromAbsent) {
  absl::StatusOr<Experiment> with_empty =
      ParseExperiment("metadata: {name: a}\nspec:\n  trialTemplate:\n    trialParameters: []\n");
  ASSERT_TRUE(with_empty.ok()) << with_empty.status();
  ASSERT_TRUE(with_empty->spec.trial_template->trial_parameters.has_value());
  EXPECT_TRUE(with_empty->spec.trial_template->trial_parameters->empty());
  absl::StatusOr<Experiment> absent =
      ParseExperiment("metadata: {name: a}\nspec:\n  trialTemplate: {}\n");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->spec.trial_template->trial_parameters.has_value());
}

TEST(CodecTest, WrongShapeNamesTheFieldPath) {
  absl::StatusOr<Experiment> e = ParseExperiment(
      "metadata: {name: a}\nspec:\n  parameters:\n    - name: x\n      feasibleSpace:\n        "
      "list: abc\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(e.status().message(),
              HasSubstr("spec.parameters[0].feasibleSpace.list: expected a list"));

  e = ParseExperiment("metadata: {name: a}\nspec:\n  maxTrialCount: 2.5\n");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("spec.maxTrialCount"));
}

TEST(CodecTest, YamlSyntaxErrorHasLineAndColumn) {
  absl::StatusOr<Experiment> e =
      ParseExperiment("metadata:\n  name: a\nspec:\n  objective: [unclosed\n", "exp.yaml");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("exp.yaml: line "));
  EXPECT_THAT(e.status().message(), HasSubstr("column"));
}

// REVIEW 1.9 "A misleading YAML error": deep nesting was `line 1, column 1: bad file`.
TEST(CodecTest, Review1_9_DeepYamlNestingHasATrueMessage) {
  // Flow collections: the position of the deepest bracket.
  std::string flow = "spec: " + std::string(600, '[') + std::string(600, ']') + "\n";
  absl::StatusOr<Experiment> e = ParseExperiment(flow, "deep.yaml");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(e.status().message()),
            "deep.yaml: line 1, column 606: nested deeper than 499 levels");
  // Quoted brackets and comments do not count.
  std::string quoted = "a: ['[[[', \"{{\\\"{\", x] # [[[[\nb: " + std::string(600, '{') + "\n";
  absl::StatusOr<nlohmann::json> doc = ParseYamlDocument(quoted);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(std::string(doc.status().message()),
            "line 2, column 603: nested deeper than 499 levels");
  // Block mappings: yaml-cpp's own position, on the line where the limit is passed.
  std::string block = "spec:\n";
  std::string indent = "  ";
  for (int i = 0; i < 600; ++i, indent += " ") block += indent + "a:\n";
  e = ParseExperiment(block);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("nested deeper than 499 levels"));
  EXPECT_THAT(std::string(e.status().message()), ::testing::StartsWith("line 49"));
  EXPECT_THAT(e.status().message(), ::testing::Not(HasSubstr("bad file")));
  // What fits still parses.
  EXPECT_TRUE(ParseYamlDocument(std::string(400, '[') + std::string(400, ']')).ok());
}

// REVIEW 1.9 / 1.5: numbers in the Experiment are read by core/number.h; NaN is not a goal.
TEST(CodecTest, Review1_9_NumbersUseTheOneParser) {
  auto message = [](const std::string& spec) {
    absl::StatusOr<Experiment> e = ParseExperiment("metadata: {name: a}\nspec: " + spec + "\n");
    return std::string(e.status().message());
  };
  EXPECT_EQ(message("{objective: {goal: nan}}"),
            "spec.objective.goal: expected a finite number, got \"nan\"");
  EXPECT_EQ(message("{objective: {goal: .inf}}"),
            "spec.objective.goal: expected a finite number, got .inf");
  EXPECT_EQ(message("{objective: {goal: \"0x1\"}}"),
            "spec.objective.goal: expected a finite number, got \"0x1\"");
  EXPECT_EQ(message("{maxTrialCount: \"0x10\"}"),
            "spec.maxTrialCount: expected an integer, got \"0x10\"");
  EXPECT_EQ(message("{maxTrialCount: \" 3\"}"),
            "spec.maxTrialCount: expected an integer, got \" 3\"");
  // Invalid UTF-8 never reaches the number parser: the document is refused first.
  EXPECT_EQ(message("{objective: {goal: \"1\xff\"}}"),
            "line 2, column 28: invalid UTF-8 (byte 0xff); save the file as UTF-8");
  EXPECT_EQ(message("{nasConfig: {graphConfig: {inputSizes: [4294967296]}}}"),
            "spec.nasConfig.graphConfig.inputSizes[0]: expected a 32-bit integer, got 4294967296");
  absl::StatusOr<Experiment> e = ParseExperiment(
      "metadata: {name: a}\nspec: {maxTrialCount: \"+3\", objective: {goal: \"1e-3\"}}\n");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e->spec.max_trial_count, 3);
  EXPECT_DOUBLE_EQ(*e->spec.objective->goal, 1e-3);
}

TEST(CodecTest, RejectsOtherKindsAndVersions) {
  EXPECT_THAT(ParseExperiment("apiVersion: v1\nkind: Experiment\nspec: {}\n").status().message(),
              HasSubstr("apiVersion"));
  EXPECT_THAT(ParseExperiment("apiVersion: kubeflow.org/v1beta1\nkind: Trial\nspec: {}\n")
                  .status()
                  .message(),
              HasSubstr("kind"));
}

TEST(CodecTest, TrialRoundTrip) {
  Trial t;
  t.metadata.name = "t1";
  t.metadata.labels = {{"katib.kubeflow.org/experiment", "e"}};
  t.spec.objective.type = "minimize";
  t.spec.objective.objective_metric_name = "loss";
  t.spec.parameter_assignments = {{"lr", "0.1"}};
  t.spec.run_spec = nlohmann::json::parse(R"({"kind":"Job","x":{"y":[1,"a"]}})");
  t.spec.primary_container_name = "c";
  t.spec.metrics_collector.kind = "StdOut";
  t.status.start_time = "2026-11-22T10:00:00Z";
  t.status.conditions = {{"Created", "True", "TrialCreated", "Trial is created", "a", "b"}};
  t.status.observation = Observation{{{"loss", "0.1", "0.5", "0.2"}}};
  nlohmann::json j = TrialToJson(t);
  EXPECT_EQ(j["spec"]["parameterAssignments"][0]["value"], "0.1");
  EXPECT_EQ(j["status"]["observation"]["metrics"][0]["latest"], "0.2");
  absl::StatusOr<Trial> back = TrialFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(TrialToJson(*back), j);
}

}  // namespace
}  // namespace ktune::core

namespace ktune::core {
namespace {

// Found by fuzz_experiment_to_command: invalid UTF-8 in a template reached nlohmann's dump()
// in validation and aborted `ktune validate` (type_error.316). It is now a parse error with
// its position, as Kubernetes' YAML decoder reports it.
TEST(CodecTest, InvalidUtf8IsAParseErrorWithItsPosition) {
  const std::string yaml =
      "metadata:\n  name: a\xff"
      "b\n";
  absl::StatusOr<Experiment> e = ParseExperiment(yaml, "bad.yaml");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "bad.yaml: line 2, column 10: invalid UTF-8 (byte 0xff); save the file as UTF-8");
  // Overlong forms, surrogates and truncated sequences are refused too; valid text is not.
  for (const std::string bad :
       {"a: \xc0\xaf", "a: \xed\xa0\x80", "a: \xe2\x82", "a: \xf4\x90\x80\x80"}) {
    EXPECT_FALSE(ParseYamlDocument(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseYamlDocument("a: \"\xe2\x82\xac \xf0\x9f\x98\x80\"").ok());
}

}  // namespace
}  // namespace ktune::core

namespace ktune::core {
namespace {

// Found by fuzz_experiment_to_command: yaml-cpp 0.7's LoadAll loops forever on a stray `,` at
// document level, so `ktune validate` and `ktune run` hung. It is now a parse error.
TEST(CodecTest, StrayFlowIndicatorIsAnErrorNotAHang) {
  absl::StatusOr<nlohmann::json> doc = ParseYamlDocument(",");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            "line 1, column 1: unexpected flow indicator (e.g. a stray ',' outside a list or "
            "map)");
  EXPECT_FALSE(ParseYamlDocument("a: [1,\n2]\n,\n").ok());
  EXPECT_TRUE(ParseYamlDocument("a: [1, 2]\n").ok());
}

}  // namespace
}  // namespace ktune::core

namespace ktune::core {
namespace {

// Found by fuzz_experiment_to_command: an alias inside its own anchor (`a: &a {b: *a}`) made
// the YAML-to-JSON conversion recurse until the stack overflowed; repeated aliases can also
// expand a small file exponentially. Both are errors now.
TEST(CodecTest, SelfReferentialAndExplodingAliasesAreErrors) {
  absl::StatusOr<nlohmann::json> cycle = ParseYamlDocument("a: &a {parameters: *a}\n");
  ASSERT_FALSE(cycle.ok());
  EXPECT_THAT(
      std::string(cycle.status().message()),
      ::testing::HasSubstr("nested deeper than 499 levels (an alias that refers to itself?)"));
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) laughs += ", " + prev;
    laughs += "]\n";
  }
  absl::StatusOr<nlohmann::json> exploded = ParseYamlDocument(laughs);
  ASSERT_FALSE(exploded.ok());
  EXPECT_THAT(std::string(exploded.status().message()),
              ::testing::HasSubstr("expands to more than 1000000 values"));
  // Ordinary aliases still work.
  absl::StatusOr<nlohmann::json> ok = ParseYamlDocument("a: &x {k: 1}\nb: *x\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["b"]["k"], 1);
}

}  // namespace
}  // namespace ktune::core

namespace ktune::core {
namespace {

// Found by fuzz_experiment_to_command: a valid UTF-8 file whose values yaml-cpp decodes into
// invalid UTF-8 aborted `ktune validate` in a later JSON dump. It is a parse error now.
TEST(CodecTest, ValuesDecodedToInvalidUtf8AreAParseError) {
  std::ifstream in(std::string(KTUNE_SOURCE_DIR) +
                       "/tests/fuzz/corpus/experiment_to_command/regress-decoded-invalid-utf8.yaml",
                   std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty());
  absl::StatusOr<Experiment> e = ParseExperiment(text.str());
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()),
              ::testing::HasSubstr("this value does not decode to valid UTF-8"));
}

}  // namespace
}  // namespace ktune::core
