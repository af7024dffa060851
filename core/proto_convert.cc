#include "core/proto_convert.h"

#include "core/conditions.h"
#include "core/time_util.h"

namespace ktune::core {
namespace {

namespace api = ::api::v1::beta1;

api::ParameterType ToParameterType(const std::string& t) {
  if (t == "double") return api::DOUBLE;
  if (t == "int") return api::INT;
  if (t == "discrete") return api::DISCRETE;
  if (t == "categorical") return api::CATEGORICAL;
  return api::UNKNOWN_TYPE;
}

api::Distribution ToDistribution(const std::string& d) {
  if (d == "uniform") return api::UNIFORM;
  if (d == "logUniform") return api::LOG_UNIFORM;
  if (d == "normal") return api::NORMAL;
  if (d == "logNormal") return api::LOG_NORMAL;
  return api::DISTRIBUTION_UNSPECIFIED;
}

api::TrialStatus::TrialConditionType ToConditionType(const std::string& type) {
  if (type == kCreated) return api::TrialStatus::CREATED;
  if (type == kRunning) return api::TrialStatus::RUNNING;
  if (type == kSucceeded) return api::TrialStatus::SUCCEEDED;
  if (type == kKilled) return api::TrialStatus::KILLED;
  if (type == kFailed) return api::TrialStatus::FAILED;
  if (type == kMetricsUnavailable) return api::TrialStatus::METRICSUNAVAILABLE;
  if (type == kEarlyStopped) return api::TrialStatus::EARLYSTOPPED;
  return api::TrialStatus::UNKNOWN;
}

// Katib sends `2006-01-02T15:04:05Z`.
std::string SecondsTime(const std::string& rfc3339) {
  if (rfc3339.empty()) return "";
  std::optional<Timestamp> t = ParseRfc3339(rfc3339);
  return t ? FormatRfc3339(*t) : rfc3339;
}

}  // namespace

api::ParameterSpec ParameterToProto(const ParameterSpec& p) {
  api::ParameterSpec out;
  out.set_name(p.name);
  out.set_parameter_type(ToParameterType(p.parameter_type));
  auto* fs = out.mutable_feasible_space();
  fs->set_max(p.feasible_space.max);
  fs->set_min(p.feasible_space.min);
  for (const auto& v : p.feasible_space.list) fs->add_list(v);
  fs->set_step(p.feasible_space.step);
  fs->set_distribution(ToDistribution(p.feasible_space.distribution));
  return out;
}

api::ObjectiveSpec ObjectiveToProto(const ObjectiveSpec& o) {
  api::ObjectiveSpec out;
  out.set_type(o.type == "minimize"   ? api::MINIMIZE
               : o.type == "maximize" ? api::MAXIMIZE
                                      : api::UNKNOWN);
  out.set_goal(o.goal.value_or(0));
  out.set_objective_metric_name(o.objective_metric_name);
  for (const auto& m : o.additional_metric_names) out.add_additional_metric_names(m);
  return out;
}

api::Experiment ExperimentToProto(const Experiment& e) {
  api::Experiment out;
  out.set_name(e.metadata.name);
  auto* spec = out.mutable_spec();
  for (const auto& p : e.spec.parameters) {
    *spec->mutable_parameter_specs()->add_parameters() = ParameterToProto(p);
  }
  if (e.spec.objective) *spec->mutable_objective() = ObjectiveToProto(*e.spec.objective);
  if (e.spec.algorithm) {
    auto* a = spec->mutable_algorithm();
    a->set_algorithm_name(e.spec.algorithm->algorithm_name);
    for (const auto& s : e.spec.algorithm->algorithm_settings) {
      auto* setting = a->add_algorithm_settings();
      setting->set_name(s.name);
      setting->set_value(s.value);
    }
  }
  if (e.spec.early_stopping) {
    auto* es = spec->mutable_early_stopping();
    es->set_algorithm_name(e.spec.early_stopping->algorithm_name);
    for (const auto& s : e.spec.early_stopping->algorithm_settings) {
      auto* setting = es->add_algorithm_settings();
      setting->set_name(s.name);
      setting->set_value(s.value);
    }
  }
  spec->set_parallel_trial_count(e.spec.parallel_trial_count.value_or(0));
  spec->set_max_trial_count(e.spec.max_trial_count.value_or(0));
  if (e.spec.nas_config) {
    auto* nas = spec->mutable_nas_config();
    const auto& g = e.spec.nas_config->graph_config;
    nas->mutable_graph_config()->set_num_layers(g.num_layers.value_or(0));
    for (int32_t v : g.input_sizes) nas->mutable_graph_config()->add_input_sizes(v);
    for (int32_t v : g.output_sizes) nas->mutable_graph_config()->add_output_sizes(v);
    for (const auto& op : e.spec.nas_config->operations) {
      auto* o = nas->mutable_operations()->add_operation();
      o->set_operation_type(op.operation_type);
      for (const auto& p : op.parameters)
        *o->mutable_parameter_specs()->add_parameters() = ParameterToProto(p);
    }
  }
  return out;
}

api::Trial TrialToProto(const Trial& t) {
  api::Trial out;
  out.set_name(t.metadata.name);
  auto* spec = out.mutable_spec();
  *spec->mutable_objective() = ObjectiveToProto(t.spec.objective);
  for (const auto& a : t.spec.parameter_assignments) {
    auto* pa = spec->mutable_parameter_assignments()->add_assignments();
    pa->set_name(a.name);
    pa->set_value(a.value);
  }
  for (const auto& [k, v] : t.spec.labels) (*spec->mutable_labels())[k] = v;
  auto* status = out.mutable_status();
  status->set_start_time(SecondsTime(t.status.start_time));
  status->set_completion_time(SecondsTime(t.status.completion_time));
  status->set_condition(t.status.conditions.empty()
                            ? api::TrialStatus::UNKNOWN
                            : ToConditionType(t.status.conditions.back().type));
  if (t.status.observation) {
    // One value per metric, chosen by its strategy (min/max fall back to latest).
    for (const auto& m : t.status.observation->metrics) {
      std::optional<std::string> value = MetricValue(t.spec.objective, m);
      auto* metric = status->mutable_observation()->add_metrics();
      metric->set_name(m.name);
      metric->set_value(value.value_or(kUnavailable));
    }
  }
  return out;
}

}  // namespace ktune::core
