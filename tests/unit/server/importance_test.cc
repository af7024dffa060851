// PED-ANOVA importance (server/importance.h) on data whose answer a user knows: the parameter
// that drives the objective gets most of the importance, one that does nothing gets little.

#include "server/importance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace ktune::server {
namespace {

using ::testing::HasSubstr;

double Of(const std::vector<Importance>& list, const std::string& name) {
  for (const Importance& i : list) {
    if (i.parameter == name) return i.importance;
  }
  ADD_FAILURE() << "no parameter " << name;
  return -1;
}

ImportanceAxis Axis(const std::string& name) { return ImportanceAxis{name, false, {}}; }

double Sum(const std::vector<Importance>& list) {
  double s = 0;
  for (const Importance& i : list) s += i.importance;
  return s;
}

TEST(PedAnovaTest, TheParameterThatDrivesTheObjectiveGetsMostOfTheImportance) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> units;
  std::vector<double> losses;
  for (int i = 0; i < 300; ++i) {
    const double x = u(rng), y = u(rng), z = u(rng);
    units.push_back({x, y, z});
    // x decides; y barely; z not at all.
    losses.push_back((x - 0.3) * (x - 0.3) + 0.01 * y);
  }
  absl::StatusOr<std::vector<Importance>> got =
      PedAnovaImportance({Axis("x"), Axis("y"), Axis("z")}, units, losses);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].parameter, "x");  // largest first
  EXPECT_GT(Of(*got, "x"), 0.8);
  EXPECT_LT(Of(*got, "z"), 0.1);
  EXPECT_NEAR(Sum(*got), 1.0, 1e-9);
}

TEST(PedAnovaTest, WhichEndIsBestMatters) {
  // x shapes the low losses, y the high ones: negating the losses (a maximised objective)
  // turns the answer around.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> units;
  std::vector<double> losses, negated;
  for (int i = 0; i < 300; ++i) {
    const double x = u(rng), y = u(rng);
    units.push_back({x, y});
    const double v = -10 * std::max(0.0, 0.3 - x) + 10 * std::max(0.0, y - 0.7);
    losses.push_back(v);
    negated.push_back(-v);
  }
  absl::StatusOr<std::vector<Importance>> low =
      PedAnovaImportance({Axis("x"), Axis("y")}, units, losses);
  absl::StatusOr<std::vector<Importance>> high =
      PedAnovaImportance({Axis("x"), Axis("y")}, units, negated);
  ASSERT_TRUE(low.ok() && high.ok());
  EXPECT_GT(Of(*low, "x"), 0.7);
  EXPECT_GT(Of(*high, "y"), 0.7);
}

TEST(PedAnovaTest, CategoricalAndDiscreteParametersCountInTheirCells) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> category(0, 3);
  std::uniform_int_distribution<int> level(0, 4);
  std::uniform_real_distribution<double> noise(0, 1);
  // A 4-way categorical (cell centres (k + 0.5) / 4) and a 5-point discrete parameter.
  const std::vector<double> cat_centres = {0.125, 0.375, 0.625, 0.875};
  const std::vector<double> levels = CellCentres({1.0, 0.0, 0.5, 0.25, 0.75});
  ASSERT_EQ(levels, (std::vector<double>{0, 0.25, 0.5, 0.75, 1.0}));
  std::vector<std::vector<double>> units;
  std::vector<double> losses;
  for (int i = 0; i < 200; ++i) {
    const int c = category(rng), l = level(rng);
    units.push_back({cat_centres[c], levels[l]});
    losses.push_back((c == 2 ? 0.0 : 1.0) + 0.1 * noise(rng));
  }
  ImportanceAxis cat{"optimizer", true, cat_centres};
  ImportanceAxis disc{"layers", false, levels};
  absl::StatusOr<std::vector<Importance>> got = PedAnovaImportance({cat, disc}, units, losses);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_GT(Of(*got, "optimizer"), 0.8);
  EXPECT_NEAR(Sum(*got), 1.0, 1e-9);
}

TEST(PedAnovaTest, ASingleValuedParameterHasNoImportance) {
  std::vector<std::vector<double>> units;
  std::vector<double> losses;
  for (int i = 0; i < 20; ++i) {
    units.push_back({i / 19.0, 0.5});
    losses.push_back(i);
  }
  absl::StatusOr<std::vector<Importance>> got =
      PedAnovaImportance({Axis("x"), {"fixed", false, {0.5}}}, units, losses);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_DOUBLE_EQ(Of(*got, "fixed"), 0.0);
  EXPECT_DOUBLE_EQ(Of(*got, "x"), 1.0);
}

TEST(PedAnovaTest, TooFewTrialsIsAClearError) {
  absl::StatusOr<std::vector<Importance>> got =
      PedAnovaImportance({Axis("x")}, {{0.1}, {0.2}, {std::nan("")}}, {1, 2, 3});
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(got.status()));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("needs at least 3 completed trials"));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("has 2"));
  EXPECT_TRUE(absl::IsInvalidArgument(PedAnovaImportance({Axis("x")}, {{0.1}}, {1, 2}).status()));
}

}  // namespace
}  // namespace ktune::server
