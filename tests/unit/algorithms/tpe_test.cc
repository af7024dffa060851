// The tpe and multivariate-tpe plugins, loaded from the build tree through the registry, and
// the Parzen estimators they share.

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/algorithms/plugin_fixture.h"

namespace ktune::algorithms::testing {
namespace {

using ::testing::SizeIs;

class TpeTest : public ::testing::TestWithParam<std::string> {
 protected:
  const std::string& algorithm() const { return GetParam(); }

  api::Experiment Experiment(std::vector<api::ParameterSpec> parameters,
                             std::vector<std::pair<std::string, std::string>> settings = {}) {
    api::Experiment e = MakeExperiment(algorithm(), parameters, settings);
    e.mutable_spec()->mutable_objective()->set_objective_metric_name("loss");
    e.mutable_spec()->mutable_objective()->set_type(api::MINIMIZE);
    return e;
  }

  api::Experiment Mixed(const std::string& seed = "3") {
    return Experiment(
        {Range("lr", api::DOUBLE, "1e-4", "1e-1", "", api::LOG_UNIFORM),
         Range("layers", api::INT, "1", "8"), Range("dropout", api::DOUBLE, "0", "0.5", "0.05"),
         Range("width", api::INT, "16", "256", "16", api::NORMAL),
         Range("decay", api::DOUBLE, "1e-6", "1e-2", "", api::LOG_NORMAL),
         List("batch", api::DISCRETE, {"16", "32", "64"}),
         List("optimizer", api::CATEGORICAL, {"sgd", "adam", "ftrl"})},
        {{"random_state", seed}});
  }
};

api::Trial Finished(const std::string& name, const Point& point, double loss) {
  api::Trial t = MakeTrial(name, point);
  auto* m = t.mutable_status()->mutable_observation()->add_metrics();
  m->set_name("loss");
  m->set_value(std::to_string(loss));
  return t;
}

double Number(const Point& p, const std::string& name) {
  double v = 0;
  EXPECT_TRUE(absl::SimpleAtod(p.at(name), &v)) << p.at(name);
  return v;
}

// Runs `trials` sequential suggestions on f, reporting each result; returns every point.
template <typename F>
std::vector<Point> RunSequential(suggestion::AlgorithmInstance& instance, const api::Experiment& e,
                                 int trials, F f, std::vector<double>* losses = nullptr,
                                 int asked = 0) {
  std::vector<Point> points;
  std::vector<api::Trial> sent;
  for (int i = 0; i < trials; ++i) {
    std::vector<Point> got = Ask(instance, e, 1, asked + i + 1, sent);
    sent.clear();
    if (got.empty()) break;
    const double loss = f(got[0]);
    if (losses) losses->push_back(loss);
    sent.push_back(Finished("t" + std::to_string(i), got[0], loss));
    points.push_back(got[0]);
  }
  return points;
}

double Quadratic(const Point& p) {
  const double x = Number(p, "x"), y = Number(p, "y");
  return (x - 0.7) * (x - 0.7) + (y - 0.2) * (y - 0.2);
}

TEST_P(TpeTest, ValuesStayInTheirSpacesAndTypes) {
  const api::Experiment e = Mixed();
  auto instance = NewInstance(e);
  ASSERT_NE(instance, nullptr);
  // Past the start, so that the model makes most of these.
  std::vector<Point> points = RunSequential(*instance, e, 40, [](const Point& p) {
    return std::log10(Number(p, "lr")) + Number(p, "layers") + Number(p, "dropout") +
           (p.at("optimizer") == "adam" ? 0 : 1);
  });
  ASSERT_THAT(points, SizeIs(40));
  std::set<std::string> optimizers;
  for (const Point& p : points) {
    EXPECT_GE(Number(p, "lr"), 1e-4);
    EXPECT_LE(Number(p, "lr"), 1e-1);
    int layers = 0;
    EXPECT_TRUE(absl::SimpleAtoi(p.at("layers"), &layers)) << p.at("layers");
    EXPECT_GE(layers, 1);
    EXPECT_LE(layers, 8);
    const double dropout = Number(p, "dropout");
    EXPECT_NEAR(dropout / 0.05, std::round(dropout / 0.05), 1e-9) << p.at("dropout");
    EXPECT_LE(p.at("dropout").size(), 4u) << p.at("dropout");
    int width = 0;
    EXPECT_TRUE(absl::SimpleAtoi(p.at("width"), &width)) << p.at("width");
    EXPECT_EQ(width % 16, 0);
    EXPECT_GE(width, 16);
    EXPECT_LE(width, 256);
    EXPECT_GE(Number(p, "decay"), 1e-6);
    EXPECT_LE(Number(p, "decay"), 1e-2);
    EXPECT_THAT(p.at("batch"), ::testing::AnyOf("16", "32", "64"));
    optimizers.insert(p.at("optimizer"));
  }
  EXPECT_THAT(optimizers, ::testing::Contains("adam"));
}

TEST_P(TpeTest, LogScaleSpreadsOverDecades) {
  const api::Experiment e = Experiment(
      {Range("lr", api::DOUBLE, "1e-6", "1", "", api::LOG_UNIFORM)}, {{"random_state", "1"}});
  auto instance = NewInstance(e);
  // Start points cover the decades evenly: on a linear scale nearly all would be above 0.1.
  std::vector<Point> points = Ask(*instance, e, 10, 10);
  ASSERT_THAT(points, SizeIs(10));
  int below = 0;
  for (const Point& p : points) below += Number(p, "lr") < 1e-3 ? 1 : 0;
  EXPECT_GE(below, 3);
  // The model finds the decade that is good.
  std::vector<double> losses;
  std::vector<api::Trial> trials;
  for (size_t i = 0; i < points.size(); ++i) {
    trials.push_back(Finished("s" + std::to_string(i), points[i],
                              std::abs(std::log10(Number(points[i], "lr")) + 4.5)));
  }
  Ask(*instance, e, 0, 10, trials);
  std::vector<Point> later = RunSequential(
      *instance, e, 20, [](const Point& p) { return std::abs(std::log10(Number(p, "lr")) + 4.5); },
      nullptr, 10);
  int near = 0;
  for (const Point& p : later) near += std::abs(std::log10(Number(p, "lr")) + 4.5) < 1 ? 1 : 0;
  EXPECT_GE(near, 10) << "of 20 after the start";
}

TEST_P(TpeTest, BeatsRandomOnASimpleFunction) {
  // Median of 5 fixed seeds, 30 trials: the model's best is far below random's.
  std::vector<double> tpe_best, random_best;
  for (int seed = 1; seed <= 5; ++seed) {
    const std::vector<api::ParameterSpec> space = {Range("x", api::DOUBLE, "0", "1"),
                                                   Range("y", api::DOUBLE, "0", "1")};
    api::Experiment e = Experiment(space, {{"random_state", std::to_string(seed)}});
    std::vector<double> losses;
    RunSequential(*NewInstance(e), e, 30, Quadratic, &losses);
    tpe_best.push_back(*std::min_element(losses.begin(), losses.end()));
    api::Experiment r = MakeExperiment("random", space, {{"random_state", std::to_string(seed)}});
    losses.clear();
    RunSequential(*NewInstance(r), r, 30, Quadratic, &losses);
    random_best.push_back(*std::min_element(losses.begin(), losses.end()));
  }
  std::sort(tpe_best.begin(), tpe_best.end());
  std::sort(random_best.begin(), random_best.end());
  EXPECT_LT(tpe_best[2] * 3, random_best[2]) << tpe_best[2] << " vs " << random_best[2];
}

TEST_P(TpeTest, BatchesAreDistinctAndTakeRunningTrialsIntoAccount) {
  const api::Experiment e =
      Experiment({Range("x", api::DOUBLE, "0", "1"), Range("y", api::DOUBLE, "0", "1")},
                 {{"random_state", "9"}});
  auto instance = NewInstance(e);
  std::vector<double> losses;
  RunSequential(*instance, e, 15, Quadratic, &losses);
  // A batch of 8 with 4 more running: all distinct, and spread out, not piled on one spot.
  std::vector<api::Trial> running;
  for (const Point& p : Ask(*instance, e, 4, 19)) {
    api::Trial t = MakeTrial("r" + std::to_string(running.size()), p);
    t.mutable_status()->set_condition(api::TrialStatus::RUNNING);
    running.push_back(t);
  }
  std::vector<Point> batch = Ask(*instance, e, 8, 27, running);
  ASSERT_THAT(batch, SizeIs(8));
  for (const api::Trial& t : running)
    batch.push_back(ToPoint(t.spec().parameter_assignments().assignments()));
  double min_distance = 1;
  for (size_t i = 0; i < batch.size(); ++i) {
    for (size_t j = i + 1; j < batch.size(); ++j) {
      min_distance =
          std::min(min_distance, std::hypot(Number(batch[i], "x") - Number(batch[j], "x"),
                                            Number(batch[i], "y") - Number(batch[j], "y")));
    }
  }
  EXPECT_GT(min_distance, 1e-3);
}

TEST_P(TpeTest, SameRandomStateGivesTheSameSuggestions) {
  auto f = [](const Point& p) { return Number(p, "lr") * Number(p, "layers"); };
  auto a = NewInstance(Mixed("42"));
  auto b = NewInstance(Mixed("42"));
  auto c = NewInstance(Mixed("43"));
  std::vector<Point> from_a = RunSequential(*a, Mixed("42"), 15, f);
  EXPECT_EQ(from_a, RunSequential(*b, Mixed("42"), 15, f));
  EXPECT_NE(from_a, RunSequential(*c, Mixed("43"), 15, f));
}

TEST_P(TpeTest, NewInstanceWithTheHistoryContinuesTheSameWay) {
  const api::Experiment e = Mixed("5");
  auto f = [](const Point& p) { return Number(p, "dropout") + Number(p, "layers"); };
  auto first = NewInstance(e);
  std::vector<Point> points = RunSequential(*first, e, 14, f);
  std::vector<api::Trial> history;
  for (size_t i = 0; i < points.size(); ++i)
    history.push_back(Finished("t" + std::to_string(i), points[i], f(points[i])));
  // RunSequential reported every result but the last.
  std::vector<Point> next = Ask(*first, e, 2, 16, {history.back()});
  auto restarted = NewInstance(e);
  EXPECT_EQ(Ask(*restarted, e, 2, 16, history), next);
}

TEST_P(TpeTest, ExhaustsADiscreteSpaceWithoutRepeats) {
  // 3 x 2 x 2 = 12 points.
  const api::Experiment e =
      Experiment({Range("n", api::INT, "1", "3"), List("opt", api::CATEGORICAL, {"sgd", "adam"}),
                  List("bs", api::DISCRETE, {"16", "32"})},
                 {{"random_state", "2"}});
  auto instance = NewInstance(e);
  std::vector<Point> all = RunSequential(*instance, e, 12, [](const Point& p) {
    return Number(p, "n") + (p.at("opt") == "sgd" ? 1 : 0) + Number(p, "bs") / 16;
  });
  ASSERT_THAT(all, SizeIs(12));
  EXPECT_EQ(std::set<Point>(all.begin(), all.end()).size(), 12u);
  EXPECT_THAT(Ask(*instance, e, 3, 15), SizeIs(0));  // used up: fewer than asked
}

TEST_P(TpeTest, BatchInANearlyExhaustedSpaceReturnsWhatIsLeft) {
  const api::Experiment e = Experiment({Range("n", api::INT, "1", "4")}, {{"random_state", "2"}});
  auto instance = NewInstance(e);
  std::vector<Point> first =
      RunSequential(*instance, e, 2, [](const Point& p) { return Number(p, "n"); });
  std::vector<Point> rest = Ask(*instance, e, 5, 7);
  EXPECT_THAT(rest, SizeIs(2));
  first.insert(first.end(), rest.begin(), rest.end());
  EXPECT_EQ(std::set<Point>(first.begin(), first.end()).size(), 4u);
}

TEST_P(TpeTest, AllTrialsFailedStillSuggests) {
  const api::Experiment e = Mixed("8");
  auto instance = NewInstance(e);
  std::vector<api::Trial> failed;
  std::vector<Point> seen;
  for (int i = 0; i < 25; ++i) {
    std::vector<Point> got = Ask(*instance, e, 1, i + 1, failed);
    ASSERT_THAT(got, SizeIs(1));
    seen.push_back(got[0]);
    failed.clear();
    api::Trial t = MakeTrial("f" + std::to_string(i), got[0]);
    t.mutable_status()->set_condition(api::TrialStatus::FAILED);
    failed.push_back(t);
  }
  EXPECT_EQ(std::set<Point>(seen.begin(), seen.end()).size(), seen.size());
}

TEST_P(TpeTest, FailedTrialsAreNeverGood) {
  // Every trial above x = 0.8 fails; the best completed ones are near 0.6. Were failures good
  // (or ignored while the good ones drift there), suggestions would pile up above 0.8.
  const api::Experiment e =
      Experiment({Range("x", api::DOUBLE, "0", "1")}, {{"random_state", "4"}});
  auto instance = NewInstance(e);
  std::vector<api::Trial> sent;
  int near_failures = 0;
  for (int i = 0; i < 40; ++i) {
    std::vector<Point> got = Ask(*instance, e, 1, i + 1, sent);
    ASSERT_THAT(got, SizeIs(1));
    sent.clear();
    const double x = Number(got[0], "x");
    if (x > 0.8) {
      if (i >= 10) ++near_failures;
      api::Trial t = MakeTrial("t" + std::to_string(i), got[0]);
      t.mutable_status()->set_condition(api::TrialStatus::FAILED);
      sent.push_back(t);
    } else {
      sent.push_back(Finished("t" + std::to_string(i), got[0], std::abs(x - 0.6)));
    }
  }
  EXPECT_LE(near_failures, 6);
}

INSTANTIATE_TEST_SUITE_P(Both, TpeTest, ::testing::Values("tpe", "multivariate-tpe"),
                         [](const auto& info) {
                           return info.param == "tpe" ? std::string("Tpe")
                                                      : std::string("MultivariateTpe");
                         });

api::Experiment WithSettings(const std::string& algorithm,
                             std::vector<std::pair<std::string, std::string>> settings) {
  return MakeExperiment(algorithm, {Range("x", api::DOUBLE, "0", "1")}, settings);
}

TEST(TpeSettingsTest, KatibMessages) {
  EXPECT_EQ(ValidationError(WithSettings("tpe", {})), "OK");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"gamma", "0.3"},
                                                 {"prior_weight", "2"},
                                                 {"n_EI_candidates", "50"},
                                                 {"random_state", "0"}})),
            "OK");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"gamma", "1"}})),
            "tpe: gamma should be in the range of (0, 1)");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"gamma", "0"}})),
            "tpe: gamma should be in the range of (0, 1)");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"gamma", "abc"}})),
            "tpe: failed to validate gamma(abc): not a number");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"prior_weight", "0"}})),
            "tpe: prior_weight should be great than zero");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"n_EI_candidates", "0"}})),
            "tpe: n_EI_candidates should be great than zero");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"n_EI_candidates", "2.5"}})),
            "tpe: failed to validate n_EI_candidates(2.5): not an integer");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"random_state", "-1"}})),
            "tpe: random_state should be great or equal than zero");
  EXPECT_EQ(ValidationError(WithSettings("tpe", {{"n_startup_jobs", "5"}})),
            "tpe: unknown setting n_startup_jobs for algorithm tpe");
}

TEST(MultivariateTpeSettingsTest, KatibMessages) {
  const std::string mv = "multivariate-tpe";
  EXPECT_EQ(ValidationError(WithSettings(mv, {})), "OK");
  EXPECT_EQ(ValidationError(WithSettings(
                mv, {{"n_startup_trials", "0"}, {"n_ei_candidates", "10"}, {"random_state", "7"}})),
            "OK");
  EXPECT_EQ(ValidationError(WithSettings(mv, {{"n_startup_trials", "-1"}})),
            "multivariate-tpe: n_startup_trials should be greate or equal than zero");
  EXPECT_EQ(ValidationError(WithSettings(mv, {{"n_ei_candidates", "-3"}})),
            "multivariate-tpe: n_ei_candidates should be greate or equal than zero");
  EXPECT_EQ(ValidationError(WithSettings(mv, {{"random_state", "-2"}})),
            "multivariate-tpe: random_state should be greate or equal than zero");
  EXPECT_EQ(ValidationError(WithSettings(mv, {{"random_state", "x"}})),
            "multivariate-tpe: failed to validate random_state(x): not an integer");
  EXPECT_EQ(ValidationError(WithSettings(mv, {{"seed", "1"}})),
            "multivariate-tpe: unknown setting seed for algorithm multivariate-tpe");
}

TEST(MultivariateTpeTest, NStartupTrialsSetsTheRandomStart) {
  // With no start, the second suggestion already comes from the model, near the good point.
  const api::Experiment e = MakeExperiment("multivariate-tpe", {Range("x", api::DOUBLE, "0", "1")},
                                           {{"n_startup_trials", "0"}, {"random_state", "1"}});
  auto instance = NewInstance(e);
  ASSERT_THAT(Ask(*instance, e, 1, 1), SizeIs(1));
}

}  // namespace
}  // namespace ktune::algorithms::testing
