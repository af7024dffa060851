#pragma once
// Shared by the suggestion tests: the registry over the built and the test plugins, and an
// experiment over one stepped double `lr` with trials of it.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/conditions.h"
#include "core/experiment.h"
#include "gtest/gtest.h"
#include "suggestion/registry.h"

namespace ktune::suggestion::testing {

// Loaded once per test binary (plugins are never unloaded).
inline const AlgorithmRegistry& Registry() {
  static const AlgorithmRegistry* registry = [] {
    auto* r = new AlgorithmRegistry();
    absl::Status s = r->LoadSearchPath({KTUNE_PLUGIN_DIR, KTUNE_TEST_PLUGIN_DIR});
    EXPECT_TRUE(s.ok()) << s;
    return r;
  }();
  return *registry;
}

// `exp`, minimizing `loss`, over lr in [min, max] by `step`, maxTrialCount 20, parallel 2.
inline core::Experiment MakeLrExperiment(const std::string& algorithm,
                                         std::vector<core::Setting> settings,
                                         const std::string& min, const std::string& max,
                                         const std::string& step) {
  core::Experiment e;
  e.metadata.name = "exp";
  core::ParameterSpec lr;
  lr.name = "lr";
  lr.parameter_type = "double";
  lr.feasible_space.min = min;
  lr.feasible_space.max = max;
  lr.feasible_space.step = step;
  e.spec.parameters.push_back(lr);
  core::ObjectiveSpec objective;
  objective.type = "minimize";
  objective.objective_metric_name = "loss";
  e.spec.objective = objective;
  e.spec.algorithm = core::AlgorithmSpec{algorithm, std::move(settings)};
  e.spec.max_trial_count = 20;
  e.spec.parallel_trial_count = 2;
  return e;
}

// A running trial of MakeLrExperiment with lr = `lr`.
inline core::Trial MakeLrTrial(const std::string& name, const std::string& lr,
                               std::map<std::string, std::string> labels = {}) {
  core::Trial t;
  t.metadata.name = name;
  t.spec.parameter_assignments.push_back({"lr", lr});
  t.spec.objective.type = "minimize";
  t.spec.objective.objective_metric_name = "loss";
  t.spec.labels = std::move(labels);
  t.status.conditions.push_back(core::Condition{core::kRunning, "True", "TrialRunning", "",
                                                "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"});
  return t;
}

}  // namespace ktune::suggestion::testing
