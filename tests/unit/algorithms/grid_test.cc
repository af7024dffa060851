// The grid plugin, loaded from the build tree.

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/algorithms/plugin_fixture.h"

namespace ktune::algorithms::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// 3 x 4 = 12 points.
api::Experiment Grid(int max_trial_count = 12) {
  return MakeExperiment("grid",
                        {Range("n", api::INT, "1", "3"),
                         List("opt", api::CATEGORICAL, {"sgd", "adam", "ftrl", "rmsprop"})},
                        {}, max_trial_count);
}

std::string Text(const Point& p) {
  std::string s;
  for (const auto& [name, value] : p) s += name + "=" + value + " ";
  return s;
}

TEST(GridSettingsTest, FollowsKatib) {
  EXPECT_EQ(ValidationError(Grid()), "OK");
  EXPECT_EQ(ValidationError(
                MakeExperiment("grid", {Range("n", api::INT, "1", "3")}, {{"random_state", "-3"}})),
            "grid: random_state should be great or equal than zero");
  EXPECT_EQ(ValidationError(MakeExperiment("grid", {Range("n", api::INT, "1", "3")},
                                           {{"n_startup_trials", "5"}})),
            "grid: unknown setting n_startup_trials for algorithm grid");
  EXPECT_EQ(ValidationError(MakeExperiment(
                "grid", {Range("n", api::INT, "1", "3"), Range("lr", api::DOUBLE, "0.1", "1")})),
            "grid: Param lr step is nil; For discrete search space, all parameters must include "
            "step");
}

TEST(GridSettingsTest, AcceptsMoreTrialsThanPoints) {
  // Katib rejects this (issue #1534); ktune runs the 12 points and ends the experiment.
  EXPECT_EQ(ValidationError(Grid(/*max_trial_count=*/100)), "OK");
}

TEST(GridTest, YieldsEveryPointOnceThenReportsExhaustion) {
  auto instance = NewInstance(Grid(100));
  std::vector<Point> all;
  std::vector<Point> batch = Ask(*instance, Grid(100), 5, 5);
  EXPECT_THAT(batch, SizeIs(5));
  all.insert(all.end(), batch.begin(), batch.end());
  batch = Ask(*instance, Grid(100), 5, 10);
  EXPECT_THAT(batch, SizeIs(5));
  all.insert(all.end(), batch.begin(), batch.end());
  batch = Ask(*instance, Grid(100), 5, 15);
  EXPECT_THAT(batch, SizeIs(2));  // fewer than asked: exhausted
  all.insert(all.end(), batch.begin(), batch.end());
  EXPECT_THAT(Ask(*instance, Grid(100), 5, 20), IsEmpty());

  ASSERT_THAT(all, SizeIs(12));
  EXPECT_EQ(std::set<Point>(all.begin(), all.end()).size(), 12u);
  // First parameter slowest, values in their spec order.
  EXPECT_EQ(Text(all[0]), "n=1 opt=sgd ");
  EXPECT_EQ(Text(all[1]), "n=1 opt=adam ");
  EXPECT_EQ(Text(all[3]), "n=1 opt=rmsprop ");
  EXPECT_EQ(Text(all[4]), "n=2 opt=sgd ");
  EXPECT_EQ(Text(all[11]), "n=3 opt=rmsprop ");
}

TEST(GridTest, SkipsPointsAlreadyInTheHistory) {
  std::vector<api::Trial> trials = {MakeTrial("a", {{"n", "1"}, {"opt", "sgd"}}),
                                    MakeTrial("b", {{"n", "2.0"}, {"opt", "ftrl"}})};
  auto instance = NewInstance(Grid());
  std::vector<Point> points = Ask(*instance, Grid(), 12, 12, trials);
  ASSERT_THAT(points, SizeIs(10));
  std::set<Point> set(points.begin(), points.end());
  EXPECT_FALSE(set.contains(Point{{"n", "1"}, {"opt", "sgd"}}));
  EXPECT_FALSE(set.contains(Point{{"n", "2"}, {"opt", "ftrl"}}));
  EXPECT_EQ(set.size(), 10u);
}

TEST(GridTest, RestartedInstanceContinuesWhereTheTrialsLeftOff) {
  auto first = NewInstance(Grid());
  std::vector<Point> done = Ask(*first, Grid(), 6, 6);
  std::vector<api::Trial> trials;
  for (size_t i = 0; i < done.size(); ++i)
    trials.push_back(MakeTrial("t" + std::to_string(i), done[i]));
  auto restarted = NewInstance(Grid());
  EXPECT_EQ(Ask(*restarted, Grid(), 6, 12, trials), Ask(*first, Grid(), 6, 12));
}

TEST(GridTest, RemembersTrialsSentEarlier) {
  auto instance = NewInstance(Grid());
  Ask(*instance, Grid(), 0, 0, {MakeTrial("a", {{"n", "3"}, {"opt", "sgd"}})});
  std::vector<Point> points =
      Ask(*instance, Grid(), 12, 12, {MakeTrial("b", {{"n", "3"}, {"opt", "adam"}})});
  EXPECT_THAT(points, SizeIs(10));
}

TEST(GridTest, SteppedDoublesHaveCleanValues) {
  api::Experiment e = MakeExperiment("grid", {Range("lr", api::DOUBLE, "0.1", "0.5", "0.1")});
  auto instance = NewInstance(e);
  std::vector<std::string> values;
  for (const Point& p : Ask(*instance, e, 10, 10)) values.push_back(p.at("lr"));
  EXPECT_THAT(values, ElementsAre("0.1", "0.2", "0.3", "0.4", "0.5"));
}

}  // namespace
}  // namespace ktune::algorithms::testing
