#include "core/validation.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/defaults.h"

namespace ktune::core {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kExperiment[] = R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: quickstart}
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
    additionalMetricNames: [accuracy]
  algorithm: {algorithmName: random}
  parallelTrialCount: 3
  maxTrialCount: 12
  maxFailedTrialCount: 3
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.001", max: "0.3", distribution: logUniform}}
    - {name: momentum, parameterType: double, feasibleSpace: {min: "0.5", max: "0.99"}}
    - {name: num-layers, parameterType: int, feasibleSpace: {min: "1", max: "5"}}
    - {name: optimizer, parameterType: categorical, feasibleSpace: {list: [sgd, adam, rmsprop]}}
  trialTemplate:
    primaryContainerName: training-container
    trialParameters:
      - {name: learningRate, description: Learning rate, reference: lr}
      - {name: momentum, description: Momentum, reference: momentum}
      - {name: numberLayers, description: Number of layers, reference: num-layers}
      - {name: optimizer, description: Training optimizer, reference: optimizer}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: training-container
                image: python:3.11-slim
                command: [python3, train.py, "--lr=${trialParameters.learningRate}",
                          "--momentum=${trialParameters.momentum}",
                          "--num-layers=${trialParameters.numberLayers}",
                          "--optimizer=${trialParameters.optimizer}"]
            restartPolicy: Never
)";

Experiment Parse(const std::string& yaml, bool defaults = true) {
  absl::StatusOr<Experiment> e = ParseExperiment(yaml);
  EXPECT_TRUE(e.ok()) << e.status();
  if (!e.ok()) return Experiment{};
  if (defaults) SetDefaults(*e);
  return *e;
}

Experiment Base() { return Parse(kExperiment); }

ValidationOptions Options() {
  ValidationOptions o;
  o.algorithms = {"random", "grid", "sobol", "tpe", "multivariate-tpe", "bayesianoptimization"};
  o.early_stopping_algorithms = {};
  o.metrics_collector_kinds = {"StdOut", "File"};
  return o;
}

std::string Dump(const std::vector<FieldError>& errors) {
  std::vector<std::string> lines;
  for (const auto& e : errors) lines.push_back(e.ToString());
  return absl::StrJoin(lines, "\n");
}

const FieldError* Find(const std::vector<FieldError>& errors, const std::string& field,
                       const std::string& prefix) {
  for (const auto& e : errors) {
    if (e.field == field && absl::StartsWith(e.KatibMessage(), prefix)) return &e;
  }
  return nullptr;
}

json& Container(Experiment& e) {
  return (*e.spec.trial_template->trial_spec)["spec"]["template"]["spec"]["containers"][0];
}

// ---- one case per Katib rule -----------------------------------------------------------------

struct RuleCase {
  int rule;
  std::function<void(Experiment&, ValidationOptions&)> mutate;
  std::string field;
  std::string prefix;  // KatibMessage() starts with this (Katib's text)
};

Experiment g_old;  // UPDATE cases point options.old_experiment here

std::vector<RuleCase> RuleCases() {
  using E = Experiment;
  using O = ValidationOptions;
  const std::string name_detail =
      "name must consist of lower case alphanumeric characters or '-', start with an alphabetic "
      "character, and end "
      "with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is "
      "'^[a-z]([-a-z0-9]*[a-z0-9])?)') and may not be longer than 40 characters. ";
  auto completed_old = [](E& e, O& o, const std::string& reason, int trials) {
    g_old = e;
    g_old.status.trials = trials;
    g_old.status.conditions = {{"Succeeded", "True", reason, "", "", ""}};
    o.old_experiment = &g_old;
  };
  auto file_collector = [](E& e) {
    e.spec.metrics_collector_spec = MetricsCollectorSpec{};
    e.spec.metrics_collector_spec->kind = "File";
    e.spec.metrics_collector_spec->file_system_path =
        FileSystemPath{"/var/log/katib/metrics.log", "File", "TEXT"};
  };
  return {
      {1, [](E& e, O&) { e.metadata.name = "1abc"; }, "metadata.name",
       "metadata.name: Invalid value: \"1abc\": " + name_detail},
      {1, [](E& e, O&) { e.metadata.name = std::string(41, 'a'); }, "metadata.name",
       "metadata.name: Invalid value: \"" + std::string(41, 'a') + "\": " + name_detail},
      {2, [](E& e, O&) { e.spec.max_failed_trial_count = -1; }, "spec.maxFailedTrialCount",
       "spec.maxFailedTrialCount: Invalid value: -1: should not be less than 0"},
      {3, [](E& e, O&) { e.spec.max_trial_count = 0; }, "spec.maxTrialCount",
       "spec.maxTrialCount: Invalid value: 0: must be greater than 0"},
      {4, [](E& e, O&) { e.spec.parallel_trial_count = 0; }, "spec.parallelTrialCount",
       "spec.parallelTrialCount: Invalid value: 0: must be greater than 0"},
      {5, [](E& e, O&) { e.spec.max_failed_trial_count = 13; }, "spec.maxFailedTrialCount",
       "spec.maxFailedTrialCount: Invalid value: 13: should be less than or equal to "
       "spec.maxTrialCount"},
      {6, [](E& e, O&) { e.spec.parallel_trial_count = 13; }, "spec.parallelTrialCount",
       "spec.parallelTrialCount: Invalid value: 13: should be less than or equal to "
       "spec.maxTrialCount"},
      {7,
       [=](E& e, O& o) {
         completed_old(e, o, "ExperimentGoalReached", 5);
         e.spec.max_trial_count = 20;
       },
       "spec.resumePolicy",
       "spec.resumePolicy: Invalid value: \"Never\": Experiment can be restarted if it is in "
       "succeeded state by "
       "reaching max trials and spec.resumePolicy = LongRunning or spec.resumePolicy = FromVolume, "
       "when experiment is "
       "completed"},
      {8,
       [=](E& e, O& o) {
         completed_old(e, o, "ExperimentMaxTrialsReached", 12);
         g_old.spec.resume_policy = "LongRunning";
         e.spec.resume_policy = "LongRunning";
         e.spec.parallel_trial_count = 2;
       },
       "spec.maxTrialCount",
       "spec.maxTrialCount: Invalid value: 12: must be greater than status.trials count"},
      {9,
       [](E& e, O& o) {
         g_old = e;
         o.old_experiment = &g_old;
         e.spec.algorithm->algorithm_name = "grid";
       },
       "spec",
       "spec: Forbidden: only spec.parallelTrialCount, spec.maxTrialCount and "
       "spec.maxFailedTrialCount are editable"},
      {10, [](E& e, O&) { e.spec.objective.reset(); }, "spec.objective",
       "spec.objective: Required value: must be specified"},
      {11, [](E& e, O&) { e.spec.objective->type = "foo"; }, "spec.objective.type",
       "spec.objective.type: Invalid value: \"foo\": must be minimize or maximize"},
      {12, [](E& e, O&) { e.spec.objective->objective_metric_name = ""; },
       "spec.objective.objectiveMetricName",
       "spec.objective.objectiveMetricName: Required value: must be specified"},
      {13, [](E& e, O&) { e.spec.objective->additional_metric_names.push_back("loss"); },
       "spec.objective.additionalMetricNames",
       "spec.objective.additionalMetricNames: Invalid value: [\"accuracy\",\"loss\"]: should not "
       "contain "
       "spec.objective.objectiveMetricName"},
      {14, [](E& e, O&) { e.spec.algorithm.reset(); }, "spec.algorithm",
       "spec.algorithm: Required value: must be specified"},
      {15, [](E& e, O&) { e.spec.algorithm->algorithm_name = ""; }, "spec.algorithm.algorithmName",
       "spec.algorithm.algorithmName: Required value: must be specified"},
      {16, [](E& e, O&) { e.spec.algorithm->algorithm_name = "hyperband"; },
       "spec.algorithm.algorithmName",
       "spec.algorithm.algorithmName: Invalid value: \"hyperband\": unable to get "
       "Suggestion config data for "
       "algorithm hyperband: failed to find suggestion config for algorithm: "
       "hyperband in "
       "ConfigMap: katib-config"},
      {17, [](E& e, O&) { e.spec.early_stopping = EarlyStoppingSpec{}; },
       "spec.earlyStopping.algorithmName",
       "spec.earlyStopping.algorithmName: Required value: must be specified"},
      {18,
       [](E& e, O&) {
         e.spec.early_stopping = EarlyStoppingSpec{"medianstop", {}};
       },
       "spec.earlyStopping.algorithmName",
       "spec.earlyStopping.algorithmName: Invalid value: \"medianstop\": unable to get "
       "EarlyStopping config data for "
       "algorithm medianstop: failed to find early stopping config for algorithm: medianstop in "
       "ConfigMap: "
       "katib-config"},
      {19, [](E& e, O&) { e.spec.resume_policy = "Sometimes"; }, "spec.resumePolicy",
       "spec.resumePolicy: Invalid value: \"Sometimes\": invalid ResumePolicyType"},
      {20, [](E& e, O&) { e.spec.trial_template.reset(); }, "spec.trialTemplate",
       "spec.trialTemplate: Required value: must be specified"},
      {21, [](E& e, O&) { e.spec.trial_template->primary_container_name = ""; },
       "spec.trialTemplate.primaryContainerName",
       "spec.trialTemplate.primaryContainerName: Required value: must be specified"},
      {22, [](E& e, O&) { e.spec.trial_template->failure_condition = ""; }, "spec.trialTemplate",
       "spec.trialTemplate: Required value: successCondition and failureCondition must be "
       "specified"},
      {23, [](E& e, O&) { e.spec.trial_template->trial_parameters.reset(); },
       "spec.trialTemplate.trialParameters",
       "spec.trialTemplate.trialParameters: Required value: must be specified"},
      {23, [](E& e, O&) { e.spec.trial_template->trial_parameters->clear(); },
       "spec.trialTemplate.trialParameters",
       "spec.trialTemplate.trialParameters: Required value: must be specified"},
      {24, [](E& e, O&) { e.spec.trial_template->trial_spec.reset(); },
       "spec.trialTemplate.TrialSource",
       "spec.trialTemplate.TrialSource: Required value: spec.trialTemplate.trialSpec or "
       "spec.trialTemplate.configMap "
       "must be specified"},
      {25,
       [](E& e, O&) {
         e.spec.trial_template->config_map = ConfigMapSource{"cm", "kubeflow", "job.yaml"};
       },
       "spec.trialTemplate",
       "spec.trialTemplate: Required value: only one of spec.trialTemplate.trialSpec or "
       "spec.trialTemplate.configMap "
       "can be specified"},
      {26,
       [](E& e, O&) {
         e.spec.trial_template->trial_spec.reset();
         e.spec.trial_template->config_map = ConfigMapSource{"cm", "", "job.yaml"};
       },
       "spec.trialTemplate.configMap",
       "spec.trialTemplate.configMap: Required value: configMapName, configMapNamespace and "
       "templatePath must be "
       "specified"},
      {27,
       [](E& e, O& o) {
         e.spec.trial_template->trial_spec.reset();
         e.spec.trial_template->config_map = ConfigMapSource{"cm", "kubeflow", "job.yaml"};
         o.load_config_map_template = [](const ConfigMapSource&) -> absl::StatusOr<std::string> {
           return absl::NotFoundError("configMap not found: configmaps \"cm\" not found");
         };
       },
       "spec.trialTemplate",
       "spec.trialTemplate: Invalid value: \"\": unable to parse spec.trialTemplate: configMap not "
       "found: configmaps "
       "\"cm\" not found"},
      {28, [](E& e, O&) { (*e.spec.trial_template->trial_parameters)[0].reference = ""; },
       "spec.trialTemplate.trialParameters[0]",
       "spec.trialTemplate.trialParameters[0]: Invalid value: \"\": name and reference must be "
       "specified and name must "
       "not contain '{' or '}'"},
      {28, [](E& e, O&) { (*e.spec.trial_template->trial_parameters)[0].name = "a{b}"; },
       "spec.trialTemplate.trialParameters[0]",
       "spec.trialTemplate.trialParameters[0]: Invalid value: \"\": name and reference must be "
       "specified"},
      {29, [](E& e, O&) { (*e.spec.trial_template->trial_parameters)[1].name = "learningRate"; },
       "spec.trialTemplate.trialParameters[1].name",
       "spec.trialTemplate.trialParameters[1].name: Invalid value: \"learningRate\": parameter "
       "name learningRate can't "
       "be duplicated in spec.trialTemplate.trialParameters: [{learningRate Learning rate lr} "
       "{learningRate Momentum "
       "momentum} {numberLayers Number of layers num-layers} {optimizer Training optimizer "
       "optimizer}]"},
      {30, [](E& e, O&) { (*e.spec.trial_template->trial_parameters)[1].reference = "lr"; },
       "spec.trialTemplate.trialParameters[1].reference",
       "spec.trialTemplate.trialParameters[1].reference: Invalid value: \"lr\": parameter "
       "reference lr can't be "
       "duplicated in spec.trialTemplate.trialParameters: [{learningRate Learning rate lr} "
       "{momentum Momentum lr} "},
      {31, [](E& e, O&) { (*e.spec.trial_template->trial_parameters)[0].reference = "lrr"; },
       "spec.trialTemplate.trialParameters[0].reference",
       "spec.trialTemplate.trialParameters[0].reference: Invalid value: \"lrr\": parameter "
       "reference lrr does not "
       "exist in spec.parameters: [{lr double {0.3 0.001 []  logUniform}} {momentum double {0.99 "
       "0.5 []  uniform}} "
       "{num-layers int {5 1 []  uniform}} {optimizer categorical {  [sgd adam rmsprop]  "
       "uniform}}]"},
      {32,
       [](E& e, O&) {
         e.spec.trial_template->trial_parameters->push_back({"batchSize", "", "lr2"});
       },
       "spec.trialTemplate.trialParameters[4].name",
       "spec.trialTemplate.trialParameters[4].name: Invalid value: \"batchSize\": parameter name: "
       "batchSize in "
       "spec.trialParameters not found in spec.trialTemplate: "
       "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\","},
      {33,
       [](E& e, O&) { Container(e)["args"] = json::array({"--bs=${trialParameters.batchSize}"}); },
       "spec.trialTemplate",
       "spec.trialTemplate: Invalid value: \"\": parameters: [${trialParameters.batchSize}] in "
       "spec.trialTemplate not "
       "found in spec.trialParameters: [{learningRate Learning rate lr} "},
      {34,
       [](E& e, O& o) {
         e.spec.trial_template->trial_spec.reset();
         e.spec.trial_template->config_map = ConfigMapSource{"cm", "kubeflow", "job.yaml"};
         o.load_config_map_template = [](const ConfigMapSource&) -> absl::StatusOr<std::string> {
           return std::string(
               "kind: [${trialParameters.learningRate} ${trialParameters.momentum} "
               "${trialParameters.numberLayers} "
               "${trialParameters.optimizer}");
         };
       },
       "spec.trialTemplate",
       "spec.trialTemplate: Invalid value: \"\": unable to convert spec.trialTemplate: kind: "
       "[test-value test-value "
       "test-value test-value to unstructured"},
      {35,
       [](E& e, O&) {
         (*e.spec.trial_template->trial_spec)["metadata"] = {{"name", "job"}};
       },
       "spec.trialTemplate",
       "spec.trialTemplate: Invalid value: \"\": metadata.name and metadata.namespace in "
       "spec.trialTemplate must be "
       "omitted"},
      {36, [](E& e, O&) { e.spec.trial_template->trial_spec->erase("apiVersion"); },
       "spec.trialTemplate",
       "spec.trialTemplate: Required value: APIVersion and Kind in spec.trialTemplate must be "
       "specified"},
      {37, [](E& e, O&) { Container(e)["stdin"] = "yes"; }, "spec.trialTemplate",
       "spec.trialTemplate: Invalid value: \"\": invalid spec.trialTemplate: unable to convert "
       "spec.TrialTemplate: "
       "map[apiVersion:batch/v1 kind:Job "
       "spec:map[template:map[spec:map[containers:[map[command:[python3 train.py "},
      {38,
       [](E& e, O&) {
         json& c = Container(e);
         c["comand"] = c["command"];
         c.erase("command");
       },
       "spec.trialTemplate",
       "spec.trialTemplate: Invalid value: \"\": invalid spec.trialTemplate: unable to convert: "
       "/spec/template/spec/containers/0/comand - [python3 train.py --lr=test-value "
       "--momentum=test-value "},
      {39,
       [](E& e, O&) {
         e.spec.parameters.clear();
         e.spec.trial_template->trial_parameters->resize(1);
         (*e.spec.trial_template->trial_parameters)[0] = {"learningRate", "", "lr"};
         Container(e)["command"] = json::array({"train", "${trialParameters.learningRate}"});
       },
       "spec", "spec: Required value: spec.parameters or spec.nasConfig must be specified"},
      {40, [](E& e, O&) { e.spec.nas_config = NasConfig{}; }, "spec",
       "spec: Invalid value: "
       "{\"parameters\":[{\"name\":\"lr\",\"parameterType\":\"double\",\"feasibleSpace\":{"
       "\"max\":\"0.3\",\"min\":\"0.001\",\"distribution\":\"logUniform\"}},"},
      {41, [](E& e, O&) { e.spec.parameters[0].parameter_type = "float"; },
       "spec.parameters[0].parameterType",
       "spec.parameters[0].parameterType: Invalid value: \"float\": parameterType: float is not "
       "supported"},
      {41, [](E& e, O&) { e.spec.parameters[0].parameter_type = ""; },
       "spec.parameters[0].parameterType",
       "spec.parameters[0].parameterType: Invalid value: \"\": parameterType:  is not supported"},
      {42, [](E& e, O&) { e.spec.parameters[1].feasible_space.distribution = "gaussian"; },
       "spec.parameters[1].feasibleSpace.distribution",
       "spec.parameters[1].feasibleSpace.distribution: Invalid value: \"gaussian\": distribution: "
       "gaussian is not "
       "supported"},
      {44,
       [](E& e, O&) {
         e.spec.parameters[1].feasible_space.list = {"0.5", "0.9"};
       },
       "spec.parameters[1].feasibleSpace.list",
       "spec.parameters[1].feasibleSpace.list: Invalid value: [\"0.5\",\"0.9\"]: "
       "feasibleSpace.list is not supported "
       "for parameterType: double"},
      {45, [](E& e, O&) { e.spec.parameters[2].feasible_space.min = ""; },
       "spec.parameters[2].feasibleSpace.max",
       "spec.parameters[2].feasibleSpace.max: Required value: feasibleSpace.max or "
       "feasibleSpace.min must be specified "
       "for parameterType: int"},
      {46, [](E& e, O&) { e.spec.parameters[3].feasible_space.min = "1"; },
       "spec.parameters[3].feasibleSpace",
       "spec.parameters[3].feasibleSpace: Invalid value: "
       "{\"min\":\"1\",\"list\":[\"sgd\",\"adam\",\"rmsprop\"],"
       "\"distribution\":\"uniform\"}: feasibleSpace .max, .min and .step is not supported for "
       "parameterType: "
       "categorical"},
      {47,
       [](E& e, O&) {
         e.spec.metrics_collector_spec->kind = "TensorFlowEvent";
         e.spec.metrics_collector_spec->file_system_path =
             FileSystemPath{"/var/log/katib/tfevent/", "Directory", ""};
       },
       "spec.metricsCollectorSpec.collector.kind",
       "spec.metricsCollectorSpec.collector.kind: Invalid value: \"TensorFlowEvent\": "
       "GetMetricsCollectorConfigData "
       "failed: failed to find metrics collector config for kind: TensorFlowEvent in ConfigMap: "
       "katib-config"},
      {49,
       [=](E& e, O&) {
         file_collector(e);
         e.spec.metrics_collector_spec->file_system_path->path = "metrics.log";
       },
       "spec.metricsCollectorSpec.source.fileSystemPath.path",
       "spec.metricsCollectorSpec.source.fileSystemPath.path: Required value: file path where "
       "metrics file exists is "
       "required"},
      {50,
       [=](E& e, O&) {
         file_collector(e);
         e.spec.metrics_collector_spec->file_system_path->format = "CSV";
       },
       "spec.metricsCollectorSpec.source.fileSystemPath.format",
       "spec.metricsCollectorSpec.source.fileSystemPath.format: Required value: format of metrics "
       "file is required for "
       "metrics collector"},
      {51,
       [=](E& e, O&) {
         file_collector(e);
         e.spec.metrics_collector_spec->file_system_path->format = "JSON";
         e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{};
       },
       "spec.metricsCollectorSpec.source.filter",
       "spec.metricsCollectorSpec.source.filter: Invalid value: \"\": filter must be nil when "
       "format of metrics file "
       "is json"},
      {52,
       [](E& e, O& o) {
         o.metrics_collector_kinds.push_back("TensorFlowEvent");
         e.spec.metrics_collector_spec->kind = "TensorFlowEvent";
         e.spec.metrics_collector_spec->file_system_path =
             FileSystemPath{"/var/log/katib/tfevent/", "File", ""};
       },
       "spec.metricsCollectorSpec.source",
       "spec.metricsCollectorSpec.source: Required value: directory path where tensorflow event "
       "files exist is "
       "required by .spec.metricsCollectorSpec.source.fileSystemPath.path"},
      {53,
       [](E& e, O& o) {
         o.metrics_collector_kinds.push_back("TensorFlowEvent");
         e.spec.metrics_collector_spec->kind = "TensorFlowEvent";
         e.spec.metrics_collector_spec->file_system_path =
             FileSystemPath{"/var/log/katib/tfevent/", "Directory", "TEXT"};
       },
       "spec.metricsCollectorSpec.source.fileSystemPath.format",
       "spec.metricsCollectorSpec.source.fileSystemPath.format: Invalid value: \"TEXT\": must be "
       "empty"},
      {54,
       [](E& e, O& o) {
         o.metrics_collector_kinds.push_back("PrometheusMetric");
         e.spec.metrics_collector_spec->kind = "PrometheusMetric";
         e.spec.metrics_collector_spec->http_get = json{{"port", "http"}, {"path", "/metrics"}};
       },
       "spec.metricsCollectorSpec.source.httpGet.port",
       "spec.metricsCollectorSpec.source.httpGet.port: Invalid value: \"http\": must be a positive "
       "integer value for "
       "metrics collector kind: PrometheusMetric"},
      {55,
       [](E& e, O& o) {
         o.metrics_collector_kinds.push_back("PrometheusMetric");
         e.spec.metrics_collector_spec->kind = "PrometheusMetric";
         e.spec.metrics_collector_spec->http_get = json{{"port", 8080}, {"path", "metrics"}};
       },
       "spec.metricsCollectorSpec.source.httpGet.path",
       "spec.metricsCollectorSpec.source.httpGet.path: Invalid value: \"metrics\": path is invalid "
       "for metrics "
       "collector kind: PrometheusMetric"},
      {56, [](E& e, O&) { e.spec.metrics_collector_spec->kind = "Custom"; },
       "spec.metricsCollectorSpec.collector.customCollector",
       "spec.metricsCollectorSpec.collector.customCollector: Required value: metrics collector "
       "kind: Custom is required"},
      {57,
       [](E& e, O&) {
         e.spec.metrics_collector_spec->kind = "Custom";
         e.spec.metrics_collector_spec->custom_collector = json{{"name", "c"}, {"image", "i"}};
         e.spec.metrics_collector_spec->file_system_path = FileSystemPath{"out", "File", ""};
       },
       "spec.metricsCollectorSpec.source.fileSystemPath",
       "spec.metricsCollectorSpec.source.fileSystemPath: Invalid value: \"\": "
       ".spec.metricsCollectorSpec.source is "
       "invalid"},
      {58, [](E& e, O&) { e.spec.metrics_collector_spec->kind = "None"; },
       "spec.metricsCollectorSpec.collector.kind",
       "spec.metricsCollectorSpec.collector.kind: Invalid value: \"None\": invalid metrics "
       "collector kind: None"},
      {59,
       [=](E& e, O&) {
         file_collector(e);
         e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{"(a"};
       },
       "spec.metricsCollectorSpec.source.filter.metricsFormat",
       "spec.metricsCollectorSpec.source.filter.metricsFormat: Invalid value: \"(a\": invalid "
       "filter: error parsing "
       "regexp: missing closing ): `(a`"},
      {60,
       [=](E& e, O&) {
         file_collector(e);
         e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{R"((\w+)=)"};
       },
       "spec.metricsCollectorSpec.source.filter.metricsFormat",
       "spec.metricsCollectorSpec.source.filter.metricsFormat: Invalid value: \"(\\\\w+)=\": two "
       "top subexpressions "
       "are required"},
  };
}

class KatibRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(KatibRuleTest, ReportsKatibMessageAtKatibPath) {
  const RuleCase& c = GetParam();
  for (bool katib_compatible : {false, true}) {
    Experiment e = Base();
    ValidationOptions o = Options();
    o.katib_compatible = katib_compatible;
    c.mutate(e, o);
    std::vector<FieldError> errors = ValidateExperiment(e, o);
    EXPECT_NE(Find(errors, c.field, c.prefix), nullptr)
        << "rule " << c.rule << (katib_compatible ? " (katib_compatible)" : "") << "; want "
        << c.prefix << "\ngot:\n"
        << Dump(errors);
  }
}

INSTANTIATE_TEST_SUITE_P(ValidationRules, KatibRuleTest, ::testing::ValuesIn(RuleCases()),
                         [](const ::testing::TestParamInfo<RuleCase>& info) {
                           return "Rule" + std::to_string(info.param.rule) + "_" +
                                  std::to_string(info.index);
                         });

TEST(ValidationTest, EveryKatibRuleHasACase) {
  std::set<int> covered;
  for (const auto& c : RuleCases()) covered.insert(c.rule);
  // 43 is dead after defaults (ReportsRule43OnlyWithoutDefaults); 48 is a return, not an error
  // (StdOutFilterIsOnlyCheckedByKtune).
  for (int rule = 1; rule <= 60; ++rule) {
    if (rule == 43 || rule == 48) continue;
    EXPECT_TRUE(covered.count(rule)) << "no case for rule " << rule;
  }
}

// ---- valid experiments -----------------------------------------------------------------------

TEST(ValidationTest, ExamplesAreValid) {
  int checked = 0;
  for (const auto& dir :
       std::filesystem::directory_iterator(std::string(KTUNE_SOURCE_DIR) + "/examples")) {
    const std::filesystem::path file = dir.path() / "experiment.yaml";
    if (!std::filesystem::exists(file)) continue;
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    Experiment e = Parse(text.str());
    EXPECT_THAT(Dump(ValidateExperiment(e, Options())), IsEmpty()) << file;
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

TEST(ValidationTest, BaseIsValid) {
  EXPECT_THAT(Dump(ValidateExperiment(Base(), Options())), IsEmpty());
}

TEST(ValidationTest, RichJobTemplateHasNoFalsePositives) {
  Experiment e = Base();
  json& spec = *e.spec.trial_template->trial_spec;
  spec["metadata"] = {{"labels", {{"team", "ml"}}}, {"annotations", {{"a", "b"}}}};
  spec["spec"]["backoffLimit"] = 0;
  spec["spec"]["ttlSecondsAfterFinished"] = 60;
  spec["spec"]["template"]["metadata"] = {{"labels", {{"app", "train"}}}};
  json& pod = spec["spec"]["template"]["spec"];
  pod["volumes"] = json::array({{{"name", "data"}, {"emptyDir", json::object()}}});
  pod["nodeSelector"] = {{"gpu", "true"}};
  pod["tolerations"] = json::array({{{"key", "k"}, {"operator", "Exists"}}});
  pod["serviceAccountName"] = "trainer";
  json& c = Container(e);
  c["env"] = json::array(
      {{{"name", "A"}, {"value", "1"}},
       {{"name", "B"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}});
  c["ports"] = json::array({{{"containerPort", 8080}, {"name", "http"}}});
  c["resources"] = {{"limits", {{"nvidia.com/gpu", 1}, {"cpu", "2"}}},
                    {"requests", {{"memory", "1Gi"}}}};
  c["volumeMounts"] = json::array({{{"name", "data"}, {"mountPath", "/data"}}});
  c["securityContext"] = {{"runAsUser", 1000}};
  c["imagePullPolicy"] = "IfNotPresent";
  c["workingDir"] = "/app";
  EXPECT_THAT(Dump(ValidateExperiment(e, Options())), IsEmpty());
}

TEST(ValidationTest, ConfigMapTemplateWithoutLoaderSkipsTemplateContentChecks) {
  Experiment e = Base();
  e.spec.trial_template->trial_spec.reset();
  e.spec.trial_template->config_map = ConfigMapSource{"templates", "kubeflow", "job.yaml"};
  e.spec.trial_template->success_condition = "status.succeeded";
  e.spec.trial_template->failure_condition = "status.failed";
  // Katib admits it as far as ktune can tell; ktune warns that the template went unchecked.
  std::vector<FieldError> problems = ValidateExperiment(e, Options());
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].severity, FieldError::Severity::kWarning);
  EXPECT_EQ(problems[0].field, "spec.trialTemplate.configMap");
  (*e.spec.trial_template->trial_parameters)[0].reference = "nope";  // rule 31 needs no template
  EXPECT_NE(
      Find(ValidateExperiment(e, Options()), "spec.trialTemplate.trialParameters[0].reference", ""),
      nullptr);
}

TEST(ValidationTest, ConfigMapTemplateIsCheckedWhenLoaded) {
  Experiment e = Base();
  e.spec.trial_template->trial_spec.reset();
  e.spec.trial_template->config_map = ConfigMapSource{"templates", "kubeflow", "job.yaml"};
  e.spec.trial_template->success_condition = "status.succeeded";
  e.spec.trial_template->failure_condition = "status.failed";
  ValidationOptions o = Options();
  o.load_config_map_template = [](const ConfigMapSource& c) -> absl::StatusOr<std::string> {
    EXPECT_EQ(c.template_path, "job.yaml");
    return std::string(R"(apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      containers:
        - name: training-container
          image: x
          command: [train, "${trialParameters.learningRate}", "${trialParameters.momentum}",
                    "${trialParameters.numberLayers}", "${trialParameters.optimizer}", "${trialParameters.extra}"]
          imagePullPolice: Always
)");
  };
  std::vector<FieldError> errors = ValidateExperiment(e, o);
  EXPECT_NE(Find(errors, "spec.trialTemplate",
                 "spec.trialTemplate: Invalid value: \"\": parameters: [${trialParameters.extra}]"),
            nullptr)
      << Dump(errors);
  const FieldError* typo = Find(
      errors, "spec.trialTemplate",
      "spec.trialTemplate: Invalid value: \"\": invalid spec.trialTemplate: unable to convert: "
      "/spec/template/spec/containers/0/imagePullPolice - Always to Job");
  ASSERT_NE(typo, nullptr) << Dump(errors);
  EXPECT_THAT(typo->hint, HasSubstr("did you mean \"imagePullPolicy\"?"));
}

// ---- message details -------------------------------------------------------------------------

TEST(ValidationTest, FieldErrorRendering) {
  FieldError required{FieldError::Type::kRequired, "spec.objective", "", "must be specified", ""};
  EXPECT_EQ(required.KatibMessage(), "spec.objective: Required value: must be specified");
  EXPECT_EQ(required.ToString(), required.KatibMessage());
  FieldError forbidden{FieldError::Type::kForbidden, "spec", "", "no", "because"};
  EXPECT_EQ(forbidden.KatibMessage(), "spec: Forbidden: no");
  EXPECT_EQ(forbidden.ToString(), "spec: Forbidden: no (because)");
  FieldError invalid{FieldError::Type::kInvalid, "metadata.name", "\"\"", "bad", ""};
  EXPECT_EQ(invalid.KatibMessage(), "metadata.name: Invalid value: \"\": bad");
}

TEST(ValidationTest, StringValuesAreGoQuoted) {
  Experiment e = Base();
  e.metadata.name = "Say \"hi\"\\\n";
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  EXPECT_NE(Find(errors, "metadata.name",
                 "metadata.name: Invalid value: \"Say \\\"hi\\\"\\\\\\n\": name must"),
            nullptr)
      << Dump(errors);
}

TEST(ValidationTest, NameRegexIsNotEndAnchoredInKatib) {
  Experiment e = Base();
  e.metadata.name = "my_exp";
  ValidationOptions katib = Options();
  katib.katib_compatible = true;
  EXPECT_THAT(Dump(ValidateExperiment(e, katib)), IsEmpty());
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_EQ(errors[0].field, "metadata.name");
  EXPECT_THAT(errors[0].hint, HasSubstr("\"my-exp\""));
}

TEST(ValidationTest, JobTypoMessageAndHint) {
  Experiment e = Base();
  json& c = Container(e);
  c["comand"] = json::array({"python3"});
  c.erase("command");
  c["args"] = json::array({"${trialParameters.learningRate}", "${trialParameters.momentum}",
                           "${trialParameters.numberLayers}", "${trialParameters.optimizer}"});
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_EQ(
      errors[0].KatibMessage(),
      "spec.trialTemplate: Invalid value: \"\": invalid spec.trialTemplate: unable to convert: "
      "/spec/template/spec/containers/0/comand - [python3] to Job, converted template: "
      "{\"kind\":\"Job\",\"apiVersion\":\"batch/v1\",\"metadata\":{},\"spec\":{"
      "\"template\":{\"metadata\":{},\"spec\":{\"containers\":[{\"name\":"
      "\"training-container\",\"image\":\"python:3.11-slim\",\"args\":[\"test-value\",\"test-"
      "value\",\"test-value\","
      "\"test-value\"],"
      "\"resources\":{}}],\"restartPolicy\":\"Never\"}}},\"status\":{}}");
  EXPECT_EQ(errors[0].hint, "Container has no field \"comand\"; did you mean \"command\"?");
}

TEST(ValidationTest, UnknownFieldFarFromAnyNameListsTheFields) {
  Experiment e = Base();
  (*e.spec.trial_template->trial_spec)["spec"]["zzzzzzzz"] = 1;
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_THAT(errors[0].KatibMessage(), HasSubstr("unable to convert: /spec/zzzzzzzz - 1 to Job"));
  EXPECT_THAT(errors[0].hint,
              HasSubstr("JobSpec has no field \"zzzzzzzz\"; its fields are: parallelism, "));
}

TEST(ValidationTest, OnlyBatchV1JobsAreCheckedFieldByField) {
  Experiment e = Base();
  (*e.spec.trial_template->trial_spec)["kind"] = "TFJob";
  (*e.spec.trial_template->trial_spec)["apiVersion"] = "kubeflow.org/v1";
  (*e.spec.trial_template->trial_spec)["spec"]["tfReplicaSpecs"] = {{"Worker", {{"replicas", 2}}}};
  EXPECT_THAT(Dump(ValidateExperiment(e, Options())), IsEmpty());
}

TEST(ValidationTest, PlaceholderHints) {
  Experiment e = Base();
  e.spec.trial_template->trial_parameters.reset();
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  const FieldError* missing = Find(errors, "spec.trialTemplate.trialParameters", "");
  ASSERT_NE(missing, nullptr) << Dump(errors);
  EXPECT_THAT(missing->hint,
              HasSubstr("${trialParameters.learningRate}, ${trialParameters.momentum}"));
  EXPECT_THAT(missing->hint, HasSubstr("{name: momentum, reference: momentum}"));
  EXPECT_THAT(missing->hint, HasSubstr("{name: numberLayers, reference: num-layers}"));
  EXPECT_THAT(
      missing->hint,
      HasSubstr("{name: learningRate, reference: <one of: lr, momentum, num-layers, optimizer>}"));

  e = Base();
  Container(e)["args"] = json::array({"--bs=${trialParameters.optimiser}"});
  errors = ValidateExperiment(e, Options());
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_THAT(errors[0].hint, HasSubstr("${trialParameters.optimiser} has no trialParameter"));
  EXPECT_THAT(errors[0].hint, HasSubstr("{name: optimiser, reference: optimizer}"));

  e = Base();
  (*e.spec.trial_template->trial_parameters)[0].reference = "lrate";
  errors = ValidateExperiment(e, Options());
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_THAT(errors[0].hint,
              HasSubstr("spec.parameters has: lr, momentum, num-layers, optimizer"));
}

TEST(ValidationTest, MetaReferencesAreAccepted) {
  Experiment e = Base();
  e.spec.trial_template->trial_parameters->push_back({"trialName", "", "${trialSpec.Name}"});
  e.spec.trial_template->trial_parameters->push_back({"team", "", "${trialSpec.Labels[team]}"});
  Container(e)["env"] = json::array(
      {{{"name", "T"}, {"value", "${trialParameters.trialName}-${trialParameters.team}"}}});
  EXPECT_THAT(Dump(ValidateExperiment(e, Options())), IsEmpty());
}

// ---- Katib's holes, checked by ktune ---------------------------------------------------------

TEST(ValidationTest, ReportsRule43OnlyWithoutDefaults) {
  // Rule 43 is dead in Katib: the defaulter sets distribution=uniform first, so feasibleSpace
  // is never empty. ktune keeps the rule; without defaults it fires.
  Experiment raw = Parse(kExperiment, /*defaults=*/false);
  raw.spec.parameters.push_back({"batch", "int", {}});
  EXPECT_NE(
      Find(ValidateExperiment(raw, Options()), "spec.parameters[4].feasibleSpace",
           "spec.parameters[4].feasibleSpace: Required value: feasibleSpace must be specified"),
      nullptr);
  Experiment defaulted = raw;
  SetDefaults(defaulted);
  std::vector<FieldError> errors = ValidateExperiment(defaulted, Options());
  EXPECT_EQ(Find(errors, "spec.parameters[4].feasibleSpace", ""), nullptr) << Dump(errors);
  // What the user learns instead: rule 45.
  EXPECT_NE(Find(errors, "spec.parameters[4].feasibleSpace.max", ""), nullptr) << Dump(errors);
}

struct ExtraCase {
  std::string name;
  std::function<void(Experiment&)> mutate;
  std::string field;
  std::string prefix;
};

class ExtraCheckTest : public ::testing::TestWithParam<ExtraCase> {};

TEST_P(ExtraCheckTest, KtuneReportsWhatKatibLeavesToRuntime) {
  const ExtraCase& c = GetParam();
  Experiment e = Base();
  c.mutate(e);
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  const FieldError* found = Find(errors, c.field, c.prefix);
  EXPECT_NE(found, nullptr) << "want " << c.prefix << "\ngot:\n" << Dump(errors);
  ValidationOptions katib = Options();
  katib.katib_compatible = true;
  EXPECT_EQ(Find(ValidateExperiment(e, katib), c.field, c.prefix), nullptr)
      << "Katib does not check this";
}

std::vector<ExtraCase> ExtraCases() {
  using E = Experiment;
  auto fs = [](E& e, int i) -> FeasibleSpace& { return e.spec.parameters[i].feasible_space; };
  return {
      {"MinGreaterThanMax", [=](E& e) { fs(e, 1).min = "1.5"; },
       "spec.parameters[1].feasibleSpace.min",
       "spec.parameters[1].feasibleSpace.min: Invalid value: \"1.5\": must be less than or equal "
       "to feasibleSpace.max (0.99)"},
      {"NonNumericMax", [=](E& e) { fs(e, 1).max = "high"; },
       "spec.parameters[1].feasibleSpace.max",
       "spec.parameters[1].feasibleSpace.max: Invalid value: \"high\": must be a number for "
       "parameterType: double"},
      {"IntMinNotInteger", [=](E& e) { fs(e, 2).min = "1.5"; },
       "spec.parameters[2].feasibleSpace.min",
       "spec.parameters[2].feasibleSpace.min: Invalid value: \"1.5\": must be an integer for "
       "parameterType: int"},
      {"NonNumericStep", [=](E& e) { fs(e, 1).step = "tiny"; },
       "spec.parameters[1].feasibleSpace.step",
       "spec.parameters[1].feasibleSpace.step: Invalid value: \"tiny\": must be a number"},
      {"StepNotPositive", [=](E& e) { fs(e, 2).step = "0"; },
       "spec.parameters[2].feasibleSpace.step",
       "spec.parameters[2].feasibleSpace.step: Invalid value: \"0\": must be greater than 0"},
      {"LogUniformNeedsPositiveMin", [=](E& e) { fs(e, 0).min = "0"; },
       "spec.parameters[0].feasibleSpace.min",
       "spec.parameters[0].feasibleSpace.min: Invalid value: \"0\": must be greater than 0 for "
       "distribution: logUniform"},
      {"EmptyCategoricalList", [=](E& e) { fs(e, 3).list.clear(); },
       "spec.parameters[3].feasibleSpace.list",
       "spec.parameters[3].feasibleSpace.list: Required value: must not be empty for "
       "parameterType: categorical"},
      {"DiscreteNeedsNumbers",
       [=](E& e) {
         e.spec.parameters[3].parameter_type = "discrete";
         fs(e, 3).list = {"1", "two"};
       },
       "spec.parameters[3].feasibleSpace.list[1]",
       "spec.parameters[3].feasibleSpace.list[1]: Invalid value: \"two\": must be a number for "
       "parameterType: discrete"},
      {"DuplicateListValue", [=](E& e) { fs(e, 3).list.push_back("sgd"); },
       "spec.parameters[3].feasibleSpace.list[3]",
       "spec.parameters[3].feasibleSpace.list[3]: Invalid value: \"sgd\": duplicate value"},
      {"DuplicateParameterName", [](E& e) { e.spec.parameters[1].name = "lr"; },
       "spec.parameters[1].name",
       "spec.parameters[1].name: Invalid value: \"lr\": duplicates spec.parameters[0].name"},
      {"EmptyParameterName", [](E& e) { e.spec.parameters[3].name = ""; },
       "spec.parameters[3].name", "spec.parameters[3].name: Required value: must be specified"},
      {"StdOutFilterDoesNotCompile",
       [](E& e) {
         e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{"([a-z+)=(.*)"};
       },
       "spec.metricsCollectorSpec.source.filter.metricsFormat",
       "spec.metricsCollectorSpec.source.filter.metricsFormat: Invalid value: \"([a-z+)=(.*)\": "
       "invalid filter: error "
       "parsing regexp: missing closing ]: `[a-z+)=(.*)`"},
      {"StdOutFilterOneGroup",
       [](E& e) {
         e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{"loss=(.*)"};
       },
       "spec.metricsCollectorSpec.source.filter.metricsFormat",
       "spec.metricsCollectorSpec.source.filter.metricsFormat: Invalid value: \"loss=(.*)\": two "
       "top subexpressions "
       "are required"},
      {"EscapedParensDoNotCapture",
       [](E& e) {
         e.spec.metrics_collector_spec->kind = "File";
         e.spec.metrics_collector_spec->file_system_path =
             FileSystemPath{"/var/log/katib/metrics.log", "File", "TEXT"};
         e.spec.metrics_collector_spec->metrics_format =
             std::vector<std::string>{R"(\((\w+)\)=\((.*)\))", R"(\(a\)=\(b\))"};
       },
       "spec.metricsCollectorSpec.source.filter.metricsFormat",
       "spec.metricsCollectorSpec.source.filter.metricsFormat: Invalid value: "
       "\"\\\\(a\\\\)=\\\\(b\\\\)\": has 0 capture "
       "groups; two are required"},
      {"MetricStrategyValue",
       [](E& e) { e.spec.objective->metric_strategies[0].value = "average"; },
       "spec.objective.metricStrategies[0].value",
       "spec.objective.metricStrategies[0].value: Invalid value: \"average\": must be min, max or "
       "latest"},
  };
}

INSTANTIATE_TEST_SUITE_P(ValidationExtra, ExtraCheckTest, ::testing::ValuesIn(ExtraCases()),
                         [](const ::testing::TestParamInfo<ExtraCase>& info) {
                           return info.param.name;
                         });

TEST(ValidationTest, StdOutFilterIsOnlyCheckedByKtune) {
  Experiment e = Base();
  e.spec.metrics_collector_spec->metrics_format = std::vector<std::string>{"(a"};
  ValidationOptions katib = Options();
  katib.katib_compatible = true;
  EXPECT_THAT(Dump(ValidateExperiment(e, katib)), IsEmpty());  // rule 48: Katib returns for StdOut
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_THAT(errors[0].hint,
              StartsWith("Katib does not check metricsFormat for the StdOut collector"));
  // Push: no collector, nothing to check.
  e.spec.metrics_collector_spec->kind = "Push";
  EXPECT_THAT(Dump(ValidateExperiment(e, Options())), IsEmpty());
}

// ---- one pass, RETURN points ----------------------------------------------------------------

TEST(ValidationTest, FiveMistakesAllReported) {
  Experiment e = Base();
  e.spec.algorithm->algorithm_name = "cmaes";                                 // rule 16
  e.spec.parameters[1].feasible_space.min = "2";                              // min > max
  Container(e)["args"] = json::array({"--bs=${trialParameters.batchSize}"});  // rule 33
  Container(e)["imagePullPolcy"] = "Always";                                  // rule 38
  e.spec.metrics_collector_spec->kind = "File";                               // rule 49
  e.spec.metrics_collector_spec->file_system_path = FileSystemPath{"metrics.log", "File", "TEXT"};
  std::vector<FieldError> errors = ValidateExperiment(e, Options());
  EXPECT_EQ(errors.size(), 5u) << Dump(errors);
  EXPECT_NE(Find(errors, "spec.algorithm.algorithmName", ""), nullptr);
  EXPECT_NE(Find(errors, "spec.parameters[1].feasibleSpace.min", ""), nullptr);
  EXPECT_NE(
      Find(errors, "spec.trialTemplate", "spec.trialTemplate: Invalid value: \"\": parameters: "),
      nullptr);
  EXPECT_NE(Find(errors, "spec.trialTemplate",
                 "spec.trialTemplate: Invalid value: \"\": invalid spec.trialTemplate"),
            nullptr);
  EXPECT_NE(Find(errors, "spec.metricsCollectorSpec.source.fileSystemPath.path", ""), nullptr);
  // Katib's order: algorithm, template, parameters, collector.
  EXPECT_EQ(errors.front().field, "spec.algorithm.algorithmName");
  EXPECT_EQ(errors.back().field, "spec.metricsCollectorSpec.source.fileSystemPath.path");
}

TEST(ValidationTest, ObjectiveErrorsReturnOnlyInKatibMode) {
  Experiment e = Base();
  e.spec.objective->type = "foo";
  e.spec.objective->objective_metric_name = "";
  e.spec.algorithm->algorithm_name = "cmaes";
  e.spec.parameters[0].parameter_type = "float";
  ValidationOptions katib = Options();
  katib.katib_compatible = true;
  std::vector<FieldError> errors = ValidateExperiment(e, katib);
  ASSERT_EQ(errors.size(), 2u) << Dump(errors);  // rules 11 and 12, then Katib returns
  EXPECT_EQ(errors[0].field, "spec.objective.type");
  EXPECT_EQ(errors[1].field, "spec.objective.objectiveMetricName");
  errors = ValidateExperiment(e, Options());
  EXPECT_EQ(errors.size(), 4u) << Dump(errors);
  EXPECT_NE(Find(errors, "spec.algorithm.algorithmName", ""), nullptr);
  EXPECT_NE(Find(errors, "spec.parameters[0].parameterType", ""), nullptr);

  e = Base();
  e.spec.objective.reset();
  e.spec.algorithm->algorithm_name = "cmaes";
  EXPECT_EQ(ValidateExperiment(e, katib).size(), 1u);
  EXPECT_EQ(ValidateExperiment(e, Options()).size(), 2u);
}

TEST(ValidationTest, MissingPlaceholderReturnsOnlyInKatibMode) {
  Experiment e = Base();
  e.spec.trial_template->trial_parameters->push_back({"a", "", "${trialSpec.Name}"});
  e.spec.trial_template->trial_parameters->push_back({"b", "", "${trialSpec.Kind}"});
  Container(e)["args"] = json::array({"${trialParameters.undeclared}"});
  e.spec.parameters[0].parameter_type = "float";
  ValidationOptions katib = Options();
  katib.katib_compatible = true;
  std::vector<FieldError> errors = ValidateExperiment(e, katib);
  // Rule 32 for "a", then Katib leaves the template checks (no rule 32 for "b", no rule 33);
  // the parameter checks after the template still run.
  ASSERT_EQ(errors.size(), 2u) << Dump(errors);
  EXPECT_EQ(errors[0].field, "spec.trialTemplate.trialParameters[4].name");
  EXPECT_EQ(errors[1].field, "spec.parameters[0].parameterType");
  errors = ValidateExperiment(e, Options());
  ASSERT_EQ(errors.size(), 4u) << Dump(errors);
  EXPECT_EQ(errors[0].field, "spec.trialTemplate.trialParameters[4].name");
  EXPECT_EQ(errors[1].field, "spec.trialTemplate.trialParameters[5].name");
  EXPECT_THAT(errors[2].KatibMessage(), HasSubstr("parameters: [${trialParameters.undeclared}]"));
  EXPECT_EQ(errors[3].field, "spec.parameters[0].parameterType");
}

TEST(ValidationTest, UnchangedSpecUpdateIsAllowedEvenWhenCompleted) {
  Experiment e = Base();
  g_old = e;
  g_old.status.conditions = {{"Succeeded", "True", "ExperimentGoalReached", "", "", ""}};
  g_old.status.trials = 12;
  ValidationOptions o = Options();
  o.old_experiment = &g_old;
  EXPECT_THAT(Dump(ValidateExperiment(e, o)), IsEmpty());
}

TEST(ValidationTest, RestartOfLongRunningExperimentIsAllowed) {
  Experiment e = Base();
  e.spec.resume_policy = "LongRunning";
  g_old = e;
  g_old.status.conditions = {{"Succeeded", "True", "ExperimentMaxTrialsReached", "", "", ""}};
  g_old.status.trials = 12;
  e.spec.max_trial_count = 20;
  ValidationOptions o = Options();
  o.old_experiment = &g_old;
  EXPECT_THAT(Dump(ValidateExperiment(e, o)), IsEmpty());
}

}  // namespace
}  // namespace ktune::core
