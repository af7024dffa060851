// Katib's own validator test cases (kubeflow/katib
// pkg/webhook/v1beta1/experiment/validator/validator_test.go, master of 2026-06), re-expressed
// in ktune's terms: each row gives the input as a change to Katib's fake experiment and the
// answer Katib's tests expect (allowed, or denied with these error types at these paths, in
// this order). Where validator.go fixes the message, the row checks it too. ktune runs in
// katib_compatible mode (Katib's answer exactly); the scope says which of Katib's functions the
// Go test called, so only errors under that path are compared.

#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/job_schema.h"
#include "core/json_access.h"
#include "core/validation.h"

namespace ktune::core {
namespace {

using nlohmann::json;
using Type = FieldError::Type;

// Katib's newFakeInstance(): what its tests mutate.
constexpr char kFakeInstance[] = R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: fake, namespace: fakens}
spec:
  maxTrialCount: 6
  metricsCollectorSpec:
    collector: {kind: StdOut}
  objective: {type: maximize, goal: 0.11, objectiveMetricName: testme}
  algorithm:
    algorithmName: test
    algorithmSettings: [{name: test1, value: value1}]
  earlyStopping:
    algorithmName: test
    algorithmSettings: [{name: test1, value: value1}]
  parameters:
    - name: lr
      parameterType: int
      feasibleSpace: {max: "5", min: "1", distribution: uniform}
    - name: momentum
      parameterType: categorical
      feasibleSpace: {list: ["0.95", "0.85", "0.75"]}
  trialTemplate:
    primaryContainerName: training-container
    successCondition: status.conditions.#(type=="Complete")#|#(status=="True")#
    failureCondition: status.conditions.#(type=="Failed")#|#(status=="True")#
    trialParameters:
      - {name: learningRate, description: Learning rate, reference: lr}
      - {name: momentum, description: Momentum for the training model, reference: momentum}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: training-container
                image: ghcr.io/kubeflow/katib/pytorch-mnist-cpu
                command: [python3, --epochs=1, --batch-size=16, /opt/pytorch-mnist/mnist.py,
                          "--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}"]
)";

Experiment FakeInstance() {
  absl::StatusOr<Experiment> e = ParseExperiment(kFakeInstance);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : Experiment{};
}

// The mock's configuration: every algorithm, early stopping algorithm and collector has an
// image.
ValidationOptions AllConfigured() {
  ValidationOptions o;
  o.algorithms = {"test", "not-test"};
  o.early_stopping_algorithms = {"test"};
  o.metrics_collector_kinds = {"StdOut", "File", "TensorFlowEvent", "PrometheusMetric"};
  o.katib_compatible = true;
  return o;
}

json& Container(Experiment& e) {
  return (*e.spec.trial_template->trial_spec)["spec"]["template"]["spec"]["containers"][0];
}

struct Want {
  Type type;
  std::string field;
  std::string message_prefix = "";  // KatibMessage() starts with this, when set
};

struct KatibCase {
  std::string go_test;      // the Go test function
  std::string description;  // Katib's testDescription
  std::function<void(Experiment&, ValidationOptions&, Experiment& old, bool& has_old)> mutate;
  std::vector<Want> want;  // empty: allowed
  std::string scope = "";  // compare only errors whose field starts with this
  bool any_error = false;  // TestValidateConfigData/TestValidateTrialJob: only "some error"
};

const char* TypeName(Type t) {
  switch (t) {
    case Type::kRequired:
      return "Required";
    case Type::kInvalid:
      return "Invalid";
    case Type::kForbidden:
      return "Forbidden";
    case Type::kDecode:
      return "Decode";
  }
  return "?";
}

void SetTemplateText(ValidationOptions& o, Experiment& e, const std::string& text) {
  // Katib's mock GetTrialTemplate returns this text whatever the source says; a configMap
  // source with a loader returning it is ktune's equivalent.
  e.spec.trial_template->trial_spec.reset();
  e.spec.trial_template->config_map = ConfigMapSource{"fake-cm", "fakens", "template.yaml"};
  o.load_config_map_template = [text](const ConfigMapSource&) -> absl::StatusOr<std::string> {
    return text;
  };
}

std::vector<KatibCase> Cases() {
  using E = Experiment;
  using O = ValidationOptions;
  const std::string trial = "spec.trialTemplate";
  const std::string mc = "spec.metricsCollectorSpec";
  std::vector<KatibCase> c;
  auto add = [&](std::string test, std::string d, std::function<void(E&, O&, E&, bool&)> m,
                 std::vector<Want> w, std::string scope = "") {
    c.push_back({std::move(test), std::move(d), std::move(m), std::move(w), std::move(scope)});
  };
  const std::string name_detail = "metadata.name: Invalid value: ";
  // ---- TestValidateExperiment
  const std::string t = "TestValidateExperiment";
  add(t, "Name is invalid (1234-test)", [](E& e, O&, E&, bool&) { e.metadata.name = "1234-test"; },
      {{Type::kInvalid, "metadata.name",
        name_detail + "\"1234-test\": name must consist of lower case"}});
  add(t, "Name is invalid (too long)",
      [](E& e, O&, E&, bool&) {
        e.metadata.name = "test-manymanymanyextracharactersthatgobeyondlimit";
      },
      {{Type::kInvalid, "metadata.name"}});
  add(t, "Objective is nil", [](E& e, O&, E&, bool&) { e.spec.objective.reset(); },
      {{Type::kRequired, "spec.objective", "spec.objective: Required value: must be specified"}});
  add(t, "Objective type is unknown", [](E& e, O&, E&, bool&) { e.spec.objective->type = ""; },
      {{Type::kInvalid, "spec.objective.type",
        "spec.objective.type: Invalid value: \"\": must be minimize or maximize"}});
  add(t, "Objective metric name is empty",
      [](E& e, O&, E&, bool&) { e.spec.objective->objective_metric_name = ""; },
      {{Type::kRequired, "spec.objective.objectiveMetricName"}});
  add(t, "additionalMetricNames should not contain objective metric name",
      [](E& e, O&, E&, bool&) {
        e.spec.objective->objective_metric_name = "objective";
        e.spec.objective->additional_metric_names = {"objective", "objective-1"};
      },
      {{Type::kInvalid, "spec.objective.additionalMetricNames",
        "spec.objective.additionalMetricNames: Invalid value: [\"objective\",\"objective-1\"]: "
        "should not contain "
        "spec.objective.objectiveMetricName"}});
  add(t, "Algorithm is nil", [](E& e, O&, E&, bool&) { e.spec.algorithm.reset(); },
      {{Type::kRequired, "spec.algorithm", "spec.algorithm: Required value: must be specified"}});
  add(t, "Algorithm name is empty",
      [](E& e, O& o, E&, bool&) {
        e.spec.algorithm->algorithm_name = "";
        o.algorithms.push_back("");  // the mock has a config for every name, even ""
      },
      {{Type::kRequired, "spec.algorithm.algorithmName"}});
  add(t, "EarlyStopping is nil", [](E& e, O&, E&, bool&) { e.spec.early_stopping.reset(); }, {});
  add(t, "EarlyStopping AlgorithmName is empty",
      [](E& e, O& o, E&, bool&) {
        e.spec.early_stopping->algorithm_name = "";
        o.early_stopping_algorithms.push_back("");
      },
      {{Type::kRequired, "spec.earlyStopping.algorithmName"}});
  add(t, "Run validator for correct experiment", [](E&, O&, E&, bool&) {}, {});
  add(t, "Max failed trial count is negative",
      [](E& e, O&, E&, bool&) { e.spec.max_failed_trial_count = -1; },
      {{Type::kInvalid, "spec.maxFailedTrialCount",
        "spec.maxFailedTrialCount: Invalid value: -1: should not be less than 0"}});
  add(t, "Max trial count is negative", [](E& e, O&, E&, bool&) { e.spec.max_trial_count = -1; },
      {{Type::kInvalid, "spec.maxTrialCount",
        "spec.maxTrialCount: Invalid value: -1: must be greater than 0"}});
  add(t, "Parallel trial count is negative",
      [](E& e, O&, E&, bool&) { e.spec.parallel_trial_count = -1; },
      {{Type::kInvalid, "spec.parallelTrialCount"}});
  add(t, "Run validator to correct resume experiment",
      [](E& e, O&, E& old, bool& has_old) {
        old = e;
        has_old = true;
      },
      {});
  add(t, "Resume succeeded experiment with ResumePolicy = NeverResume",
      [](E& e, O&, E& old, bool& has_old) {
        old = e;
        old.status.conditions = {
            {"Succeeded", "True", "ExperimentMaxTrialsReached", "Experiment is succeeded", "", ""}};
        old.spec.resume_policy = "Never";
        has_old = true;
      },
      {{Type::kInvalid, "spec.resumePolicy",
        "spec.resumePolicy: Invalid value: \"\": Experiment can be restarted"},
       {Type::kForbidden, "spec",
        "spec: Forbidden: only spec.parallelTrialCount, spec.maxTrialCount and "
        "spec.maxFailedTrialCount are "
        "editable"}});
  add(t, "Resume experiment with MaxTrialCount <= Status.Trials",
      [](E& e, O&, E& old, bool& has_old) {
        old = e;
        old.status.trials = *e.spec.max_trial_count;
        old.spec.max_failed_trial_count = 2;
        has_old = true;
      },
      {{Type::kInvalid, "spec.maxTrialCount",
        "spec.maxTrialCount: Invalid value: 6: must be greater than status.trials count"}});
  add(t, "Change algorithm name when resuming experiment",
      [](E& e, O&, E& old, bool& has_old) {
        old = e;
        old.spec.algorithm->algorithm_name = "not-test";
        has_old = true;
      },
      {{Type::kForbidden, "spec"}});
  add(t, "Invalid resume policy",
      [](E& e, O&, E&, bool&) { e.spec.resume_policy = "invalid-policy"; },
      {{Type::kInvalid, "spec.resumePolicy",
        "spec.resumePolicy: Invalid value: \"invalid-policy\": invalid ResumePolicyType"}});
  add(t, "Parameters and NAS config is nil",
      [](E& e, O&, E&, bool&) {
        e.spec.parameters.clear();
        e.spec.nas_config.reset();
      },
      {{Type::kRequired, "spec",
        "spec: Required value: spec.parameters or spec.nasConfig must be specified"}});
  add(t, "Parameters and NAS config is not nil",
      [](E& e, O&, E&, bool&) {
        e.spec.nas_config.emplace();
        e.spec.nas_config->operations.push_back({"op1", {}});
      },
      {{Type::kInvalid, "spec",
        "spec: Invalid value: {\"parameters\":[{\"name\":\"lr\",\"parameterType\":\"int\""}});
  add(t, "Trial template is nil", [](E& e, O&, E&, bool&) { e.spec.trial_template.reset(); },
      {{Type::kRequired, trial, "spec.trialTemplate: Required value: must be specified"}});
  add(t, "Invalid feasible space in parameters",
      [](E& e, O&, E&, bool&) { e.spec.parameters[1].feasible_space.max = "5"; },
      {{Type::kInvalid, "spec.parameters[1].feasibleSpace",
        "spec.parameters[1].feasibleSpace: Invalid value: "
        "{\"max\":\"5\",\"list\":[\"0.95\",\"0.85\",\"0.75\"]}: "
        "feasibleSpace .max, .min and .step is not supported for parameterType: categorical"}});
  add(t, "maxFailedTrialCount greater than maxTrialCount",
      [](E& e, O&, E&, bool&) {
        e.spec.max_trial_count = 5;
        e.spec.max_failed_trial_count = 6;
      },
      {{Type::kInvalid, "spec.maxFailedTrialCount",
        "spec.maxFailedTrialCount: Invalid value: 6: should be less than or equal to "
        "spec.maxTrialCount"}});
  add(t, "maxFailedTrialCount equal to maxTrialCount",
      [](E& e, O&, E&, bool&) {
        e.spec.max_trial_count = 5;
        e.spec.max_failed_trial_count = 5;
      },
      {});
  add(t, "parallelTrialCount greater than maxTrialCount",
      [](E& e, O&, E&, bool&) {
        e.spec.max_trial_count = 5;
        e.spec.parallel_trial_count = 6;
      },
      {{Type::kInvalid, "spec.parallelTrialCount"}});
  add(t, "parallelTrialCount equal to maxTrialCount",
      [](E& e, O&, E&, bool&) {
        e.spec.max_trial_count = 5;
        e.spec.parallel_trial_count = 5;
      },
      {});

  // ---- TestValidateParameters (validateParameters only)
  const std::string p = "TestValidateParameters";
  add(
      p, "Invalid parameter type",
      [](E& e, O&, E&, bool&) { e.spec.parameters[0].parameter_type = "invalid-type"; },
      {{Type::kInvalid, "spec.parameters[0].parameterType",
        "spec.parameters[0].parameterType: Invalid value: \"invalid-type\": parameterType: "
        "invalid-type is not "
        "supported"}},
      "spec.parameters");
  add(
      p, "Feasible space is nil",
      [](E& e, O&, E&, bool&) { e.spec.parameters[0].feasible_space = {}; },
      {{Type::kRequired, "spec.parameters[0].feasibleSpace",
        "spec.parameters[0].feasibleSpace: Required value: feasibleSpace must be specified"}},
      "spec.parameters");
  add(
      p, "Not empty list for int parameter type",
      [](E& e, O&, E&, bool&) { e.spec.parameters[0].feasible_space.list = {"invalid-list"}; },
      {{Type::kInvalid, "spec.parameters[0].feasibleSpace.list",
        "spec.parameters[0].feasibleSpace.list: Invalid value: [\"invalid-list\"]: "
        "feasibleSpace.list is not "
        "supported for parameterType: int"}},
      "spec.parameters");
  add(
      p, "Empty max and min for int parameter type",
      [](E& e, O&, E&, bool&) {
        e.spec.parameters[0].feasible_space = {"", "", {}, "1", ""};
      },
      {{Type::kRequired, "spec.parameters[0].feasibleSpace.max",
        "spec.parameters[0].feasibleSpace.max: Required value: feasibleSpace.max or "
        "feasibleSpace.min must be "
        "specified for parameterType: int"}},
      "spec.parameters");
  add(
      p, "Not empty max for categorical parameter type",
      [](E& e, O&, E&, bool&) { e.spec.parameters[1].feasible_space.max = "1"; },
      {{Type::kInvalid, "spec.parameters[1].feasibleSpace"}}, "spec.parameters");
  add(
      p, "Invalid distribution type",
      [](E& e, O&, E&, bool&) {
        e.spec.parameters[0].feasible_space.distribution = "invalid-distribution";
      },
      {{Type::kInvalid, "spec.parameters[0].feasibleSpace.distribution",
        "spec.parameters[0].feasibleSpace.distribution: Invalid value: \"invalid-distribution\": "
        "distribution: "
        "invalid-distribution is not supported"}},
      "spec.parameters");
  add(
      p, "Valid parameters case", [](E&, O&, E&, bool&) {}, {}, "spec.parameters");

  // ---- TestValidateTrialTemplate (validateTrialTemplate only)
  const std::string tt = "TestValidateTrialTemplate";
  const std::string tp = "spec.trialTemplate.trialParameters";
  add(
      tt, "Trial parameters is nil",
      [](E& e, O&, E&, bool&) { e.spec.trial_template->trial_parameters.reset(); },
      {{Type::kRequired, tp,
        "spec.trialTemplate.trialParameters: Required value: must be specified"}},
      trial);
  add(
      tt, "Trial spec nil", [](E& e, O&, E&, bool&) { e.spec.trial_template->trial_spec.reset(); },
      {{Type::kRequired, "spec.trialTemplate.TrialSource",
        "spec.trialTemplate.TrialSource: Required value: spec.trialTemplate.trialSpec or "
        "spec.trialTemplate.configMap must be specified"}},
      trial);
  add(
      tt, "Trial spec and ConfigMap is not nil",
      [](E& e, O&, E&, bool&) {
        e.spec.trial_template->config_map =
            ConfigMapSource{"config-map-name", "config-map-namespace", "config-map-template-path"};
      },
      {{Type::kRequired, trial,
        "spec.trialTemplate: Required value: only one of spec.trialTemplate.trialSpec or "
        "spec.trialTemplate.configMap can be specified"}},
      trial);
  add(
      tt, "Missed template path in ConfigMap",
      [](E& e, O&, E&, bool&) {
        e.spec.trial_template->trial_spec.reset();
        e.spec.trial_template->config_map =
            ConfigMapSource{"config-map-name", "config-map-namespace", ""};
      },
      {{Type::kRequired, "spec.trialTemplate.configMap",
        "spec.trialTemplate.configMap: Required value: configMapName, configMapNamespace and "
        "templatePath must be "
        "specified"}},
      trial);
  add(
      tt, "Wrong template path in ConfigMap",
      [](E& e, O& o, E&, bool&) {
        e.spec.trial_template->trial_spec.reset();
        e.spec.trial_template->config_map =
            ConfigMapSource{"config-map-name", "config-map-namespace", "wrong-path"};
        o.load_config_map_template = [](const ConfigMapSource&) -> absl::StatusOr<std::string> {
          return absl::NotFoundError("NotFound");
        };
      },
      {{Type::kInvalid, trial,
        "spec.trialTemplate: Invalid value: \"\": unable to parse spec.trialTemplate: NotFound"}},
      trial);
  add(
      tt, "Empty reference or name in Trial parameters",
      [](E& e, O&, E&, bool&) { (*e.spec.trial_template->trial_parameters)[0].reference = ""; },
      {{Type::kInvalid, tp + "[0]",
        "spec.trialTemplate.trialParameters[0]: Invalid value: \"\": name and reference must be "
        "specified and name "
        "must not contain '{' or '}'"},
       {Type::kInvalid, trial,
        "spec.trialTemplate: Invalid value: \"\": parameters: [${trialParameters.learningRate}] in "
        "spec.trialTemplate not found in spec.trialParameters: [{learningRate Learning rate } "
        "{momentum Momentum for "
        "the training model momentum}]"}},
      trial);
  add(
      tt, "Wrong name in Trial parameters",
      [](E& e, O&, E&, bool&) {
        (*e.spec.trial_template->trial_parameters)[0].name = "{invalid-name}";
      },
      {{Type::kInvalid, tp + "[0]"}, {Type::kInvalid, trial}}, trial);
  add(
      tt, "Duplicate name in Trial parameters",
      [](E& e, O&, E&, bool&) {
        auto& params = *e.spec.trial_template->trial_parameters;
        params[1].name = params[0].name;
      },
      {{Type::kInvalid, tp + "[1].name",
        "spec.trialTemplate.trialParameters[1].name: Invalid value: \"learningRate\": parameter "
        "name learningRate "
        "can't be duplicated in spec.trialTemplate.trialParameters: [{learningRate Learning rate "
        "lr} {learningRate "
        "Momentum for the training model momentum}]"},
       {Type::kInvalid, trial}},
      trial);
  add(
      tt, "Duplicate reference in Trial parameters",
      [](E& e, O&, E&, bool&) {
        auto& params = *e.spec.trial_template->trial_parameters;
        params[1].reference = params[0].reference;
      },
      {{Type::kInvalid, tp + "[1].reference"}, {Type::kInvalid, trial}}, trial);
  add(
      tt, "Trial template contains Trial parameters which weren't referenced from spec.parameters",
      [](E& e, O&, E&, bool&) {
        (*e.spec.trial_template->trial_parameters)[1].reference = "wrong-ref";
      },
      {{Type::kInvalid, tp + "[1].reference",
        "spec.trialTemplate.trialParameters[1].reference: Invalid value: \"wrong-ref\": parameter "
        "reference "
        "wrong-ref does not exist in spec.parameters: [{lr int {5 1 []  uniform}} {momentum "
        "categorical {  "
        "[0.95 0.85 0.75]  }}]"}},
      trial);
  add(
      tt, "Trial template contains Trial parameters when spec.parameters is empty",
      [](E& e, O&, E&, bool&) {
        e.spec.parameters.clear();
        (*e.spec.trial_template->trial_parameters)[1].reference = "wrong-ref";
      },
      {}, trial);
  add(
      tt, "Trial template contains Trial metadata reference as parameter",
      [](E& e, O&, E&, bool&) {
        (*e.spec.trial_template->trial_parameters)[1].reference = "${trialSpec.Name}";
      },
      {}, trial);
  add(
      tt, "Trial template contains Trial annotation reference as parameter",
      [](E& e, O&, E&, bool&) {
        (*e.spec.trial_template->trial_parameters)[1].reference =
            "${trialSpec.Annotations[test-annotation]}";
      },
      {}, trial);
  add(
      tt, "Trial template contains Trial's label reference as parameter",
      [](E& e, O&, E&, bool&) {
        (*e.spec.trial_template->trial_parameters)[1].reference = "${trialSpec.Labels[test-label]}";
      },
      {}, trial);
  add(
      tt, "Trial template doesn't contain parameter from Trial parameters",
      [](E& e, O&, E&, bool&) {
        Container(e)["command"][4] = "--lr=${trialParameters.invalidParameter}";
      },
      // learningRate is missing: Katib returns at rule 32 with that error alone.
      {{Type::kInvalid, tp + "[0].name",
        "spec.trialTemplate.trialParameters[0].name: Invalid value: \"learningRate\": parameter "
        "name: learningRate "
        "in spec.trialParameters not found in spec.trialTemplate: {\"apiVersion\":\"batch/v1\""}},
      trial);
  add(
      tt, "Trial template contains extra parameter",
      [](E& e, O&, E&, bool&) {
        Container(e)["command"].push_back("--extra-parameter=${trialParameters.extraParameter}");
      },
      {{Type::kInvalid, trial,
        "spec.trialTemplate: Invalid value: \"\": parameters: [${trialParameters.extraParameter}] "
        "in "
        "spec.trialTemplate not found in spec.trialParameters: "}},
      trial);
  add(
      tt, "Trial template is unable to convert to unstructured after substitution",
      [](E& e, O& o, E&, bool&) {
        SetTemplateText(
            o, e,
            "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n"
            "        - name: fake-trial\n          image: test-image\n          command:\n"
            "            - --invalidParameter={'num_layers': 2, 'input_sizes': [32, 32, 3]}\n"
            "            - --lr=${trialParameters.learningRate}\"\n"
            "            - --num-layers=${trialParameters.numberLayers}");
      },
      {{Type::kInvalid, tp + "[1].name",
        "spec.trialTemplate.trialParameters[1].name: Invalid value: \"momentum\": parameter name: "
        "momentum in "
        "spec.trialParameters not found in spec.trialTemplate: apiVersion: batch/v1"}},
      trial);
  add(
      tt, "Trial template contains metadata.name or metadata.namespace",
      [](E& e, O&, E&, bool&) {
        (*e.spec.trial_template->trial_spec)["metadata"] = {{"name", "trial-name"},
                                                            {"namespace", "trial-namespace"}};
      },
      {{Type::kInvalid, trial,
        "spec.trialTemplate: Invalid value: \"\": metadata.name and metadata.namespace in "
        "spec.trialTemplate must be "
        "omitted"}},
      trial);
  add(
      tt, "Trial template doesn't contain APIVersion or Kind",
      [](E& e, O&, E&, bool&) { e.spec.trial_template->trial_spec->erase("apiVersion"); },
      {{Type::kRequired, trial,
        "spec.trialTemplate: Required value: APIVersion and Kind in spec.trialTemplate must be "
        "specified"}},
      trial);
  add(
      tt, "Trial template has custom Kind",
      [](E& e, O&, E&, bool&) { (*e.spec.trial_template->trial_spec)["kind"] = "CustomKind"; }, {},
      trial);
  add(
      tt, "Trial template doesn't have PrimaryContainerName",
      [](E& e, O&, E&, bool&) { e.spec.trial_template->primary_container_name = ""; },
      {{Type::kRequired, "spec.trialTemplate.primaryContainerName",
        "spec.trialTemplate.primaryContainerName: Required value: must be specified"}},
      trial);
  add(
      tt, "Trial template doesn't have SuccessCondition",
      [](E& e, O&, E&, bool&) { e.spec.trial_template->success_condition = ""; },
      {{Type::kRequired, trial,
        "spec.trialTemplate: Required value: successCondition and failureCondition must be "
        "specified"}},
      trial);

  // ---- TestValidateMetricsCollector (validateMetricsCollector only)
  const std::string m = "TestValidateMetricsCollector";
  auto collector = [](std::string kind, std::optional<FileSystemPath> fsp = std::nullopt) {
    MetricsCollectorSpec spec;
    spec.kind = std::move(kind);
    spec.file_system_path = std::move(fsp);
    return spec;
  };
  add(
      m, "Invalid metrics collector Kind",
      [=](E& e, O&, E&, bool&) { e.spec.metrics_collector_spec = collector("invalid-kind"); },
      {{Type::kInvalid, mc + ".collector.kind",
        "spec.metricsCollectorSpec.collector.kind: Invalid value: \"invalid-kind\": invalid "
        "metrics collector kind: "
        "invalid-kind"}},
      mc);
  add(
      m, "Invalid path for File metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("File", FileSystemPath{"not/absolute/path", "", "TEXT"});
      },
      {{Type::kRequired, mc + ".source.fileSystemPath.path",
        "spec.metricsCollectorSpec.source.fileSystemPath.path: Required value: file path where "
        "metrics file exists "
        "is required"}},
      mc);
  add(
      m, "Invalid path for TF event metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("TensorFlowEvent", FileSystemPath{"not/absolute/path", "", ""});
      },
      {{Type::kRequired, mc + ".source"}}, mc);
  add(
      m, "Invalid file format for TF event metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("TensorFlowEvent", FileSystemPath{"/absolute/path", "Directory", "JSON"});
      },
      {{Type::kInvalid, mc + ".source.fileSystemPath.format",
        "spec.metricsCollectorSpec.source.fileSystemPath.format: Invalid value: \"JSON\": must be "
        "empty"}},
      mc);
  add(
      m, "Invalid port and path for Prometheus metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec = collector("PrometheusMetric");
        // intstr.IntOrString{StrVal: "Port"} with Type Int prints as "0"; ktune reads the port as
        // written.
        e.spec.metrics_collector_spec->http_get = json{{"port", "Port"}};
      },
      {{Type::kInvalid, mc + ".source.httpGet.port"},
       {Type::kInvalid, mc + ".source.httpGet.path",
        "spec.metricsCollectorSpec.source.httpGet.path: Invalid value: \"\": path is invalid for "
        "metrics collector "
        "kind: PrometheusMetric"}},
      mc);
  add(
      m, "Invalid path for Prometheus metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec = collector("PrometheusMetric");
        e.spec.metrics_collector_spec->http_get = json{{"port", 8888}, {"path", "not/valid/path"}};
      },
      {{Type::kInvalid, mc + ".source.httpGet.path"}}, mc);
  add(
      m, "Empty container for Custom metrics collector",
      [=](E& e, O&, E&, bool&) { e.spec.metrics_collector_spec = collector("Custom"); },
      {{Type::kRequired, mc + ".collector.customCollector",
        "spec.metricsCollectorSpec.collector.customCollector: Required value: metrics collector "
        "kind: Custom is "
        "required"}},
      mc);
  add(
      m, "Invalid path for Custom metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("Custom", FileSystemPath{"not/absolute/path", "", ""});
        e.spec.metrics_collector_spec->custom_collector = json{{"name", "my-collector"}};
      },
      {{Type::kInvalid, mc + ".source.fileSystemPath",
        "spec.metricsCollectorSpec.source.fileSystemPath: Invalid value: \"\": "
        ".spec.metricsCollectorSpec.source is "
        "invalid"}},
      mc);
  add(
      m, "Invalid metrics format regex for File metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("File", FileSystemPath{"/absolute/path", "File", "TEXT"});
        e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{"["};
      },
      {{Type::kInvalid, mc + ".source.filter.metricsFormat",
        "spec.metricsCollectorSpec.source.filter.metricsFormat: Invalid value: \"[\": invalid "
        "filter: error parsing "
        "regexp: missing closing ]: `[`"}},
      mc);
  add(
      m, "One subexpression in metrics format",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("File", FileSystemPath{"/absolute/path", "File", "TEXT"});
        e.spec.metrics_collector_spec->metrics_format =
            std::vector<std::string>{"{metricName: ([\\w|-]+)}"};
      },
      {{Type::kInvalid, mc + ".source.filter.metricsFormat",
        "spec.metricsCollectorSpec.source.filter.metricsFormat: Invalid value: \"{metricName: "
        "([\\\\w|-]+)}\": two top "
        "subexpressions are required"}},
      mc);
  add(
      m, "Invalid file format for File metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("File", FileSystemPath{"/absolute/path", "File", "invalid"});
      },
      {{Type::kRequired, mc + ".source.fileSystemPath.format",
        "spec.metricsCollectorSpec.source.fileSystemPath.format: Required value: format of metrics "
        "file is required "
        "for metrics collector"}},
      mc);
  add(
      m, "Invalid metrics filer for File metrics collector when file format is `JSON`",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("File", FileSystemPath{"/absolute/path", "File", "JSON"});
        e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{};
      },
      {{Type::kInvalid, mc + ".source.filter",
        "spec.metricsCollectorSpec.source.filter: Invalid value: \"\": filter must be nil when "
        "format of metrics "
        "file is json"}},
      mc);
  add(
      m, "Run validator for correct File metrics collector",
      [=](E& e, O&, E&, bool&) {
        e.spec.metrics_collector_spec =
            collector("File", FileSystemPath{"/absolute/path", "File", "JSON"});
      },
      {}, mc);

  // ---- TestValidateConfigData (ValidateExperiment; Katib's test checks "some error")
  const std::string cd = "TestValidateConfigData";
  auto some_error = [&](std::string d, std::function<void(E&, O&, E&, bool&)> mutate, Want w) {
    c.push_back({cd, std::move(d), std::move(mutate), {std::move(w)}, "", /*any_error=*/true});
  };
  some_error("Get metrics collector config data error",
             [](E&, O& o, E&, bool&) { o.metrics_collector_kinds.clear(); },
             {Type::kInvalid, mc + ".collector.kind",
              "spec.metricsCollectorSpec.collector.kind: Invalid value: \"StdOut\": "
              "GetMetricsCollectorConfigData "
              "failed: failed to find metrics collector config for kind: StdOut in ConfigMap: "
              "katib-config"});
  some_error("Get early stopping config data error",
             [](E&, O& o, E&, bool&) {
               o.metrics_collector_kinds.clear();
               o.early_stopping_algorithms.clear();
             },
             {Type::kInvalid, "spec.earlyStopping.algorithmName",
              "spec.earlyStopping.algorithmName: Invalid value: \"test\": unable to get "
              "EarlyStopping config data for "
              "algorithm test: failed to find early stopping config for algorithm: test in "
              "ConfigMap: katib-config"});
  some_error("Get suggestion config data error",
             [](E&, O& o, E&, bool&) {
               o.metrics_collector_kinds.clear();
               o.algorithms.clear();
             },
             {Type::kInvalid, "spec.algorithm.algorithmName",
              "spec.algorithm.algorithmName: Invalid value: \"test\": unable to get Suggestion "
              "config data for "
              "algorithm test: failed to find suggestion config for algorithm: test in ConfigMap: "
              "katib-config"});
  return c;
}

class KatibValidatorCase : public ::testing::TestWithParam<KatibCase> {};

TEST_P(KatibValidatorCase, GetsKatibsAnswer) {
  const KatibCase& c = GetParam();
  Experiment e = FakeInstance();
  ValidationOptions o = AllConfigured();
  Experiment old;
  bool has_old = false;
  c.mutate(e, o, old, has_old);
  if (has_old) o.old_experiment = &old;
  std::vector<FieldError> got;
  for (FieldError& error : ValidateExperiment(e, o)) {
    EXPECT_EQ(error.severity, FieldError::Severity::kError) << error.ToString();
    if (absl::StartsWith(error.field, c.scope)) got.push_back(std::move(error));
  }
  std::vector<std::string> got_lines;
  for (const FieldError& g : got)
    got_lines.push_back(absl::StrCat(TypeName(g.type), " ", g.field, ": ", g.KatibMessage()));
  const std::string context =
      absl::StrCat(c.go_test, ": ", c.description, "\ngot:\n", absl::StrJoin(got_lines, "\n"));
  if (c.any_error) {
    ASSERT_FALSE(got.empty()) << context;
    bool found = false;
    for (const FieldError& g : got) {
      found |= g.type == c.want[0].type && g.field == c.want[0].field &&
               absl::StartsWith(g.KatibMessage(), c.want[0].message_prefix);
    }
    EXPECT_TRUE(found) << context;
    return;
  }
  ASSERT_EQ(got.size(), c.want.size()) << context;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].type, c.want[i].type) << context;
    EXPECT_EQ(got[i].field, c.want[i].field) << context;
    EXPECT_TRUE(absl::StartsWith(got[i].KatibMessage(), c.want[i].message_prefix))
        << context << "\nwant prefix: " << c.want[i].message_prefix;
  }
}

INSTANTIATE_TEST_SUITE_P(ValidationKatibCases, KatibValidatorCase, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<KatibCase>& info) {
                           std::string name =
                               absl::StrCat(info.index, "_", info.param.go_test.substr(12));
                           return name;
                         });

// TestValidateTrialJob calls validateTrialJob on a template alone (no trialParameters); ktune's
// equivalent is CheckBatchJob, applied (as Katib does) only to apiVersion batch/v1, kind Job.
struct TrialJobCase {
  std::string description;
  std::string yaml;
  bool error;
  std::string first_problem;  // "<pointer>: <detail>" of Katib's error ("" for none)
};

std::vector<TrialJobCase> TrialJobCases() {
  return {
      {"Trial template has invalid Batch Job parameter",
       "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n"
       "        name: container-must-be-list",
       true, "/spec/template/spec/containers: cannot restore slice from map"},
      {"Trial template has invalid Batch Job structure",
       "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    invalidSpec: not-job-format\n    "
       "spec:\n"
       "      containers:\n        - name: invalid-list",
       true, "/spec/template/invalidSpec: "},
      {"Valid case with nvidia.com/gpu resource in Trial template",
       "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n"
       "        - resources:\n            limits:\n              nvidia.com/gpu: 1\n            "
       "requests:\n"
       "              nvidia.com/gpu: 1",
       false, ""},
      {"Only validate Kuernetes Job",
       "apiVersion: test/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n      - "
       "name: container",
       false, ""},
  };
}

TEST(ValidationKatibCases, TestValidateTrialJob) {
  for (const TrialJobCase& c : TrialJobCases()) {
    absl::StatusOr<json> job = ParseYamlDocument(c.yaml);
    ASSERT_TRUE(job.ok()) << c.description;
    const bool is_job =
        StringFieldOr(*job, "apiVersion") == "batch/v1" && StringFieldOr(*job, "kind") == "Job";
    std::string first;
    if (is_job) {
      JobCheck check = CheckBatchJob(*job);
      if (!check.type_errors.empty()) {
        first = absl::StrCat(check.type_errors[0].pointer, ": ", check.type_errors[0].detail);
      } else if (!check.unknown.empty()) {
        first = absl::StrCat(check.unknown[0].pointer, ": ");
      }
    }
    EXPECT_EQ(!first.empty(), c.error) << c.description << ": " << first;
    EXPECT_EQ(first, c.first_problem) << c.description;
  }
}

TEST(ValidationKatibCases, TrialJobMessagesAsKatibPrintsThem) {
  // The same two templates through ValidateExperiment, with a placeholder so that Katib gets
  // as far as the Job conversion: the message is Katib's whole text.
  Experiment e = FakeInstance();
  ValidationOptions o = AllConfigured();
  absl::StatusOr<json> spec = ParseYamlDocument(
      "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    invalidSpec: not-job-format\n    "
      "spec:\n"
      "      containers:\n        - name: invalid-list\n          args: "
      "[\"${trialParameters.learningRate}\","
      " \"${trialParameters.momentum}\"]");
  ASSERT_TRUE(spec.ok());
  e.spec.trial_template->trial_spec = *spec;
  std::vector<FieldError> errors = ValidateExperiment(e, o);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(
      errors[0].KatibMessage(),
      "spec.trialTemplate: Invalid value: \"\": invalid spec.trialTemplate: unable to convert: "
      "/spec/template/invalidSpec - not-job-format to Job, converted template: "
      "{\"kind\":\"Job\",\"apiVersion\":\"batch/"
      "v1\",\"metadata\":{},\"spec\":{\"template\":{\"metadata\":{},"
      "\"spec\":{\"containers\":[{\"name\":\"invalid-list\",\"args\":[\"test-value\",\"test-"
      "value\"],"
      "\"resources\":{}}]}}},\"status\":{}}");
  spec = ParseYamlDocument(
      "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n"
      "        name: \"${trialParameters.learningRate}${trialParameters.momentum}\"");
  ASSERT_TRUE(spec.ok());
  e.spec.trial_template->trial_spec = *spec;
  errors = ValidateExperiment(e, o);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(
      errors[0].KatibMessage(),
      "spec.trialTemplate: Invalid value: \"\": invalid spec.trialTemplate: unable to convert "
      "spec.TrialTemplate: map[apiVersion:batch/v1 kind:Job "
      "spec:map[template:map[spec:map[containers:"
      "map[name:test-valuetest-value]]]]] to Job: cannot restore slice from map");
}

TEST(ValidationKatibCases, CoverEveryCaseOfKatibsValidatorTest) {
  // validator_test.go: TestValidateExperiment 27, TestValidateParameters 7,
  // TestValidateTrialTemplate 22, TestValidateTrialJob 4, TestValidateMetricsCollector 13,
  // TestValidateConfigData 3.
  EXPECT_EQ(Cases().size() + TrialJobCases().size(), 76u);
}

}  // namespace
}  // namespace ktune::core
