// The plugin author's example (algorithms/examples/minimal, algorithms/README.md): built into a
// directory of its own, it is not among the built-in algorithms, and a registry pointed at that
// directory loads it and gets suggestions from it.

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "suggestion/registry.h"
#include "tests/unit/algorithms/plugin_fixture.h"

namespace ktune::algorithms::testing {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::SizeIs;

api::Experiment Example(std::vector<std::pair<std::string, std::string>> settings = {}) {
  return MakeExperiment(
      "example-minimal",
      {Range("lr", api::DOUBLE, "0.01", "0.03"), Range("layers", api::INT, "1", "5"),
       List("optimizer", api::CATEGORICAL, {"sgd", "adam", "rmsprop"})},
      settings);
}

TEST(MinimalPluginTest, IsNotABuiltInAlgorithm) {
  EXPECT_THAT(BuiltPlugins().Names(), Not(Contains("example-minimal")));
}

TEST(MinimalPluginTest, LoadsFromItsDirectoryAndSuggests) {
  suggestion::AlgorithmRegistry registry;
  ASSERT_TRUE(registry.LoadSearchPath({KTUNE_EXAMPLE_PLUGIN_DIR}).ok());
  absl::StatusOr<const suggestion::AlgorithmPlugin*> plugin = registry.Find("example-minimal");
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_TRUE((*plugin)->uses_host_services());

  EXPECT_TRUE((*plugin)->ValidateSettings(Example({{"random_state", "3"}})).ok());
  absl::Status bad = (*plugin)->ValidateSettings(Example({{"foo", "1"}}));
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "example-minimal: unknown setting foo for algorithm example-minimal");

  absl::StatusOr<std::unique_ptr<suggestion::AlgorithmInstance>> instance =
      (*plugin)->Create(Example({{"random_state", "3"}}));
  ASSERT_TRUE(instance.ok()) << instance.status();
  std::vector<Point> points = Ask(**instance, Example({{"random_state", "3"}}), 3, 3);
  ASSERT_THAT(points, SizeIs(3));
  // The centre first, then points inside the space.
  EXPECT_EQ(points[0].at("layers"), "3");
  EXPECT_EQ(points[0].at("optimizer"), "adam");
  for (const Point& p : points) {
    double lr = 0;
    ASSERT_TRUE(absl::SimpleAtod(p.at("lr"), &lr));
    EXPECT_GE(lr, 0.01);
    EXPECT_LE(lr, 0.03);
  }
}

}  // namespace
}  // namespace ktune::algorithms::testing
