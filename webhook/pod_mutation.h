#pragma once
// Katib's pod mutating webhook (sidecar injection, KATIB.md §3.4) as a pure function:
// (pod, its Trial, configuration) -> JSON patch. No Kubernetes client is involved; finding
// the Trial that owns a pod is the caller's job.

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/experiment.h"
#include <nlohmann/json.hpp>

namespace ktune::webhook {

// katib-config's runtime.metricsCollectors entry for one collector kind.
struct CollectorConfig {
  std::string image;
  std::string image_pull_policy = "IfNotPresent";
  nlohmann::json resources;                   // corev1.ResourceRequirements; null: Katib's defaults
  std::optional<bool> wait_all_processes;     // emitted as `-w` only when set
};

struct InjectionConfig {
  std::string db_manager_address = "katib-db-manager.kubeflow:6789";
  // By collector kind (StdOut, File, TensorFlowEvent, PrometheusMetric).
  std::map<std::string, CollectorConfig> collectors;
  bool inject_security_context = false;
};

struct PodTrial {
  core::Trial trial;               // the Trial that owns the pod's job
  std::string algorithm_name;      // the experiment's algorithm (names the suggestion service)
  // The Suggestion's `suggestion_trial_dir` setting (PBT), when set.
  std::optional<std::string> suggestion_trial_dir;
};

// The RFC 6902 patch that turns `pod` into the mutated pod. Errors: InvalidArgument with
// Katib's message when the primary container is missing (`Unable to find primary container
// <name> in mutated pod containers <...>`) or when the command to wrap is empty (Katib would
// read the image entrypoint from the registry: ktune asks for an explicit command instead).
absl::StatusOr<nlohmann::json> MutatePod(const nlohmann::json& pod, const PodTrial& owner,
                                         const InjectionConfig& config);

// The mutated pod itself (MutatePod's patch applied), for tests and debugging.
absl::StatusOr<nlohmann::json> MutatedPod(const nlohmann::json& pod, const PodTrial& owner,
                                          const InjectionConfig& config);

}  // namespace ktune::webhook
