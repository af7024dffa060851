#pragma once
// Checks of spec.algorithm.algorithmSettings with Katib's messages (KATIB.md §8), shared by
// algorithm plugins (target ktune_search_space).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

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

}  // namespace ktune::algorithms
