// The unit coordinate of search_space.h and TrialTable (trial_table.h), which the model-based
// plugins (sobol, tpe, multivariate-tpe, bayesianoptimization) build on.

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "algorithms/search_space.h"
#include "algorithms/trial_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/algorithms/proto_builders.h"

namespace ktune::algorithms {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using namespace ::ktune::algorithms::testing;  // NOLINT

Parameter Parse(const api::ParameterSpec& spec) {
  absl::StatusOr<Parameter> p = Parameter::FromProto(spec);
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

TEST(UnitCoordinateTest, UniformDoubleIsLinearAndRoundTrips) {
  Parameter p = Parse(Range("x", api::DOUBLE, "-5", "10"));
  EXPECT_EQ(p.FromUnit(0), "-5");
  EXPECT_EQ(p.FromUnit(1), "10");
  EXPECT_EQ(p.FromUnit(0.2), "-2");
  EXPECT_DOUBLE_EQ(*p.ToUnit("2.5"), 0.5);
  EXPECT_EQ(p.FromUnit(-3), "-5");  // clamped
  EXPECT_EQ(p.FromUnit(std::numeric_limits<double>::quiet_NaN()), "2.5");
  EXPECT_EQ(p.ToUnit("10.5"), std::nullopt);  // outside [min, max]
  EXPECT_EQ(p.ToUnit("abc"), std::nullopt);
  EXPECT_DOUBLE_EQ(p.SnapUnit(0.123), 0.123);
}

TEST(UnitCoordinateTest, LogUniformDoubleIsLinearInLogSpace) {
  Parameter p = Parse(Range("lr", api::DOUBLE, "0.0001", "1", "", api::LOG_UNIFORM));
  EXPECT_TRUE(p.log_scale());
  EXPECT_THAT(*p.ToUnit("0.01"), DoubleNear(0.5, 1e-12));
  EXPECT_THAT(std::stod(p.FromUnit(0.75)), DoubleNear(0.1, 1e-12));
}

TEST(UnitCoordinateTest, IntPointsOwnEqualCells) {
  Parameter p = Parse(Range("n", api::INT, "1", "4"));
  // Four points, four cells of width 1/4, each point at its cell's centre.
  EXPECT_DOUBLE_EQ(*p.ToUnit("1"), 0.125);
  EXPECT_DOUBLE_EQ(*p.ToUnit("4"), 0.875);
  EXPECT_DOUBLE_EQ(*p.ToUnit("2.0"), 0.375);  // "2.0" is the int 2
  EXPECT_EQ(p.FromUnit(0), "1");
  EXPECT_EQ(p.FromUnit(0.2499), "1");
  EXPECT_EQ(p.FromUnit(0.2501), "2");
  EXPECT_EQ(p.FromUnit(1), "4");
  EXPECT_DOUBLE_EQ(p.SnapUnit(0.6), 0.625);
  EXPECT_EQ(p.IndexAtUnit(0.6), 2u);
  EXPECT_EQ(p.ToUnit("2.5"), std::nullopt);
  // Each cell is hit in proportion to its width.
  std::vector<int> hits(4);
  for (int i = 0; i < 1000; ++i) ++hits[p.IndexAtUnit((i + 0.5) / 1000)];
  EXPECT_THAT(hits, ElementsAre(250, 250, 250, 250));
}

TEST(UnitCoordinateTest, SteppedDoubleSnapsToItsGrid) {
  Parameter p = Parse(Range("x", api::DOUBLE, "0.1", "0.5", "0.1"));
  EXPECT_EQ(p.FromUnit(0.5), "0.3");
  EXPECT_DOUBLE_EQ(*p.ToUnit("0.30"), 0.5);
  EXPECT_EQ(p.ToUnit("0.35"), std::nullopt);
  for (double u = 0; u <= 1; u += 0.01) {
    EXPECT_DOUBLE_EQ(*p.ToUnit(p.FromUnit(u)), p.SnapUnit(u)) << u;
  }
}

TEST(UnitCoordinateTest, LogIntStaysPositiveAndRoundTrips) {
  Parameter p = Parse(Range("batch", api::INT, "1", "1024", "", api::LOG_UNIFORM));
  EXPECT_EQ(p.FromUnit(0), "1");
  EXPECT_EQ(p.FromUnit(1), "1024");
  for (double u = 0; u <= 1; u += 0.001) {
    const std::string v = p.FromUnit(u);
    EXPECT_DOUBLE_EQ(*p.ToUnit(v), p.SnapUnit(u)) << u;
  }
}

TEST(UnitCoordinateTest, DiscreteIsOrderedByValue) {
  Parameter p = Parse(List("d", api::DISCRETE, {"8", "1", "2", "4"}));
  // Sorted 1 2 4 8, placed linearly by value between 0.5 and 10 (half a neighbour gap).
  EXPECT_LT(*p.ToUnit("1"), *p.ToUnit("2"));
  EXPECT_LT(*p.ToUnit("4"), *p.ToUnit("8"));
  EXPECT_EQ(p.FromUnit(0), "1");
  EXPECT_EQ(p.FromUnit(1), "8");
  EXPECT_EQ(p.ValueAt(p.IndexAtUnit(*p.ToUnit("4"))), "4");
  EXPECT_EQ(p.ToUnit("3"), std::nullopt);
  EXPECT_DOUBLE_EQ(*p.ToUnit("8.0"), *p.ToUnit("8"));
}

TEST(UnitCoordinateTest, CategoricalValuesOwnEqualCells) {
  Parameter p = Parse(List("opt", api::CATEGORICAL, {"sgd", "adam", "ftrl"}));
  EXPECT_EQ(p.FromUnit(0.1), "sgd");
  EXPECT_EQ(p.FromUnit(0.5), "adam");
  EXPECT_EQ(p.FromUnit(1), "ftrl");
  EXPECT_DOUBLE_EQ(*p.ToUnit("ftrl"), 5.0 / 6);
  EXPECT_EQ(p.ToUnit("rmsprop"), std::nullopt);
  EXPECT_DOUBLE_EQ(p.UnitOfIndex(0), 1.0 / 6);
}

TEST(UnitCoordinateTest, SingleValuesSitInTheMiddle) {
  EXPECT_DOUBLE_EQ(*Parse(Range("x", api::DOUBLE, "3", "3")).ToUnit("3"), 0.5);
  EXPECT_EQ(Parse(Range("x", api::DOUBLE, "3", "3")).FromUnit(0.9), "3");
  EXPECT_DOUBLE_EQ(*Parse(Range("n", api::INT, "7", "7")).ToUnit("7"), 0.5);
  EXPECT_DOUBLE_EQ(*Parse(List("d", api::DISCRETE, {"2"})).ToUnit("2"), 0.5);
}

api::Trial WithValue(api::Trial trial, api::TrialStatus::TrialConditionType condition,
                     const std::string& metric, const std::string& value) {
  trial.mutable_status()->set_condition(condition);
  auto* m = trial.mutable_status()->mutable_observation()->add_metrics();
  m->set_name(metric);
  m->set_value(value);
  return trial;
}

TEST(TrialTableTest, OutcomesAndLossesFollowKatibsRules) {
  api::Experiment e = MakeExperiment(
      "x", {Range("x", api::DOUBLE, "0", "10"), List("c", api::CATEGORICAL, {"a", "b"})});
  e.mutable_spec()->mutable_objective()->set_objective_metric_name("acc");
  e.mutable_spec()->mutable_objective()->set_type(api::MAXIMIZE);
  absl::StatusOr<SearchSpace> space = SearchSpace::FromProto(e);
  ASSERT_TRUE(space.ok());
  TrialTable table(*space, e);

  google::protobuf::RepeatedPtrField<api::Trial> trials;
  *trials.Add() = WithValue(MakeTrial("t1", {{"x", "5"}, {"c", "b"}}), api::TrialStatus::SUCCEEDED,
                            "acc", "0.9");
  *trials.Add() = WithValue(MakeTrial("t2", {{"x", "1"}, {"c", "a"}}),
                            api::TrialStatus::EARLYSTOPPED, "acc", "0.5");
  *trials.Add() = WithValue(MakeTrial("t3", {{"x", "2"}, {"c", "a"}}), api::TrialStatus::SUCCEEDED,
                            "acc", "nan");
  *trials.Add() =
      WithValue(MakeTrial("t4", {{"x", "3"}, {"c", "a"}}), api::TrialStatus::FAILED, "acc", "0.99");
  api::Trial running = MakeTrial("t5", {{"x", "11"}, {"c", "a"}});
  running.mutable_status()->set_condition(api::TrialStatus::RUNNING);
  *trials.Add() = running;
  EXPECT_THAT(table.Upsert(trials), ElementsAre(0, 1, 2, 3, 4));

  const std::vector<TrialRecord>& r = table.records();
  EXPECT_EQ(r[0].outcome, TrialOutcome::kCompleted);
  EXPECT_DOUBLE_EQ(r[0].loss, -0.9);  // maximize: negated
  EXPECT_THAT(r[0].unit, ElementsAre(0.5, 0.75));
  EXPECT_EQ(r[1].outcome, TrialOutcome::kCompleted);
  EXPECT_EQ(r[2].outcome, TrialOutcome::kFailed);  // no finite value
  EXPECT_TRUE(std::isnan(r[2].loss));
  EXPECT_EQ(r[3].outcome, TrialOutcome::kFailed);  // a failed trial's value is never good
  EXPECT_EQ(r[4].outcome, TrialOutcome::kPending);
  EXPECT_FALSE(r[4].in_space);  // x = 11 is outside [0, 10]
  EXPECT_EQ(table.count(TrialOutcome::kCompleted), 2u);
  EXPECT_EQ(table.count(TrialOutcome::kFailed), 2u);
  EXPECT_EQ(table.count(TrialOutcome::kPending), 1u);

  // The running trial completes; an unchanged one is not reported again.
  google::protobuf::RepeatedPtrField<api::Trial> delta;
  *delta.Add() = WithValue(running, api::TrialStatus::SUCCEEDED, "acc", "0.1");
  *delta.Add() = trials[0];
  EXPECT_THAT(table.Upsert(delta), ElementsAre(4));
  EXPECT_EQ(table.size(), 5u);
  EXPECT_EQ(table.count(TrialOutcome::kPending), 0u);
  EXPECT_EQ(table.count(TrialOutcome::kCompleted), 3u);
}

}  // namespace
}  // namespace ktune::algorithms
