#include "core/defaults.h"

#include <gtest/gtest.h>

#include "core/codec.h"

namespace ktune::core {
namespace {

Experiment Parse(const std::string& yaml) {
  absl::StatusOr<Experiment> e = ParseExperiment(yaml);
  EXPECT_TRUE(e.ok()) << e.status();
  return *e;
}

TEST(DefaultsTest, KatibDefaults) {
  Experiment e = Parse(R"(
metadata: {name: d}
spec:
  objective: {type: minimize, objectiveMetricName: loss, additionalMetricNames: [acc, f1],
              metricStrategies: [{name: f1, value: latest}]}
  parameters: [{name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}},
               {name: c, parameterType: categorical, feasibleSpace: {list: [a]}}]
  trialTemplate:
    trialSpec: {apiVersion: batch/v1, kind: Job}
)");
  SetDefaults(e);
  EXPECT_EQ(*e.spec.parallel_trial_count, 3);
  EXPECT_EQ(e.spec.resume_policy, "Never");
  EXPECT_FALSE(e.spec.max_trial_count.has_value());
  ASSERT_EQ(e.spec.objective->metric_strategies.size(), 3u);
  // User strategies stay first; the objective gets min; additional metrics get min (not latest).
  EXPECT_EQ(e.spec.objective->metric_strategies[0].name, "f1");
  EXPECT_EQ(e.spec.objective->metric_strategies[0].value, "latest");
  EXPECT_EQ(e.spec.objective->metric_strategies[1].name, "loss");
  EXPECT_EQ(e.spec.objective->metric_strategies[1].value, "min");
  EXPECT_EQ(e.spec.objective->metric_strategies[2].name, "acc");
  EXPECT_EQ(e.spec.objective->metric_strategies[2].value, "min");
  EXPECT_EQ(e.spec.trial_template->success_condition,
            R"(status.conditions.#(type=="Complete")#|#(status=="True")#)");
  EXPECT_EQ(e.spec.trial_template->failure_condition,
            R"(status.conditions.#(type=="Failed")#|#(status=="True")#)");
  EXPECT_EQ(e.spec.metrics_collector_spec->kind, "StdOut");
  EXPECT_EQ(e.spec.parameters[0].feasible_space.distribution, "uniform");
  EXPECT_EQ(e.spec.parameters[1].feasible_space.distribution, "uniform");
  EXPECT_EQ(StrategyFor(*e.spec.objective, "f1"), "latest");
  EXPECT_EQ(StrategyFor(*e.spec.objective, "unknown"), "min");
}

// Katib's defaulter appends one strategy per occurrence of an additional metric (its set of
// names is taken before appending), and `latest` when the objective type is not known.
TEST(DefaultsTest, DuplicateAdditionalMetricNamesAreKeptAsKatibKeepsThem) {
  Experiment e = Parse(R"(
metadata: {name: d}
spec:
  objective: {type: maximize, objectiveMetricName: acc, additionalMetricNames: [loss, loss]}
  parameters: [{name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}]
  trialTemplate:
    trialSpec: {apiVersion: batch/v1, kind: Job}
)");
  SetDefaults(e);
  const auto& strategies = e.spec.objective->metric_strategies;
  ASSERT_EQ(strategies.size(), 3u);
  EXPECT_EQ(strategies[0].name, "acc");
  EXPECT_EQ(strategies[1].name, "loss");
  EXPECT_EQ(strategies[1].value, "max");
  EXPECT_EQ(strategies[2].name, "loss");
  EXPECT_EQ(strategies[2].value, "max");

  Experiment untyped = Parse(R"(
metadata: {name: d}
spec:
  objective: {objectiveMetricName: acc, additionalMetricNames: [loss]}
)");
  SetDefaults(untyped);
  ASSERT_EQ(untyped.spec.objective->metric_strategies.size(), 2u);
  EXPECT_EQ(untyped.spec.objective->metric_strategies[1].value, "latest");
}

TEST(DefaultsTest, TrainingOperatorKindsAndCollectors) {
  Experiment e = Parse(R"(
metadata: {name: d}
spec:
  objective: {type: maximize, objectiveMetricName: acc}
  trialTemplate:
    trialSpec: {apiVersion: kubeflow.org/v1, kind: PyTorchJob}
  metricsCollectorSpec: {collector: {kind: File}}
)");
  SetDefaults(e);
  EXPECT_EQ(e.spec.objective->metric_strategies[0].value, "max");
  EXPECT_EQ(e.spec.trial_template->success_condition,
            R"(status.conditions.#(type=="Succeeded")#|#(status=="True")#)");
  EXPECT_EQ(e.spec.trial_template->primary_pod_labels.at("training.kubeflow.org/job-role"),
            "master");
  ASSERT_TRUE(e.spec.metrics_collector_spec->file_system_path);
  EXPECT_EQ(e.spec.metrics_collector_spec->file_system_path->path, "/var/log/katib/metrics.log");
  EXPECT_EQ(e.spec.metrics_collector_spec->file_system_path->kind, "File");
  EXPECT_EQ(e.spec.metrics_collector_spec->file_system_path->format, "TEXT");
}

TEST(DefaultsTest, ConfigMapSourceGetsNoConditionDefaults) {
  Experiment e = Parse(R"(
metadata: {name: d}
spec:
  trialTemplate:
    configMap: {configMapName: t, configMapNamespace: kubeflow, templatePath: x}
)");
  SetDefaults(e);
  EXPECT_TRUE(e.spec.trial_template->success_condition.empty());
}

}  // namespace
}  // namespace ktune::core
