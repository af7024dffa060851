#pragma once
// The kubeflow.org/v1beta1 model: Experiment, Trial and their status, in Katib's shape.
//
// These are plain value types (copyable, no invariants enforced); parsing, defaults and
// validation live in codec.h / defaults.h. Field names follow Katib's JSON names in
// snake_case. Optional Katib fields (pointers in Go) are std::optional here so that "unset"
// survives a round trip. Numbers in feasibleSpace stay strings, exactly as in Katib.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ktune::core {

inline constexpr char kApiVersion[] = "kubeflow.org/v1beta1";
inline constexpr char kExperimentLabel[] = "katib.kubeflow.org/experiment";
inline constexpr char kTrialLabel[] = "katib.kubeflow.org/trial";
// Katib's value for "the metric was not reported".
inline constexpr char kUnavailable[] = "unavailable";

struct ObjectMeta {
  std::string name;
  std::string namespace_ = "default";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string uid;
  std::string creation_timestamp;  // RFC3339, empty when unknown
  // Set by the store on every read and write: the store-wide revision of the object's last
  // write, in decimal (Kubernetes' opaque metadata.resourceVersion). Empty: not stored yet, or
  // "no precondition" when writing.
  std::string resource_version;
  // Bumped by the store when the spec changes (Kubernetes' metadata.generation); 0: unknown.
  int64_t generation = 0;
};

// ---- spec -----------------------------------------------------------------------------------

struct FeasibleSpace {
  std::string max;
  std::string min;
  std::vector<std::string> list;
  std::string step;
  std::string distribution;  // uniform | logUniform | normal | logNormal | unknown | ""
};

struct ParameterSpec {
  std::string name;
  std::string parameter_type;  // double | int | discrete | categorical | unknown
  FeasibleSpace feasible_space;
};

struct MetricStrategy {
  std::string name;
  std::string value;  // min | max | latest
};

struct ObjectiveSpec {
  std::string type;  // minimize | maximize
  std::optional<double> goal;
  std::string objective_metric_name;
  std::vector<std::string> additional_metric_names;
  std::vector<MetricStrategy> metric_strategies;
};

struct Setting {
  std::string name;
  std::string value;
};

struct AlgorithmSpec {
  std::string algorithm_name;
  std::vector<Setting> algorithm_settings;
};

struct EarlyStoppingSpec {
  std::string algorithm_name;
  std::vector<Setting> algorithm_settings;
};

struct EarlyStoppingRule {
  std::string name;
  std::string value;
  std::string comparison;  // equal | less | greater
  int32_t start_step = 0;
};

struct FileSystemPath {
  std::string path;
  std::string kind;    // File | Directory
  std::string format;  // TEXT | JSON
};

struct MetricsCollectorSpec {
  // collector
  std::string kind;  // StdOut | File | TensorFlowEvent | PrometheusMetric | Custom | Push
  std::optional<nlohmann::json> custom_collector;  // corev1.Container, kept verbatim
  // source
  std::optional<FileSystemPath> file_system_path;
  std::optional<nlohmann::json> http_get;                  // corev1.HTTPGetAction, kept verbatim
  std::optional<std::vector<std::string>> metrics_format;  // source.filter.metricsFormat
};

struct TrialParameterSpec {
  std::string name;
  std::string description;
  std::string reference;
};

struct ConfigMapSource {
  std::string config_map_name;
  std::string config_map_namespace;
  std::string template_path;
};

struct TrialTemplate {
  bool retain = false;
  std::optional<nlohmann::json> trial_spec;  // unstructured object, unknown fields preserved
  std::optional<ConfigMapSource> config_map;
  // nullopt = field absent; an empty vector = `trialParameters: []` was written.
  std::optional<std::vector<TrialParameterSpec>> trial_parameters;
  std::map<std::string, std::string> primary_pod_labels;
  std::string primary_container_name;
  std::string success_condition;
  std::string failure_condition;
};

struct GraphConfig {
  std::optional<int32_t> num_layers;
  std::vector<int32_t> input_sizes;
  std::vector<int32_t> output_sizes;
};

struct NasOperation {
  std::string operation_type;
  std::vector<ParameterSpec> parameters;
};

struct NasConfig {
  GraphConfig graph_config;
  std::vector<NasOperation> operations;
};

struct ExperimentSpec {
  std::vector<ParameterSpec> parameters;
  std::optional<ObjectiveSpec> objective;
  std::optional<AlgorithmSpec> algorithm;
  std::optional<EarlyStoppingSpec> early_stopping;
  std::optional<TrialTemplate> trial_template;
  std::optional<int32_t> parallel_trial_count;
  std::optional<int32_t> max_trial_count;
  std::optional<int32_t> max_failed_trial_count;
  std::optional<MetricsCollectorSpec> metrics_collector_spec;
  std::optional<NasConfig> nas_config;
  std::string resume_policy;  // Never | LongRunning | FromVolume | ""
};

// ---- status ---------------------------------------------------------------------------------

struct Condition {
  std::string type;
  std::string status;  // True | False | Unknown
  std::string reason;
  std::string message;
  std::string last_update_time;      // RFC3339
  std::string last_transition_time;  // RFC3339
};

// Values as text, as Katib stores them. min and max are finite numbers (core/number.h) or
// kUnavailable when the metric had no finite value; latest is the newest value as reported,
// which may be `nan`, `inf` or other text (see core/conditions.h, ComputeObservation).
struct MetricObservation {
  std::string name;
  std::string min;
  std::string max;
  std::string latest;
};

struct Observation {
  std::vector<MetricObservation> metrics;
};

struct ParameterAssignment {
  std::string name;
  std::string value;
};

struct OptimalTrial {
  std::string best_trial_name;
  std::vector<ParameterAssignment> parameter_assignments;
  Observation observation;
};

struct ExperimentStatus {
  std::string start_time;
  std::string completion_time;
  std::string last_reconcile_time;
  std::vector<Condition> conditions;
  OptimalTrial current_optimal_trial;
  std::vector<std::string> running_trial_list, pending_trial_list, failed_trial_list,
      succeeded_trial_list, killed_trial_list, early_stopped_trial_list,
      metrics_unavailable_trial_list;
  int32_t trials = 0;
  int32_t trials_succeeded = 0;
  int32_t trials_failed = 0;
  int32_t trials_killed = 0;
  int32_t trials_pending = 0;
  int32_t trials_running = 0;
  int32_t trials_early_stopped = 0;
  int32_t trial_metrics_unavailable = 0;
};

struct Experiment {
  std::string api_version = kApiVersion;
  std::string kind = "Experiment";
  ObjectMeta metadata;
  ExperimentSpec spec;
  ExperimentStatus status;
};

struct TrialSpec {
  ObjectiveSpec objective;
  std::vector<ParameterAssignment> parameter_assignments;
  std::vector<EarlyStoppingRule> early_stopping_rules;
  nlohmann::json run_spec;  // rendered trial template
  bool retain_run = false;
  MetricsCollectorSpec metrics_collector;
  std::map<std::string, std::string> primary_pod_labels;
  std::string primary_container_name;
  std::string success_condition;
  std::string failure_condition;
  std::map<std::string, std::string> labels;
};

struct TrialStatus {
  std::string start_time;
  std::string completion_time;
  std::string last_reconcile_time;
  std::vector<Condition> conditions;
  std::optional<Observation> observation;
};

struct Trial {
  std::string api_version = kApiVersion;
  std::string kind = "Trial";
  ObjectMeta metadata;
  TrialSpec spec;
  TrialStatus status;
};

// One stored sample of a metric, as in Katib's observation_logs table.
struct MetricLog {
  std::string time_stamp;  // RFC3339 (fractional seconds allowed); compared as parsed times
  std::string name;
  std::string value;  // as reported: a number, a non-finite word or text
};

}  // namespace ktune::core
