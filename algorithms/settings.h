#pragma once
// Checks of spec.algorithm.algorithmSettings with Katib's messages (KATIB.md §8), shared by
// algorithm plugins (target ktune_search_space).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/search_space.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

class Host;  // algorithms/plugin.h

// InvalidArgument `unknown setting <name> for algorithm <algorithm>` for the first setting
// whose name is not in `known`.
absl::Status CheckSettingNames(const api::v1::beta1::Experiment& experiment,
                               std::string_view algorithm,
                               std::initializer_list<std::string_view> known);

// The value of setting `name` (the last one when repeated), or nullopt.
std::optional<std::string> FindSetting(const api::v1::beta1::Experiment& experiment,
                                       std::string_view name);

// An integer >= 0. InvalidArgument `failed to validate <name>(<value>): <reason>` when it is
// not an integer, `<name> should be great or equal than zero` when negative.
absl::StatusOr<int64_t> ParseNonNegativeIntSetting(std::string_view name, std::string_view value);

// The `random_state` setting (an integer >= 0), nullopt when absent.
absl::StatusOr<std::optional<uint64_t>> ParseRandomState(
    const api::v1::beta1::Experiment& experiment);

// The settings of a plugin whose only setting is random_state, in the order Katib's services
// check them: the setting names, random_state, then the search space
// (SearchSpace::FromProto).
absl::StatusOr<std::pair<SearchSpace, std::optional<uint64_t>>> ParseSpaceAndRandomState(
    const api::v1::beta1::Experiment& experiment, std::string_view algorithm);

// The seed of an instance's random choices: `random_state` when set, else one drawn from
// std::random_device (`drawn`).
struct SeedChoice {
  uint64_t seed = 0;
  bool drawn = false;
};
SeedChoice ChooseSeed(std::optional<uint64_t> random_state);

// Logs a drawn seed at info level, `random_state is not set; drew seed <seed> (set random_state
// to it to repeat this sequence)`: the only way to reproduce such a run afterwards.
void LogDrawnSeed(const Host& host, uint64_t seed);

// ChooseSeed, logging the seed through LogDrawnSeed when it was drawn (call at Create time).
uint64_t SeedForInstance(std::optional<uint64_t> random_state, const Host& host);

}  // namespace ktune::algorithms
