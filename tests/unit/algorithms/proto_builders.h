#pragma once
// Builders of api.proto messages for the algorithm tests. Header-only so that it works with
// both the lite (search_space_test) and the full (algorithms_test) generated code.

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/api.pb.h"

namespace ktune::algorithms::testing {

namespace api = ::api::v1::beta1;

inline api::ParameterSpec Range(const std::string& name, api::ParameterType type,
                                const std::string& min, const std::string& max,
                                const std::string& step = "",
                                api::Distribution distribution = api::UNIFORM) {
  api::ParameterSpec p;
  p.set_name(name);
  p.set_parameter_type(type);
  p.mutable_feasible_space()->set_min(min);
  p.mutable_feasible_space()->set_max(max);
  p.mutable_feasible_space()->set_step(step);
  p.mutable_feasible_space()->set_distribution(distribution);
  return p;
}

inline api::ParameterSpec List(const std::string& name, api::ParameterType type,
                               std::initializer_list<std::string> values) {
  api::ParameterSpec p;
  p.set_name(name);
  p.set_parameter_type(type);
  for (const std::string& v : values) p.mutable_feasible_space()->add_list(v);
  p.mutable_feasible_space()->set_distribution(api::UNIFORM);
  return p;
}

inline api::Experiment MakeExperiment(
    const std::string& algorithm, const std::vector<api::ParameterSpec>& parameters,
    const std::vector<std::pair<std::string, std::string>>& settings = {},
    int max_trial_count = 0) {
  api::Experiment e;
  e.set_name("test-experiment");
  for (const auto& p : parameters)
    *e.mutable_spec()->mutable_parameter_specs()->add_parameters() = p;
  e.mutable_spec()->mutable_algorithm()->set_algorithm_name(algorithm);
  for (const auto& [name, value] : settings) {
    auto* s = e.mutable_spec()->mutable_algorithm()->add_algorithm_settings();
    s->set_name(name);
    s->set_value(value);
  }
  e.mutable_spec()->set_max_trial_count(max_trial_count);
  e.mutable_spec()->set_parallel_trial_count(3);
  return e;
}

using Point = std::map<std::string, std::string>;

inline api::Trial MakeTrial(const std::string& name, const Point& point) {
  api::Trial t;
  t.set_name(name);
  for (const auto& [n, v] : point) {
    auto* a = t.mutable_spec()->mutable_parameter_assignments()->add_assignments();
    a->set_name(n);
    a->set_value(v);
  }
  t.mutable_status()->set_condition(api::TrialStatus::SUCCEEDED);
  return t;
}

inline api::GetSuggestionsRequest MakeRequest(const api::Experiment& experiment, int count,
                                              int total,
                                              const std::vector<api::Trial>& trials = {}) {
  api::GetSuggestionsRequest r;
  *r.mutable_experiment() = experiment;
  for (const auto& t : trials) *r.add_trials() = t;
  r.set_current_request_number(count);
  r.set_total_request_number(total);
  return r;
}

inline Point ToPoint(
    const google::protobuf::RepeatedPtrField<api::ParameterAssignment>& assignments) {
  Point point;
  for (const auto& a : assignments) point[a.name()] = a.value();
  return point;
}

inline std::vector<Point> Points(const api::GetSuggestionsReply& reply) {
  std::vector<Point> points;
  for (const auto& pa : reply.parameter_assignments()) points.push_back(ToPoint(pa.assignments()));
  return points;
}

}  // namespace ktune::algorithms::testing
