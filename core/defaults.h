#pragma once
// Katib's mutating-webhook defaults (Experiment.SetDefault), applied in Katib's order:
// parallelTrialCount=3, resumePolicy=Never, objective metricStrategies, trial template
// success/failure conditions and primaryPodLabels by kind, metrics collector, distribution
// uniform. Nothing else is defaulted.

#include "core/experiment.h"

namespace ktune::core {

inline constexpr int32_t kDefaultParallelTrialCount = 3;
inline constexpr char kDefaultMetricsFilter[] =
    R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))";
inline constexpr char kDefaultFilePath[] = "/var/log/katib/metrics.log";
inline constexpr char kDefaultTensorflowEventDirPath[] = "/var/log/katib/tfevent/";

void SetDefaults(Experiment& experiment);

// The strategy ("min" | "max" | "latest") in force for `metric_name`, after defaults:
// the explicit one, else min for minimize, max for maximize, else latest.
std::string StrategyFor(const ObjectiveSpec& objective, const std::string& metric_name);

}  // namespace ktune::core
