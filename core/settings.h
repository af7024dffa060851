#pragma once
// Lists of Katib settings (AlgorithmSetting, EarlyStoppingSetting: name/value pairs).
//
// Thread-safety: pure functions.

#include <vector>

#include "core/experiment.h"

namespace ktune::core {

// Merges `from` into `into` as Katib merges the settings a suggestion service returns into the
// experiment's: a setting whose name is already in `into` replaces the value of the first one
// with that name, in place; a new name is appended. `into` keeps its order, new names follow in
// the order of `from`. `into` and `from` must not be the same list.
void MergeSettings(std::vector<Setting>& into, const std::vector<Setting>& from);

}  // namespace ktune::core
