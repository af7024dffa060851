// The random plugin, loaded from the build tree.

#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/algorithms/plugin_fixture.h"

namespace ktune::algorithms::testing {
namespace {

using ::testing::Each;
using ::testing::ElementsAreArray;
using ::testing::SizeIs;

api::Experiment Continuous(const std::string& seed = "") { return MixedSpace("random", seed); }
api::Experiment Small() { return SixPoints("random"); }

TEST(RandomSettingsTest, AcceptsOnlyRandomState) {
  EXPECT_EQ(ValidationError(Continuous()), "OK");
  EXPECT_EQ(ValidationError(Continuous("0")), "OK");
  EXPECT_EQ(ValidationError(Continuous("-1")),
            "random: random_state should be great or equal than zero");
  EXPECT_EQ(ValidationError(Continuous("seed")),
            "random: failed to validate random_state(seed): not an integer");
  EXPECT_EQ(ValidationError(
                MakeExperiment("random", {Range("x", api::DOUBLE, "0", "1")}, {{"gamma", "0.5"}})),
            "random: unknown setting gamma for algorithm random");
}

TEST(RandomSettingsTest, ReportsSearchSpaceErrors) {
  EXPECT_EQ(ValidationError(MakeExperiment("random", {Range("lr", api::DOUBLE, "1", "abc")})),
            R"(random: parameter "lr": max "abc" is not a number)");
  absl::StatusOr<std::unique_ptr<suggestion::AlgorithmInstance>> instance =
      Plugin("random").Create(MakeExperiment("random", {Range("lr", api::DOUBLE, "2", "1")}));
  ASSERT_FALSE(instance.ok());
  EXPECT_EQ(instance.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(instance.status().message(),
            R"(random: parameter "lr": min "2" is greater than max "1")");
}

TEST(RandomTest, ValuesStayInTheirSpaces) {
  auto instance = NewInstance(Continuous());
  std::vector<Point> points = Ask(*instance, Continuous(), 200, 200);
  ASSERT_THAT(points, SizeIs(200));
  std::set<std::string> optimizers, dropouts;
  for (const Point& p : points) {
    double lr = 0;
    int layers = 0;
    ASSERT_TRUE(absl::SimpleAtod(p.at("lr"), &lr));
    ASSERT_TRUE(absl::SimpleAtoi(p.at("layers"), &layers)) << p.at("layers");
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-1);
    EXPECT_GE(layers, 1);
    EXPECT_LE(layers, 8);
    optimizers.insert(p.at("optimizer"));
    dropouts.insert(p.at("dropout"));
  }
  EXPECT_EQ(optimizers, (std::set<std::string>{"sgd", "adam", "ftrl"}));
  for (const std::string& d : dropouts) EXPECT_LE(d.size(), 4u) << d;  // "0.05", never 0.0500001
}

TEST(RandomTest, SameRandomStateGivesTheSameSequence) {
  ExpectSameRandomStateGivesTheSameSequence(Continuous);
}

TEST(RandomTest, SequenceDoesNotDependOnBatching) {
  ExpectSequenceDoesNotDependOnBatching(Continuous);
}

TEST(RandomTest, NewInstanceContinuesAtTotalRequestNumber) {
  ExpectNewInstanceContinuesAtTotalRequestNumber(Continuous);
}

TEST(RandomTest, WithoutRandomStateInstancesDiffer) { ExpectUnseededInstancesDiffer(Continuous); }

TEST(RandomTest, NeverRepeatsAPointAndReportsExhaustion) {
  ExpectNeverRepeatsAPointAndReportsExhaustion(Small());
}

TEST(RandomTest, SkipsPointsOfKnownTrials) {
  // Five of the six points are taken (one spelled "2.0"): only the sixth can come back.
  std::vector<api::Trial> trials = AsTrials({{{"n", "1"}, {"opt", "sgd"}},
                                             {{"n", "1"}, {"opt", "adam"}},
                                             {{"n", "2.0"}, {"opt", "sgd"}},
                                             {{"n", "3"}, {"opt", "sgd"}},
                                             {{"n", "3"}, {"opt", "adam"}}});
  auto instance = NewInstance(Small());
  std::vector<Point> points = Ask(*instance, Small(), 3, 3, trials);
  EXPECT_THAT(points, ElementsAreArray({Point{{"n", "2"}, {"opt", "adam"}}}));
}

TEST(RandomTest, RemembersTrialsSentEarlier) {
  // After the first call the host sends only new trials; earlier ones still count.
  auto instance = NewInstance(Small());
  Ask(*instance, Small(), 0, 0,
      AsTrials({{{"n", "1"}, {"opt", "sgd"}}, {{"n", "1"}, {"opt", "adam"}}}));
  std::vector<api::Trial> more = {MakeTrial("late", {{"n", "2"}, {"opt", "sgd"}})};
  std::vector<Point> points = Ask(*instance, Small(), 6, 6, more);
  EXPECT_THAT(points, SizeIs(3));
  for (const Point& p : points) {
    EXPECT_NE(p.at("n"), "1");
    EXPECT_NE(p, (Point{{"n", "2"}, {"opt", "sgd"}}));
  }
}

TEST(RandomTest, ContinuousSpacesGiveDistinctPoints) {
  auto instance = NewInstance(Continuous("1"));
  std::vector<Point> points = Ask(*instance, Continuous("1"), 300, 300);
  EXPECT_EQ(std::set<Point>(points.begin(), points.end()).size(), 300u);
}

// REVIEW 1.9 "The random plugin's exhaustion fallback is slow": it enumerated up to 2^20 grid
// points, building a key for each, on every suggestion whose draws kept missing. A space of
// 100 172 points with all but 5 taken must still give exactly those 5, then report exhaustion.
TEST(RandomTest, Review1_9_NearlyExhaustedLargeSpaceGivesTheRemainingPoints) {
  const api::Experiment e =
      MakeExperiment("random", {Range("a", api::INT, "1", "316"), Range("b", api::INT, "1", "317")},
                     {{"random_state", "3"}});
  std::set<Point> left = {{{"a", "1"}, {"b", "1"}},
                          {{"a", "17"}, {"b", "200"}},
                          {{"a", "158"}, {"b", "317"}},
                          {{"a", "316"}, {"b", "1"}},
                          {{"a", "316"}, {"b", "317"}}};
  std::vector<api::Trial> trials;
  trials.reserve(316 * 317);
  for (int a = 1; a <= 316; ++a) {
    for (int b = 1; b <= 317; ++b) {
      Point p = {{"a", std::to_string(a)}, {"b", std::to_string(b)}};
      if (left.count(p) == 0) trials.push_back(MakeTrial("t" + std::to_string(trials.size()), p));
    }
  }
  ASSERT_EQ(trials.size(), 316u * 317u - 5u);
  auto instance = NewInstance(e);
  const auto start = std::chrono::steady_clock::now();
  std::vector<Point> got = Ask(*instance, e, 3, 3, trials);
  const auto first = std::chrono::steady_clock::now();
  // The host sends only new trials afterwards; the instance remembers the rest.
  std::vector<Point> more = Ask(*instance, e, 4, 7);
  const auto second = std::chrono::steady_clock::now();
  got.insert(got.end(), more.begin(), more.end());
  EXPECT_EQ(std::set<Point>(got.begin(), got.end()), left);
  EXPECT_EQ(got.size(), 5u);
  EXPECT_THAT(Ask(*instance, e, 1, 8), SizeIs(0));
  using std::chrono::duration;
  std::cout << "[ timing ] 3 suggestions with 100167 trials sent: "
            << duration<double, std::milli>(first - start).count()
            << " ms; 4 more (2 left): " << duration<double, std::milli>(second - first).count()
            << " ms\n";
  // A fresh instance sent the same history continues with the same choices.
  trials.push_back(MakeTrial("x", got[0]));
  trials.push_back(MakeTrial("y", got[1]));
  trials.push_back(MakeTrial("z", got[2]));
  auto fresh = NewInstance(e);
  EXPECT_EQ(Ask(*fresh, e, 4, 7, trials), more);
}

// A trial whose assignments change (the host upserts trials by name) frees its old point.
TEST(RandomTest, Review1_9_UpsertedTrialFreesItsOldPointForTheFallback) {
  std::vector<api::Trial> trials = AsTrials({{{"n", "1"}, {"opt", "sgd"}},
                                             {{"n", "1"}, {"opt", "adam"}},
                                             {{"n", "2"}, {"opt", "sgd"}},
                                             {{"n", "3"}, {"opt", "sgd"}},
                                             {{"n", "3"}, {"opt", "adam"}},
                                             {{"n", "2"}, {"opt", "adam"}}});
  auto instance = NewInstance(Small());
  EXPECT_THAT(Ask(*instance, Small(), 1, 1, trials), SizeIs(0));
  // trial-0 moves to an unrelated value (not a grid point): (1, sgd) is free again.
  std::vector<api::Trial> moved = {MakeTrial("trial-0", {{"n", "9"}, {"opt", "sgd"}})};
  EXPECT_THAT(Ask(*instance, Small(), 2, 3, moved),
              ElementsAreArray({Point{{"n", "1"}, {"opt", "sgd"}}}));
}

}  // namespace
}  // namespace ktune::algorithms::testing
