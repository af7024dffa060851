// End-to-end tests of `ktune validate`.

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

class KtuneValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("ktune-validate-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

TEST_F(KtuneValidateTest, EveryExampleIsValid) {
  std::vector<std::string> args{"validate"};
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::path(KTUNE_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() == ".yaml") args.push_back(entry.path().string());
  }
  ASSERT_GE(args.size(), 2u);
  auto r = RunKtune(args, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(KtuneValidateTest, ReportsEveryMistakeWithItsPath) {
  fs::path file = Write("five.yaml", R"(apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: Five-Mistakes
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
  algorithm:
    algorithmName: random
  parallelTrialCount: 0
  parameters:
    - name: lr
      parameterType: float
      feasibleSpace: {min: "0.1", max: "0.01"}
    - name: opt
      parameterType: categorical
      feasibleSpace: {list: []}
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - {name: learningRate, reference: lr}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                command: [train, "--lr=${trialParameters.learningRate}", "--opt=${trialParameters.optimizer}"]
)");
  auto r = RunKtune({"validate", file.string()}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("metadata.name: Invalid value: \"Five-Mistakes\""));
  EXPECT_THAT(r.err,
              HasSubstr("spec.parallelTrialCount: Invalid value: 0: must be greater than 0"));
  EXPECT_THAT(r.err, HasSubstr("spec.parameters[0].parameterType: Invalid value: \"float\": "
                               "parameterType: float is not supported"));
  EXPECT_THAT(r.err, HasSubstr("spec.parameters[1].feasibleSpace.list"));
  EXPECT_THAT(r.err, HasSubstr("${trialParameters.optimizer}"));
}

TEST_F(KtuneValidateTest, PrintDefaults) {
  auto r = RunKtune({"validate", "--print-defaults",
                     (fs::path(KTUNE_SOURCE_DIR) / "examples/quickstart/experiment.yaml").string()},
                    dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("resumePolicy: Never"));
  EXPECT_THAT(r.out, HasSubstr("kind: StdOut"));
  EXPECT_THAT(r.out, HasSubstr("distribution: uniform"));
  EXPECT_THAT(r.out, HasSubstr("successCondition:"));
}

TEST_F(KtuneValidateTest, YamlSyntaxErrorHasLineAndColumn) {
  fs::path file = Write("broken.yaml",
                        "apiVersion: kubeflow.org/v1beta1\nspec:\n  parameters: [\n    {name: a\n");
  auto r = RunKtune({"validate", file.string()}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("broken.yaml: line "));
  EXPECT_THAT(r.err, HasSubstr(", column "));
}

}  // namespace
