#pragma once
// Katib's pod mutating webhook (sidecar injection, KATIB.md §3.4) as a pure function:
// (pod, its Trial, configuration) -> JSON patch. No Kubernetes client is involved; finding
// the Trial that owns a pod is the caller's job.

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include "absl/status/statusor.h"
#include "core/experiment.h"

namespace ktune::webhook {

// Names the mutation writes into pods (Katib's constants).
inline constexpr char kLoggerAndCollectorContainerName[] = "metrics-logger-and-collector";
inline constexpr char kCollectorContainerName[] = "metrics-collector";
inline constexpr char kMetricsVolumeName[] = "metrics-volume";
inline constexpr char kSuggestionVolumeName[] = "suggestion-volume";
inline constexpr char kTrialNameEnvVar[] = "KATIB_TRIAL_NAME";
inline constexpr int kEarlyStoppingPort = 6788;

// katib-config's runtime.metricsCollectors entry for one collector kind.
struct CollectorConfig {
  std::string image;
  std::string image_pull_policy = "IfNotPresent";
  nlohmann::json resources;                // corev1.ResourceRequirements; null: Katib's defaults
  std::optional<bool> wait_all_processes;  // emitted as `-w` only when set
};

struct InjectionConfig {
  std::string db_manager_address = "katib-db-manager.kubeflow:6789";
  // By collector kind (StdOut, File, TensorFlowEvent, PrometheusMetric).
  std::map<std::string, CollectorConfig> collectors;
  bool inject_security_context = false;
};

struct PodTrial {
  core::Trial trial;           // the Trial that owns the pod's job
  std::string algorithm_name;  // the experiment's algorithm (names the suggestion service)
  // The Suggestion's `suggestion_trial_dir` setting (PBT), when set.
  std::optional<std::string> suggestion_trial_dir;
};

// The RFC 6902 patch that turns `pod` into the mutated pod. Errors: InvalidArgument with
// Katib's message when the primary container is missing (`Unable to find primary container
// <name> in mutated pod containers <...>`) or when the command to wrap is empty (Katib would
// read the image entrypoint from the registry: ktune asks for an explicit command instead).
//
// For the StdOut and File collectors the primary container's command and args become
// `sh -c <script>` (Katib's wrapWorkerContainer). Unlike Katib, every token of the user's
// command and args, and every path, is shell-quoted in the script (POSIX single quotes where
// a token holds anything but `[A-Za-z0-9_@%+=:,./-]`), so a parameter value such as
// `a;rm -rf x` or `$(touch pwned)` reaches the program as one literal argument and never
// runs as shell code. A command that is itself `sh -c ...` or `bash -c ...` keeps the user's
// script as written (then the user's own quoting decides, as in Katib).
//
// The patch uses only "add" (arrays grow through `/-`), "replace" and "remove" with escaped
// pointers (`katib.kubeflow.org~1trial`), which Kubernetes' JSON-patch applier accepts.
// Other InvalidArgument errors: the pod or one of the fields the mutation touches has the
// wrong JSON type; the collector kind has no entry in `config.collectors` or its image is
// empty (Katib's `Failed to find metrics collector config for kind: <kind> in ConfigMap:
// katib-config` / `Required value for image configuration of metrics collector kind:
// <kind>`); kind Custom without customCollector; stop rules or suggestion_trial_dir on a
// Trial without the `katib.kubeflow.org/experiment` label. Pure and thread-safe.
absl::StatusOr<nlohmann::json> MutatePod(const nlohmann::json& pod, const PodTrial& owner,
                                         const InjectionConfig& config);

// The mutated pod itself (MutatePod's patch applied), for tests and debugging.
absl::StatusOr<nlohmann::json> MutatedPod(const nlohmann::json& pod, const PodTrial& owner,
                                          const InjectionConfig& config);

}  // namespace ktune::webhook
