#include "core/defaults.h"

#include <set>
#include <string>

#include "core/json_access.h"

namespace ktune::core {
namespace {

std::string DefaultStrategy(const std::string& objective_type) {
  if (objective_type == "minimize") return "min";
  if (objective_type == "maximize") return "max";
  return "latest";
}

void SetObjectiveDefaults(ObjectiveSpec& o) {
  // Katib's defaulter, exactly: the user's strategies stay first; the objective gets
  // min/max/latest by type; each additional metric without a user strategy gets the same rule,
  // once per occurrence (Katib's set of names is taken before appending, and leaves the
  // objective's own strategy out of it, so duplicates and the objective name repeat).
  std::set<std::string> user_strategies;
  bool objective_has_strategy = false;
  for (const auto& s : o.metric_strategies) {
    if (s.name == o.objective_metric_name) {
      objective_has_strategy = true;
      continue;
    }
    user_strategies.insert(s.name);
  }
  if (!objective_has_strategy) {
    o.metric_strategies.push_back({o.objective_metric_name, DefaultStrategy(o.type)});
  }
  for (const auto& name : o.additional_metric_names) {
    if (user_strategies.count(name)) continue;
    o.metric_strategies.push_back({name, DefaultStrategy(o.type)});
  }
}

void SetTemplateDefaults(TrialTemplate& t) {
  if (!t.trial_spec) return;  // Katib does not default configMap sources.
  // A `kind` that is not a string gets no defaults; validation reports it with its path.
  const std::string kind = StringFieldOr(*t.trial_spec, "kind");
  if (kind == "Job" || kind == "TrainJob") {
    if (t.success_condition.empty()) {
      t.success_condition = R"(status.conditions.#(type=="Complete")#|#(status=="True")#)";
    }
    if (t.failure_condition.empty()) {
      t.failure_condition = R"(status.conditions.#(type=="Failed")#|#(status=="True")#)";
    }
    if (kind == "TrainJob" && t.primary_pod_labels.empty()) {
      t.primary_pod_labels = {{"jobset.sigs.k8s.io/replicatedjob-name", "node"},
                              {"batch.kubernetes.io/job-completion-index", "0"}};
    }
  } else if (kind == "TFJob" || kind == "PyTorchJob" || kind == "XGBoostJob" || kind == "MPIJob") {
    if (t.success_condition.empty()) {
      t.success_condition = R"(status.conditions.#(type=="Succeeded")#|#(status=="True")#)";
    }
    if (t.failure_condition.empty()) {
      t.failure_condition = R"(status.conditions.#(type=="Failed")#|#(status=="True")#)";
    }
    if (t.primary_pod_labels.empty()) {
      t.primary_pod_labels = {{"training.kubeflow.org/job-role", "master"}};
    }
  }
}

void SetCollectorDefaults(std::optional<MetricsCollectorSpec>& spec) {
  if (!spec || spec->kind.empty()) {
    if (!spec) spec.emplace();
    spec->kind = "StdOut";
  }
  MetricsCollectorSpec& m = *spec;
  if (m.kind == "PrometheusMetric") {
    if (!m.http_get) m.http_get = nlohmann::json::object();
    // An httpGet, path or port of the wrong type is kept for validation to report.
    if (!m.http_get->is_object()) return;
    const nlohmann::json* path = FieldOf(*m.http_get, "path");
    if (!path || path->is_null() || *path == "") (*m.http_get)["path"] = "/metrics";
    const auto port = m.http_get->find("port");
    if (port == m.http_get->end() || *port == 0 || *port == "0" || *port == "") {
      (*m.http_get)["port"] = 8080;
    }
  } else if (m.kind == "File") {
    if (!m.file_system_path) m.file_system_path.emplace();
    if (m.file_system_path->kind.empty()) m.file_system_path->kind = "File";
    if (m.file_system_path->path.empty()) m.file_system_path->path = kDefaultFilePath;
    if (m.file_system_path->format.empty()) m.file_system_path->format = "TEXT";
  } else if (m.kind == "TensorFlowEvent") {
    if (!m.file_system_path) m.file_system_path.emplace();
    if (m.file_system_path->kind.empty()) m.file_system_path->kind = "Directory";
    if (m.file_system_path->path.empty()) m.file_system_path->path = kDefaultTensorflowEventDirPath;
  }
}

}  // namespace

void SetDefaults(Experiment& e) {
  ExperimentSpec& s = e.spec;
  if (!s.parallel_trial_count) s.parallel_trial_count = kDefaultParallelTrialCount;
  if (s.resume_policy.empty()) s.resume_policy = "Never";
  if (s.objective) SetObjectiveDefaults(*s.objective);
  if (s.trial_template) SetTemplateDefaults(*s.trial_template);
  SetCollectorDefaults(s.metrics_collector_spec);
  for (auto& p : s.parameters) {
    if (p.feasible_space.distribution.empty()) p.feasible_space.distribution = "uniform";
  }
}

std::string StrategyFor(const ObjectiveSpec& objective, const std::string& metric_name) {
  for (const auto& s : objective.metric_strategies) {
    if (s.name == metric_name) return s.value;
  }
  return DefaultStrategy(objective.type);
}

}  // namespace ktune::core
