// `ktune run --configmap FILE` runs an Experiment whose trial template lives in a ConfigMap
// (trialTemplate.configMap), and without the ConfigMap refuses it up front saying what to pass.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "process.h"

namespace {

namespace fs = std::filesystem;
using ktune::e2e::RunKtune;
using ::testing::HasSubstr;

class RunConfigMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("ktune-run-configmap-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  const fs::path data_ = fs::path(KTUNE_SOURCE_DIR) / "tests/data";
};

TEST_F(RunConfigMapTest, TemplateFromAConfigMapRuns) {
  auto r = RunKtune({"run", (data_ / "configmap-experiment.yaml").string(), "--configmap",
                     (data_ / "trial-templates.yaml").string(), "--db",
                     (dir_ / "ktune.db").string(), "--workdir", dir_.string(), "--output", "json"},
                    dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = r.result();
  ASSERT_EQ(result["trials"].size(), 2u);
  for (const auto& trial : result["trials"]) {
    // The ConfigMap's command ran, with the trial's own parameter substituted.
    const auto& metrics = trial["status"]["observation"]["metrics"];
    ASSERT_EQ(metrics.size(), 1u) << trial.dump();
    EXPECT_EQ(metrics[0]["name"], "loss");
    EXPECT_EQ(metrics[0]["latest"], "0.5");
  }
  EXPECT_EQ(
      result["experiment"]["status"]["currentOptimalTrial"]["observation"]["metrics"][0]["latest"],
      "0.5");
}

TEST_F(RunConfigMapTest, WithoutTheConfigMapItIsRefusedUpFront) {
  auto r = RunKtune({"run", (data_ / "configmap-experiment.yaml").string(), "--db",
                     (dir_ / "ktune.db").string(), "--workdir", dir_.string()},
                    dir_);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--configmap"));
  EXPECT_FALSE(fs::exists(dir_ / "ktune.db"));
}

}  // namespace

namespace {

namespace fs = std::filesystem;
using ktune::e2e::RunKtune;
using ::testing::HasSubstr;

// REVIEW 1.2: a TFJob with `workingDir: 5` passed `ktune validate` and then aborted `ktune run`
// (SIGABRT, type_error.302) on every resume. It is now refused up front, naming the field.
TEST(RunShapeTest, Review1_2_TfJobWithAWrongShapeIsRefusedUpFront) {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("ktune-run-shape-" + std::to_string(rd()));
  fs::create_directories(dir);
  std::ofstream(dir / "tf.yaml") << R"(apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: tfwd}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  maxTrialCount: 1
  parallelTrialCount: 1
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.1", max: "0.2"}}
  trialTemplate:
    primaryContainerName: tensorflow
    trialParameters: [{name: lr, reference: lr}]
    trialSpec:
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
                    command: [sh, -c, "echo loss=${trialParameters.lr}"]
)";
  auto r = RunKtune({"run", (dir / "tf.yaml").string(), "--db", (dir / "ktune.db").string()}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("spec.tfReplicaSpecs.Worker.template.spec.containers[0]."
                               "workingDir: must be a string"));
  fs::remove_all(dir);
}

}  // namespace
