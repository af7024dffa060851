// The pod mutating webhook's rule, MutatePod, on a JSON input {"pod": <Pod>, "trial": <Trial>,
// "algorithm": <name>, "suggestionTrialDir": <dir>}; a missing or undecodable trial is replaced
// by a StdOut-collector trial of experiment "fuzz". Every patch MutatePod returns must apply
// (MutatedPod).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "core/json_access.h"
#include "webhook/pod_mutation.h"

namespace {

const ktune::webhook::InjectionConfig& Config() {
  static const ktune::webhook::InjectionConfig* config = [] {
    auto* c = new ktune::webhook::InjectionConfig;
    ktune::webhook::CollectorConfig collector;
    collector.image = "docker.io/kubeflowkatib/file-metrics-collector:latest";
    for (const char* kind : {"StdOut", "File", "TensorFlowEvent", "PrometheusMetric"}) {
      c->collectors[kind] = collector;
    }
    c->collectors["File"].wait_all_processes = false;
    c->inject_security_context = true;
    return c;
  }();
  return *config;
}

ktune::core::Trial DefaultTrial() {
  ktune::core::Trial trial;
  trial.metadata.name = "fuzz-trial";
  trial.metadata.labels["katib.kubeflow.org/experiment"] = "fuzz";
  trial.spec.objective.type = "maximize";
  trial.spec.objective.objective_metric_name = "accuracy";
  trial.spec.metrics_collector.kind = "StdOut";
  trial.spec.primary_container_name = "training-container";
  return trial;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<nlohmann::json> input = ktune::core::ParseJsonBounded(text);
  if (!input.ok()) return 0;
  const nlohmann::json* pod = ktune::core::FieldOf(*input, "pod");
  if (pod == nullptr) return 0;

  ktune::webhook::PodTrial owner;
  owner.trial = DefaultTrial();
  if (const nlohmann::json* trial = ktune::core::FieldOf(*input, "trial")) {
    if (absl::StatusOr<ktune::core::Trial> decoded = ktune::core::TrialFromJson(*trial);
        decoded.ok()) {
      owner.trial = *std::move(decoded);
    }
  }
  owner.algorithm_name = ktune::core::StringFieldOr(*input, "algorithm", "random");
  owner.suggestion_trial_dir = ktune::core::StringFieldOf(*input, "suggestionTrialDir");

  absl::StatusOr<nlohmann::json> patch = ktune::webhook::MutatePod(*pod, owner, Config());
  if (!patch.ok()) return 0;
  if (!patch->is_array()) __builtin_trap();
  absl::StatusOr<nlohmann::json> mutated = ktune::webhook::MutatedPod(*pod, owner, Config());
  if (!mutated.ok()) __builtin_trap();  // a patch we send must apply to the pod it was made for
  (void)mutated->dump();
  return 0;
}
