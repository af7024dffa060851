#pragma once
// Loads the built plugins (KTUNE_PLUGIN_DIR) through the registry, as the service does.

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "suggestion/registry.h"
#include "tests/unit/algorithms/proto_builders.h"

namespace ktune::algorithms::testing {

inline const suggestion::AlgorithmRegistry& BuiltPlugins() {
  static const suggestion::AlgorithmRegistry* registry = [] {
    auto* r = new suggestion::AlgorithmRegistry();
    absl::Status loaded = r->LoadSearchPath({KTUNE_PLUGIN_DIR});
    EXPECT_TRUE(loaded.ok()) << loaded;
    return r;
  }();
  return *registry;
}

inline const suggestion::AlgorithmPlugin& Plugin(const std::string& name) {
  absl::StatusOr<const suggestion::AlgorithmPlugin*> plugin = BuiltPlugins().Find(name);
  EXPECT_TRUE(plugin.ok()) << plugin.status();
  return **plugin;
}

inline std::unique_ptr<suggestion::AlgorithmInstance> NewInstance(const api::Experiment& e) {
  absl::StatusOr<std::unique_ptr<suggestion::AlgorithmInstance>> instance =
      Plugin(e.spec().algorithm().algorithm_name()).Create(e);
  EXPECT_TRUE(instance.ok()) << instance.status();
  return instance.ok() ? *std::move(instance) : nullptr;
}

// The points of one GetSuggestions call; fails the test on error.
inline std::vector<Point> Ask(suggestion::AlgorithmInstance& instance, const api::Experiment& e,
                              int count, int total, const std::vector<api::Trial>& trials = {}) {
  absl::StatusOr<api::GetSuggestionsReply> reply =
      instance.GetSuggestions(MakeRequest(e, count, total, trials));
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? Points(*reply) : std::vector<Point>{};
}

inline std::string ValidationError(const api::Experiment& e) {
  absl::Status s = Plugin(e.spec().algorithm().algorithm_name()).ValidateSettings(e);
  if (s.ok()) return "OK";
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  return std::string(s.message());
}

// lr (logUniform), layers (int), dropout (stepped double) and optimizer (categorical), with
// random_state `seed` ("" for none).
inline api::Experiment MixedSpace(const std::string& algorithm, const std::string& seed = "") {
  std::vector<std::pair<std::string, std::string>> settings;
  if (!seed.empty()) settings.emplace_back("random_state", seed);
  return MakeExperiment(
      algorithm,
      {Range("lr", api::DOUBLE, "1e-4", "1e-1", "", api::LOG_UNIFORM),
       Range("layers", api::INT, "1", "8"), Range("dropout", api::DOUBLE, "0", "0.5", "0.05"),
       List("optimizer", api::CATEGORICAL, {"sgd", "adam", "ftrl"})},
      settings);
}

// n in 1..3 times opt in {sgd, adam}: 6 points; random_state 5.
inline api::Experiment SixPoints(const std::string& algorithm) {
  return MakeExperiment(
      algorithm, {Range("n", api::INT, "1", "3"), List("opt", api::CATEGORICAL, {"sgd", "adam"})},
      {{"random_state", "5"}});
}

// Trials "trial-0", "trial-1", ... at `points`, all with `condition`.
inline std::vector<api::Trial> AsTrials(
    const std::vector<Point>& points,
    api::TrialStatus::TrialConditionType condition = api::TrialStatus::SUCCEEDED) {
  std::vector<api::Trial> trials;
  for (size_t i = 0; i < points.size(); ++i) {
    trials.push_back(MakeTrial("trial-" + std::to_string(i), points[i]));
    trials.back().mutable_status()->set_condition(condition);
  }
  return trials;
}

// ---- The contract of a seeded sequence (random, sobol): point k depends on (seed, k) only ----
// `experiment(seed)` is the experiment with random_state `seed` ("" for none).
using SeededExperiment = std::function<api::Experiment(const std::string& seed)>;

inline void ExpectSameRandomStateGivesTheSameSequence(const SeededExperiment& experiment) {
  auto a = NewInstance(experiment("42"));
  auto b = NewInstance(experiment("42"));
  auto c = NewInstance(experiment("43"));
  std::vector<Point> from_a = Ask(*a, experiment("42"), 5, 5);
  EXPECT_EQ(from_a, Ask(*b, experiment("42"), 5, 5));
  EXPECT_NE(from_a, Ask(*c, experiment("43"), 5, 5));
}

inline void ExpectSequenceDoesNotDependOnBatching(const SeededExperiment& experiment) {
  auto whole = NewInstance(experiment("42"));
  auto split = NewInstance(experiment("42"));
  std::vector<Point> all = Ask(*whole, experiment("42"), 6, 6);
  std::vector<Point> parts = Ask(*split, experiment("42"), 2, 2);
  for (const Point& p : Ask(*split, experiment("42"), 4, 6)) parts.push_back(p);
  EXPECT_EQ(all, parts);
}

// A restart: the new instance gets the whole history and the running total.
inline void ExpectNewInstanceContinuesAtTotalRequestNumber(const SeededExperiment& experiment) {
  auto first = NewInstance(experiment("7"));
  std::vector<Point> early = Ask(*first, experiment("7"), 3, 3);
  std::vector<Point> later = Ask(*first, experiment("7"), 2, 5);
  auto restarted = NewInstance(experiment("7"));
  EXPECT_EQ(Ask(*restarted, experiment("7"), 2, 5, AsTrials(early)), later);
}

inline void ExpectUnseededInstancesDiffer(const SeededExperiment& experiment) {
  auto a = NewInstance(experiment(""));
  auto b = NewInstance(experiment(""));
  EXPECT_NE(Ask(*a, experiment(""), 3, 3), Ask(*b, experiment(""), 3, 3));
}

// `small` has exactly 6 points: 4 + 2 come back, then none, and never a point twice.
inline void ExpectNeverRepeatsAPointAndReportsExhaustion(const api::Experiment& small) {
  auto instance = NewInstance(small);
  std::vector<Point> all = Ask(*instance, small, 4, 4);
  ASSERT_THAT(all, ::testing::SizeIs(4));
  std::vector<Point> rest = Ask(*instance, small, 4, 8, AsTrials(all));
  EXPECT_THAT(rest, ::testing::SizeIs(2));  // fewer than asked: the space is used up
  all.insert(all.end(), rest.begin(), rest.end());
  EXPECT_EQ(std::set<Point>(all.begin(), all.end()).size(), 6u);
  EXPECT_THAT(Ask(*instance, small, 1, 9), ::testing::SizeIs(0));
}

}  // namespace ktune::algorithms::testing
