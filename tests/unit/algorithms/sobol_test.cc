// The sobol plugin, loaded from the build tree through the registry, and its sequence against
// SciPy's.

#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "algorithms/sobol/sobol_sequence.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/algorithms/plugin_fixture.h"

namespace ktune::algorithms::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::SizeIs;

double Number(const std::string& text) {
  double value = 0;
  EXPECT_TRUE(absl::SimpleAtod(text, &value)) << text;
  return value;
}

api::Experiment Mixed(const std::string& seed = "") { return MixedSpace("sobol", seed); }
api::Experiment Small() { return SixPoints("sobol"); }

// ---- The sequence ------------------------------------------------------------------------

// SciPy 1.10: qmc.Sobol(d, scramble=False), points 1, 2, 3, 5, 7 and (fast_forward) 1000 of
// dimensions 0, 1, 2, 20 and 1023.
TEST(SobolSequenceTest, UnscrambledMatchesScipy) {
  ASSERT_GE(SobolSequence::MaxDimensions(), 1024);
  const SobolSequence sobol(1024);
  const std::map<uint64_t, std::vector<double>> expected = {
      {1, {0.5, 0.5, 0.5, 0.5, 0.5}},
      {2, {0.75, 0.25, 0.25, 0.25, 0.75}},
      {3, {0.25, 0.75, 0.75, 0.75, 0.25}},
      {5, {0.875, 0.875, 0.125, 0.625, 0.375}},
      {7, {0.125, 0.625, 0.375, 0.875, 0.625}},
      {1000, {0.2197265625, 0.0966796875, 0.5185546875, 0.5224609375, 0.7138671875}},
  };
  for (const auto& [index, values] : expected) {
    const std::vector<double> point = sobol.Point(index);
    EXPECT_THAT((std::vector<double>{point[0], point[1], point[2], point[20], point[1023]}),
                ElementsAreArray(values))
        << "point " << index;
  }
  EXPECT_THAT(sobol.Point(0), ::testing::Each(0.0));
}

// SciPy: qmc.Sobol(21, scramble=False) after fast_forward(123456), every dimension.
TEST(SobolSequenceTest, UnscrambledMatchesScipyIn21Dimensions) {
  const std::vector<double> expected = {
      0.02649688720703125, 0.18274688720703125, 0.30725860595703125, 0.45030975341796875,
      0.16918182373046875, 0.20325469970703125, 0.7158279418945312,  0.46405792236328125,
      0.7064590454101562,  0.24906158447265625, 0.49910736083984375, 0.7811813354492188,
      0.5519790649414062,  0.28044891357421875, 0.7633438110351562,  0.6613693237304688,
      0.5713119506835938,  0.37165069580078125, 0.8820114135742188,  0.15715789794921875,
      0.11809539794921875};
  EXPECT_THAT(SobolSequence(21).Point(123456), ElementsAreArray(expected));
}

// Scrambled, the sequence keeps its net structure: 2^m consecutive points from a multiple of
// 2^m put exactly one point in each of the 2^m cells of every dimension, and the first two
// dimensions (t = 0) exactly 4 in each cell of a 4 x 4 grid for 64 points.
TEST(SobolSequenceTest, ScrambledPointsStratify) {
  const SobolSequence sobol(21, 12345);
  for (uint64_t start : {0u, 64u, 1024u}) {
    std::vector<std::set<int>> cells(21);
    std::map<std::pair<int, int>, int> grid;
    for (uint64_t k = start; k < start + 64; ++k) {
      const std::vector<double> p = sobol.Point(k);
      for (int d = 0; d < 21; ++d) cells[d].insert(static_cast<int>(p[d] * 64));
      ++grid[{static_cast<int>(p[0] * 4), static_cast<int>(p[1] * 4)}];
    }
    for (int d = 0; d < 21; ++d) EXPECT_THAT(cells[d], SizeIs(64)) << "dimension " << d;
    EXPECT_THAT(grid, SizeIs(16));
    for (const auto& [cell, n] : grid) EXPECT_EQ(n, 4);
  }
  // The scramble depends on the seed and moves the origin.
  EXPECT_NE(sobol.Point(0), SobolSequence(21, 12346).Point(0));
  EXPECT_NE(sobol.Point(0), SobolSequence(21).Point(0));
  EXPECT_EQ(sobol.Point(77), SobolSequence(21, 12345).Point(77));
}

// ---- Settings ----------------------------------------------------------------------------

TEST(SobolSettingsTest, AcceptsOnlyRandomState) {
  EXPECT_EQ(ValidationError(Mixed()), "OK");
  EXPECT_EQ(ValidationError(Mixed("0")), "OK");
  EXPECT_EQ(ValidationError(Mixed("-1")), "sobol: random_state should be great or equal than zero");
  EXPECT_EQ(ValidationError(Mixed("x")),
            "sobol: failed to validate random_state(x): not an integer");
  EXPECT_EQ(
      ValidationError(MakeExperiment("sobol", {Range("x", api::DOUBLE, "0", "1")}, {{"foo", "1"}})),
      "sobol: unknown setting foo for algorithm sobol");
  EXPECT_EQ(ValidationError(MakeExperiment("sobol", {Range("lr", api::DOUBLE, "1", "abc")})),
            R"(sobol: parameter "lr": max "abc" is not a number)");
}

TEST(SobolSettingsTest, RefusesMoreParametersThanTheTableHas) {
  std::vector<api::ParameterSpec> parameters;
  for (int i = 0; i <= SobolSequence::MaxDimensions(); ++i) {
    parameters.push_back(Range("x" + std::to_string(i), api::DOUBLE, "0", "1"));
  }
  EXPECT_EQ(ValidationError(MakeExperiment("sobol", parameters)),
            "sobol: sobol supports at most 1024 parameters; the experiment has 1025");
  parameters.pop_back();
  auto instance = NewInstance(MakeExperiment("sobol", parameters));
  ASSERT_NE(instance, nullptr);
  EXPECT_THAT(Ask(*instance, MakeExperiment("sobol", parameters), 2, 2), SizeIs(2));
}

// ---- Suggestions -------------------------------------------------------------------------

TEST(SobolTest, ValuesStayInTheirSpacesAndFillThem) {
  auto instance = NewInstance(Mixed("3"));
  std::vector<Point> points = Ask(*instance, Mixed("3"), 256, 256);
  ASSERT_THAT(points, SizeIs(256));
  std::map<std::string, int> layers, optimizers, dropouts;
  int low_lr = 0;
  for (const Point& p : points) {
    const double lr = Number(p.at("lr"));
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-1);
    if (lr < std::sqrt(1e-4 * 1e-1)) ++low_lr;  // below the geometric middle
    ++layers[p.at("layers")];
    ++optimizers[p.at("optimizer")];
    ++dropouts[p.at("dropout")];
  }
  // Every int value equally often (8 cells of 256 stratified points), likewise each of the
  // 11 dropout steps and the 3 optimizers up to one point; lr is spread on its log scale.
  EXPECT_THAT(
      layers,
      ElementsAre(
          std::pair<const std::string, int>("1", 32), std::pair<const std::string, int>("2", 32),
          std::pair<const std::string, int>("3", 32), std::pair<const std::string, int>("4", 32),
          std::pair<const std::string, int>("5", 32), std::pair<const std::string, int>("6", 32),
          std::pair<const std::string, int>("7", 32), std::pair<const std::string, int>("8", 32)));
  EXPECT_THAT(dropouts, SizeIs(11));
  for (const auto& [value, n] : dropouts) {
    EXPECT_LE(value.size(), 4u) << value;  // "0.05", never 0.0500001
    EXPECT_NEAR(n, 256.0 / 11, 1.5) << value;
  }
  EXPECT_THAT(optimizers, SizeIs(3));
  for (const auto& [value, n] : optimizers) EXPECT_NEAR(n, 256.0 / 3, 1) << value;
  EXPECT_NEAR(low_lr, 128, 1);
}

TEST(SobolTest, ABatchIsSpreadEvenly) {
  // 64 points of two doubles: exactly 4 in each cell of a 4 x 4 grid (independent random
  // points leave some cells with 1 or 7), and no two in one of 64 column strips.
  api::Experiment e = MakeExperiment(
      "sobol", {Range("x", api::DOUBLE, "-5", "5"), Range("y", api::DOUBLE, "0", "1")},
      {{"random_state", "11"}});
  auto instance = NewInstance(e);
  std::map<std::pair<int, int>, int> grid;
  std::set<int> strips;
  for (const Point& p : Ask(*instance, e, 64, 64)) {
    const double x = (Number(p.at("x")) + 5) / 10, y = Number(p.at("y"));
    ++grid[{static_cast<int>(x * 4), static_cast<int>(y * 4)}];
    strips.insert(static_cast<int>(x * 64));
  }
  EXPECT_THAT(grid, SizeIs(16));
  for (const auto& [cell, n] : grid) EXPECT_EQ(n, 4);
  EXPECT_THAT(strips, SizeIs(64));
}

TEST(SobolTest, NormalDistributionsConcentrateInTheMiddle) {
  // normal on [0, 6]: mu = 3, sigma = 1, truncated to the range; logNormal on [1, e^6] the
  // same on the log scale. Within one sigma of the middle: 68.27% / 99.73% of the points.
  api::Experiment e = MakeExperiment(
      "sobol",
      {Range("x", api::DOUBLE, "0", "6", "", api::NORMAL),
       Range("y", api::DOUBLE, "1", std::to_string(std::exp(6.0)), "", api::LOG_NORMAL),
       Range("n", api::INT, "0", "60", "", api::NORMAL)},
      {{"random_state", "2"}});
  auto instance = NewInstance(e);
  int x_mid = 0, y_mid = 0, n_mid = 0;
  for (const Point& p : Ask(*instance, e, 512, 512)) {
    const double x = Number(p.at("x")), y = std::log(Number(p.at("y"))), n = Number(p.at("n"));
    EXPECT_GE(x, 0);
    EXPECT_LE(x, 6);
    EXPECT_GE(n, 0);
    EXPECT_LE(n, 60);
    x_mid += x >= 2 && x <= 4;
    y_mid += y >= 2 && y <= 4;
    n_mid += n >= 20 && n <= 40;
  }
  const double expected = 512 * 0.6827 / 0.9973;
  EXPECT_NEAR(x_mid, expected, 4);
  EXPECT_NEAR(y_mid, expected, 4);
  EXPECT_NEAR(n_mid, expected, 15);  // whole numbers: the cells at 20 and 40 count in full
}

TEST(SobolTest, SameRandomStateGivesTheSameSequence) {
  ExpectSameRandomStateGivesTheSameSequence(Mixed);
}

TEST(SobolTest, WithoutRandomStateInstancesDiffer) { ExpectUnseededInstancesDiffer(Mixed); }

TEST(SobolTest, SequenceDoesNotDependOnBatching) { ExpectSequenceDoesNotDependOnBatching(Mixed); }

TEST(SobolTest, NewInstanceContinuesAtTotalRequestNumber) {
  ExpectNewInstanceContinuesAtTotalRequestNumber(Mixed);
}

TEST(SobolTest, NeverRepeatsAPointAndReportsExhaustion) {
  ExpectNeverRepeatsAPointAndReportsExhaustion(Small());
}

TEST(SobolTest, NoRepeatedPointInADiscreteSpace) {
  // 5 x 4 x 3 = 60 points, asked for one at a time as trials finish: all 60, then none.
  api::Experiment e = MakeExperiment(
      "sobol",
      {Range("a", api::INT, "0", "8", "2"), List("b", api::DISCRETE, {"1", "10", "100", "1000"}),
       List("c", api::CATEGORICAL, {"x", "y", "z"})},
      {{"random_state", "9"}});
  auto instance = NewInstance(e);
  std::vector<Point> all;
  for (int i = 0; i < 60; ++i) {
    std::vector<Point> one = Ask(*instance, e, 1, i + 1, AsTrials(all));
    ASSERT_THAT(one, SizeIs(1)) << i;
    all.push_back(one[0]);
  }
  EXPECT_EQ(std::set<Point>(all.begin(), all.end()).size(), 60u);
  EXPECT_THAT(Ask(*instance, e, 1, 61), SizeIs(0));
  // A fresh instance given the history finds nothing left either.
  EXPECT_THAT(Ask(*NewInstance(e), e, 3, 63, AsTrials(all)), SizeIs(0));
}

TEST(SobolTest, SkipsPointsOfKnownTrials) {
  // Five of the six points are taken (one spelled "2.0"): only the sixth can come back.
  std::vector<api::Trial> trials = AsTrials({{{"n", "1"}, {"opt", "sgd"}},
                                             {{"n", "1"}, {"opt", "adam"}},
                                             {{"n", "2.0"}, {"opt", "sgd"}},
                                             {{"n", "3"}, {"opt", "sgd"}},
                                             {{"n", "3"}, {"opt", "adam"}}});
  auto instance = NewInstance(Small());
  EXPECT_THAT(Ask(*instance, Small(), 3, 3, trials),
              ElementsAreArray({Point{{"n", "2"}, {"opt", "adam"}}}));
}

TEST(SobolTest, AllTrialsFailedChangesNothingButTheTakenPoints) {
  // sobol does not learn from results: failed trials neither stop it nor come back.
  std::vector<Point> failed = {{{"n", "1"}, {"opt", "sgd"}}, {{"n", "2"}, {"opt", "adam"}}};
  auto instance = NewInstance(Small());
  std::vector<Point> points =
      Ask(*instance, Small(), 4, 6, AsTrials(failed, api::TrialStatus::FAILED));
  ASSERT_THAT(points, SizeIs(4));
  points.insert(points.end(), failed.begin(), failed.end());
  EXPECT_EQ(std::set<Point>(points.begin(), points.end()).size(), 6u);

  auto continuous = NewInstance(Mixed("4"));
  std::vector<api::Trial> trials = AsTrials(Ask(*continuous, Mixed("4"), 8, 8));
  for (api::Trial& t : trials) t.mutable_status()->set_condition(api::TrialStatus::FAILED);
  EXPECT_THAT(Ask(*continuous, Mixed("4"), 3, 11, trials), SizeIs(3));
}

TEST(SobolTest, OneSuggestionAfterAThousandTrialsIsCheap) {
  // 6-D, 1000 finished trials sent once, then one suggestion at a time with one new trial:
  // the cost of a call must not grow with the history.
  api::Experiment e = MakeExperiment(
      "sobol",
      {Range("a", api::DOUBLE, "0", "1"),
       Range("b", api::DOUBLE, "1e-5", "1", "", api::LOG_UNIFORM), Range("c", api::INT, "1", "100"),
       Range("d", api::DOUBLE, "-1", "1", "0.01"), List("e", api::CATEGORICAL, {"p", "q", "r"}),
       List("f", api::DISCRETE, {"1", "2", "4"})},
      {{"random_state", "1"}});
  auto instance = NewInstance(e);
  std::vector<api::Trial> history = AsTrials(Ask(*instance, e, 1000, 1000));
  for (size_t i = 0; i < history.size(); ++i) {
    auto* metric = history[i].mutable_status()->mutable_observation()->add_metrics();
    metric->set_name("loss");
    metric->set_value(std::to_string(i));
  }
  auto restarted = NewInstance(e);
  const auto start = std::chrono::steady_clock::now();
  std::vector<Point> first = Ask(*restarted, e, 1, 1001, history);
  const auto full = std::chrono::steady_clock::now();
  constexpr int kCalls = 100;
  for (int i = 0; i < kCalls; ++i) {
    std::vector<api::Trial> delta = AsTrials(first);
    delta[0].set_name("new-" + std::to_string(i));
    first = Ask(*restarted, e, 1, 1002 + i, delta);
    ASSERT_THAT(first, SizeIs(1));
  }
  const auto end = std::chrono::steady_clock::now();
  using std::chrono::duration;
  const double per_call = duration<double, std::milli>(end - full).count() / kCalls;
  std::cout << "[ timing ] sobol, 6-D: first call with 1000 trials "
            << duration<double, std::milli>(full - start).count() << " ms; then " << per_call
            << " ms per suggestion with one new trial\n";
  EXPECT_LT(per_call, 5.0);
}

}  // namespace
}  // namespace ktune::algorithms::testing
