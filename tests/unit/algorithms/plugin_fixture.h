#pragma once
// Loads the built plugins (KTUNE_PLUGIN_DIR) through the registry, as the service does.

#include <memory>
#include <string>

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

}  // namespace ktune::algorithms::testing
