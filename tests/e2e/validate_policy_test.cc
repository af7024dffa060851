// `ktune validate` answers as Katib's webhook does (errors), prints ktune's own checks as
// `warning:` lines (exit 0 unless --strict), and reads ConfigMap trial templates given with
// --configmap (issue 6, item 2).

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
using ::testing::Not;

constexpr char kExperiment[] = R"(apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: NAME
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
  algorithm:
    algorithmName: random
  maxTrialCount: 4
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: MIN, max: "0.1"}
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - {name: lr, reference: lr}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                image: python:3.11-slim
                command: [python3, train.py, "--lr=${trialParameters.lr}"]
            restartPolicy: Never
)";

class ValidatePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("ktune-validate-policy-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Experiment(const std::string& name, const std::string& min) {
    std::string text = kExperiment;
    text.replace(text.find("NAME"), 4, name);
    text.replace(text.find("MIN"), 3, min);
    fs::path file = dir_ / (name + ".yaml");
    std::ofstream(file) << text;
    return file;
  }
  fs::path dir_;
};

TEST_F(ValidatePolicyTest, KatibAdmitsItSoWarningsPassUnlessStrict) {
  // min > max: Katib admits it, ktune warns (and `ktune run` refuses it).
  fs::path file = Experiment("min-above-max", "\"1\"");
  auto r = RunKtune({"validate", file.string()}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      r.err,
      HasSubstr("warning: spec.parameters[0].feasibleSpace.min: Invalid value: \"1\": must be less "
                "than or equal to feasibleSpace.max (0.1)"));
  EXPECT_THAT(r.err, Not(HasSubstr("error:")));
  auto strict = RunKtune({"validate", "--strict", file.string()}, dir_);
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_THAT(strict.err, HasSubstr("warning: spec.parameters[0].feasibleSpace.min"));
}

TEST_F(ValidatePolicyTest, NameWithADotIsAdmittedByKatib) {
  auto r = RunKtune({"validate", Experiment("my.experiment", "\"0.01\"").string()}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: metadata.name: Invalid value: \"my.experiment\""));
}

TEST_F(ValidatePolicyTest, UnquotedNumberIsKatibsDecodeError) {
  auto r = RunKtune({"validate", Experiment("unquoted", "0.01").string()}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: json: cannot unmarshal number into Go struct field "
                               "FeasibleSpace.spec.parameters.feasibleSpace.min of type string"));
}

TEST_F(ValidatePolicyTest, ConfigMapTemplateIsLoadedAndChecked) {
  const fs::path data = fs::path(KTUNE_SOURCE_DIR) / "tests/data";
  const std::string experiment = (data / "configmap-experiment.yaml").string();
  auto with = RunKtune(
      {"validate", "--configmap", (data / "trial-templates.yaml").string(), experiment}, dir_);
  EXPECT_EQ(with.exit_code, 0) << with.err;
  EXPECT_THAT(with.err, HasSubstr(": valid\n"));
  // Without the ConfigMap the template cannot be checked: a warning, fatal with --strict.
  auto without = RunKtune({"validate", "--strict", experiment}, dir_);
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_THAT(without.err, HasSubstr("warning: spec.trialTemplate.configMap"));
  // A ConfigMap without the template path: Katib's rule 27.
  fs::path other = dir_ / "other.yaml";
  std::ofstream(other)
      << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: trial-templates, namespace: kubeflow}\n"
         "data: {other.yaml: x}\n";
  auto wrong = RunKtune({"validate", "--configmap", other.string(), experiment}, dir_);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(
      wrong.err,
      HasSubstr("error: spec.trialTemplate: Invalid value: \"\": unable to parse "
                "spec.trialTemplate: unable to find trial template in ConfigMap: TemplatePath: "
                "train-job.yaml, ConfigMap: map[other.yaml:x]"));
}

TEST_F(ValidatePolicyTest, UnreadableConfigMapFileIsAUsageError) {
  auto r = RunKtune({"validate", "--configmap", (dir_ / "none.yaml").string(),
                     Experiment("ok", "\"0.01\"").string()},
                    dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("none.yaml: cannot read file"));
}

}  // namespace
