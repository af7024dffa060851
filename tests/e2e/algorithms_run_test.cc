// End-to-end: Katib's model-based algorithms (sobol, tpe, multivariate-tpe,
// bayesianoptimization) run their example under examples/<algorithm>/ with `ktune run`, and bad
// settings are refused with Katib's messages by `ktune run` and reported by `ktune validate`.
// A plugin from outside ktune's plugin directory is found through KTUNE_PLUGIN_PATH.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

using ktune::e2e::ReadAll;
using ktune::e2e::Result;
using ktune::e2e::RunKtune;

fs::path Example(const std::string& algorithm) {
  return fs::path(KTUNE_SOURCE_DIR) / "examples" / algorithm / "experiment.yaml";
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("ktune-algorithms-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The example with its spec.algorithm replaced by `algorithm_block` (YAML at two spaces'
// indent), written to `dir`/experiment/experiment.yaml (its trials then need
// `dir`/quickstart/train.py).
fs::path WithAlgorithm(const fs::path& dir, const std::string& algorithm,
                       const std::string& algorithm_block) {
  std::string text = ReadAll(Example(algorithm));
  const size_t begin = text.find("  algorithm:\n");
  const size_t end = text.find("  parallelTrialCount:");
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  text.replace(begin, end - begin, algorithm_block);
  fs::create_directories(dir / "experiment");
  const fs::path path = dir / "experiment" / "experiment.yaml";
  std::ofstream(path) << text;
  return path;
}

class AlgorithmRunTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AlgorithmRunTest, ExampleRunsToTheEndWithABestTrial) {
  TempDir dir;
  Result r = RunKtune({"run", Example(GetParam()).string(), "--db",
                       (dir.path() / "run.db").string(), "--output", "json"},
                      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json out = r.result();
  const json& status = out["experiment"]["status"];
  EXPECT_EQ(out["experiment"]["spec"]["algorithm"]["algorithmName"], GetParam());
  EXPECT_EQ(status["conditions"].back()["type"], "Succeeded") << status.dump();
  EXPECT_EQ(status["conditions"].back()["reason"], "ExperimentMaxTrialsReached") << status.dump();
  EXPECT_EQ(status.value("trials", 0), 12);
  EXPECT_EQ(status.value("trialsSucceeded", 0), 12);
  ASSERT_EQ(out["trials"].size(), 12u);
  EXPECT_FALSE(status["currentOptimalTrial"].value("bestTrialName", "").empty());
  // Twelve different points.
  std::set<std::string> points;
  for (const json& trial : out["trials"]) {
    points.insert(trial["spec"]["parameterAssignments"].dump());
  }
  EXPECT_EQ(points.size(), 12u);
  EXPECT_THAT(r.err, HasSubstr("12/12 trials done"));
}

// With '-' spelled '_' (gtest names).
std::string AlgorithmName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AlgorithmRunTest,
                         ::testing::Values("sobol", "tpe", "multivariate-tpe",
                                           "bayesianoptimization"),
                         AlgorithmName);

struct BadSetting {
  std::string algorithm;
  std::string name;
  std::string value;
  std::string message;  // Katib's, verbatim
};

void PrintTo(const BadSetting& bad, std::ostream* os) {
  *os << bad.algorithm << " " << bad.name << "=" << bad.value;
}

class BadSettingTest : public ::testing::TestWithParam<BadSetting> {};

TEST_P(BadSettingTest, RunRefusesAndValidateReportsKatibsMessage) {
  const BadSetting& bad = GetParam();
  TempDir dir;
  const fs::path file = WithAlgorithm(dir.path(), bad.algorithm,
                                      "  algorithm:\n    algorithmName: " + bad.algorithm +
                                          "\n    algorithmSettings:\n      - name: " + bad.name +
                                          "\n        value: \"" + bad.value + "\"\n");
  Result run =
      RunKtune({"run", file.string(), "--db", (dir.path() / "run.db").string()}, dir.path());
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr(bad.algorithm + ": " + bad.message));
  EXPECT_FALSE(fs::exists(dir.path() / "ktune-logs")) << "no trial may start";

  // Katib's webhook admits the experiment (its Suggestion then fails): a warning, which
  // --strict turns into a refusal.
  Result validate = RunKtune({"validate", file.string()}, dir.path());
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_THAT(validate.err, HasSubstr("warning: spec.algorithm.algorithmSettings: " +
                                      bad.algorithm + ": " + bad.message));
  Result strict = RunKtune({"validate", "--strict", file.string()}, dir.path());
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_THAT(strict.err, HasSubstr(bad.message));
}

std::string BadSettingName(const ::testing::TestParamInfo<BadSetting>& info) {
  std::string name = info.param.algorithm + "_" + info.param.name;
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, BadSettingTest,
    ::testing::Values(BadSetting{"sobol", "foo", "1", "unknown setting foo for algorithm sobol"},
                      BadSetting{"tpe", "gamma", "1.5", "gamma should be in the range of (0, 1)"},
                      BadSetting{"multivariate-tpe", "n_startup_trials", "-1",
                                 "n_startup_trials should be greate or equal than zero"},
                      BadSetting{"bayesianoptimization", "base_estimator", "XYZ",
                                 "base_estimator XYZ is not supported in Bayesian optimization"},
                      BadSetting{"bayesianoptimization", "n_initial_points", "-1",
                                 "n_initial_points should be great or equal than zero"}),
    BadSettingName);

// algorithms/README.md: a plugin built outside ktune's plugin directory (here the example,
// built into lib/ktune-examples) is found through KTUNE_PLUGIN_PATH, and only then.
TEST(PluginPathTest, KtunePluginPathAddsAnAlgorithm) {
  TempDir dir;
  const fs::path file = WithAlgorithm(dir.path(), "sobol",
                                      "  algorithm:\n    algorithmName: example-minimal\n"
                                      "    algorithmSettings:\n      - name: random_state\n"
                                      "        value: \"1\"\n");
  fs::create_directories(dir.path() / "quickstart");
  fs::copy_file(fs::path(KTUNE_SOURCE_DIR) / "examples/quickstart/train.py",
                dir.path() / "quickstart/train.py");
  Result without = RunKtune({"validate", file.string()}, dir.path());
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_THAT(without.err, HasSubstr("example-minimal"));

  const fs::path plugins = fs::path(KTUNE_BINARY_DIR) / "lib" / "ktune-examples";
  ASSERT_TRUE(fs::exists(plugins / "libktune_example_minimal.so"));
  ASSERT_EQ(setenv("KTUNE_PLUGIN_PATH", ("/nonexistent:" + plugins.string()).c_str(), 1), 0);
  Result run =
      RunKtune({"run", file.string(), "--db", (dir.path() / "run.db").string(), "--output", "json"},
               dir.path());
  unsetenv("KTUNE_PLUGIN_PATH");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json out = run.result();
  EXPECT_EQ(out["experiment"]["status"].value("trialsSucceeded", 0), 12);
  EXPECT_THAT(run.err, Not(HasSubstr("unknown algorithm")));
}

}  // namespace
