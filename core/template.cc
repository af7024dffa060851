#include "core/template.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/json_access.h"

namespace ktune::core {
namespace {

using nlohmann::json;

constexpr std::string_view kParamPrefix = "${trialParameters.";
constexpr std::string_view kMetaPrefix = "${trialSpec.";

constexpr char kTrialSpecPath[] = "spec.trialTemplate.trialSpec";

// InvalidArgument for a member of the trial template that has the wrong JSON type.
absl::Status WrongType(std::string_view field, const char* want, const json& got) {
  return absl::InvalidArgumentError(absl::StrCat(kTrialSpecPath, ".", std::string(field),
                                                 ": expected ", want, ", got ", JsonTypeName(got)));
}

// The string member `key` of the template object (`kind`, `apiVersion`): "" when absent,
// InvalidArgument when it is not a string.
absl::StatusOr<std::string> TopString(const json& object, std::string_view key) {
  const json* v = FieldOf(object, key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return WrongType(key, "a string", *v);
  return v->get_ref<const std::string&>();
}

// metadata.labels[key] or metadata.annotations[key]: "" when absent or not a string (as
// Kubernetes' unstructured getters), InvalidArgument when metadata or the map is not an object.
absl::StatusOr<std::string> LabelOrAnnotation(const json& object, const char* field,
                                              const std::string& key) {
  const json* meta = FieldOf(object, "metadata");
  if (!meta || meta->is_null()) return std::string();
  if (!meta->is_object()) return WrongType("metadata", "an object", *meta);
  const json* map = FieldOf(*meta, field);
  if (!map || map->is_null()) return std::string();
  if (!map->is_object()) return WrongType(absl::StrCat("metadata.", field), "an object", *map);
  return StringFieldOr(*map, key);
}

// Resolves `${trialSpec.X}` metadata references (KATIB.md §1.5).
absl::StatusOr<std::string> MetaValue(const std::string& reference, const json& object,
                                      const std::string& trial_name, const std::string& ns) {
  std::string inner =
      reference.substr(kMetaPrefix.size(), reference.size() - kMetaPrefix.size() - 1);
  if (inner == "Name") return trial_name;
  if (inner == "Namespace") return ns;
  if (inner == "Kind") return TopString(object, "kind");
  if (inner == "APIVersion") return TopString(object, "apiVersion");
  for (const char* field : {"Labels", "Annotations"}) {
    std::string prefix = std::string(field) + "[";
    if (inner.rfind(prefix, 0) == 0 && inner.back() == ']') {
      std::string key = inner.substr(prefix.size(), inner.size() - prefix.size() - 1);
      return LabelOrAnnotation(object, field == std::string("Labels") ? "labels" : "annotations",
                               key);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown trial metadata reference ", reference,
                   "; use ${trialSpec.Name}, ${trialSpec.Namespace}, ${trialSpec.Kind}, "
                   "${trialSpec.APIVersion}, "
                   "${trialSpec.Labels[key]} or ${trialSpec.Annotations[key]}"));
}

bool IsMetaReference(const std::string& reference) {
  return reference.rfind(kMetaPrefix, 0) == 0 && reference.back() == '}';
}

// Replaces every `${trialParameters.NAME}` in `text`; the first unknown name is reported.
absl::Status Substitute(std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find(kParamPrefix, pos);
    if (start == std::string::npos) break;
    size_t end = text.find('}', start + kParamPrefix.size());
    if (end == std::string::npos) break;
    std::string name = text.substr(start + kParamPrefix.size(), end - start - kParamPrefix.size());
    auto it = values.find(name);
    if (it == values.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the trial template uses ${trialParameters.", name,
          "} but spec.trialTemplate.trialParameters has no parameter named \"", name, "\""));
    }
    out.append(text, pos, start - pos);
    out.append(it->second);
    pos = end + 1;
  }
  if (pos == 0) return absl::OkStatus();
  out.append(text, pos, std::string::npos);
  text = std::move(out);
  return absl::OkStatus();
}

absl::Status Walk(json& node, const std::map<std::string, std::string>& values) {
  if (node.is_string()) {
    std::string& s = node.get_ref<std::string&>();
    if (s.find(kParamPrefix) != std::string::npos) return Substitute(s, values);
    return absl::OkStatus();
  }
  if (node.is_array()) {
    for (auto& item : node) {
      if (absl::Status st = Walk(item, values); !st.ok()) return st;
    }
    return absl::OkStatus();
  }
  if (node.is_object()) {
    // Keys may carry placeholders too (Katib replaces over the whole serialized text).
    std::vector<std::pair<std::string, std::string>> renamed;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (absl::Status st = Walk(it.value(), values); !st.ok()) return st;
      if (it.key().find(kParamPrefix) != std::string::npos) {
        std::string key = it.key();
        if (absl::Status st = Substitute(key, values); !st.ok()) return st;
        renamed.emplace_back(it.key(), key);
      }
    }
    for (auto& [from, to] : renamed) {
      json value = std::move(node[from]);
      node.erase(from);
      node[to] = std::move(value);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<nlohmann::json> TemplateObject(const Experiment& experiment) {
  const auto& t = experiment.spec.trial_template;
  if (!t)
    return absl::InvalidArgumentError("spec.trialTemplate: Required value: must be specified");
  if (t->trial_spec) return *t->trial_spec;
  if (t->config_map) {
    return absl::FailedPreconditionError(
        absl::StrCat("spec.trialTemplate.configMap (", t->config_map->config_map_namespace, "/",
                     t->config_map->config_map_name,
                     ") needs a Kubernetes cluster to read; without one, put the template in "
                     "spec.trialTemplate.trialSpec"));
  }
  return absl::InvalidArgumentError(
      "spec.trialTemplate: Required value: spec.trialTemplate.trialSpec or "
      "spec.trialTemplate.configMap must be specified");
}

absl::StatusOr<nlohmann::json> RenderTrialTemplate(
    const Experiment& experiment, const std::string& trial_name,
    const std::vector<ParameterAssignment>& assignments) {
  absl::StatusOr<json> object = TemplateObject(experiment);
  if (!object.ok()) return object.status();
  const std::string& ns = experiment.metadata.namespace_;
  std::map<std::string, std::string> values;
  const auto& params = experiment.spec.trial_template->trial_parameters;
  if (params) {
    for (const TrialParameterSpec& p : *params) {
      if (IsMetaReference(p.reference)) {
        absl::StatusOr<std::string> v = MetaValue(p.reference, *object, trial_name, ns);
        if (!v.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("trialParameter \"", p.name, "\": ", v.status().message()));
        }
        values[p.name] = *v;
        continue;
      }
      bool found = false;
      for (const auto& a : assignments) {
        if (a.name == p.reference) {
          values[p.name] = a.value;
          found = true;
          break;
        }
      }
      if (!found) {
        std::vector<std::string> names;
        for (const auto& a : assignments) names.push_back(a.name);
        return absl::InvalidArgumentError(absl::StrCat(
            "trialParameter \"", p.name, "\" references \"", p.reference,
            "\", which is not among the assigned parameters [", absl::StrJoin(names, ", "),
            "]; set its reference to one of spec.parameters[].name"));
      }
    }
  }
  json rendered = *object;
  if (absl::Status st = Walk(rendered, values); !st.ok()) return st;
  if (!rendered.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kTrialSpecPath, ": expected an object, got ", JsonTypeName(rendered)));
  }
  json* meta = MutableFieldOf(rendered, "metadata");
  if (!meta || meta->is_null()) meta = &(rendered["metadata"] = json::object());
  if (!meta->is_object()) return WrongType("metadata", "an object", *meta);
  (*meta)["name"] = trial_name;
  (*meta)["namespace"] = ns;
  return rendered;
}

absl::StatusOr<Trial> NewTrial(const Experiment& experiment, const std::string& trial_name,
                               const std::vector<ParameterAssignment>& assignments,
                               const std::map<std::string, std::string>& labels) {
  absl::StatusOr<json> run_spec = RenderTrialTemplate(experiment, trial_name, assignments);
  if (!run_spec.ok()) return run_spec.status();
  Trial t;
  t.metadata.name = trial_name;
  t.metadata.namespace_ = experiment.metadata.namespace_;
  t.metadata.labels = experiment.metadata.labels;
  t.metadata.labels[kExperimentLabel] = experiment.metadata.name;
  for (const auto& [k, v] : labels) t.metadata.labels[k] = v;
  t.spec.objective = experiment.spec.objective.value_or(ObjectiveSpec{});
  t.spec.parameter_assignments = assignments;
  t.spec.run_spec = std::move(*run_spec);
  const TrialTemplate& tt = *experiment.spec.trial_template;
  t.spec.retain_run = tt.retain;
  if (experiment.spec.metrics_collector_spec) {
    t.spec.metrics_collector = *experiment.spec.metrics_collector_spec;
  } else {
    t.spec.metrics_collector.kind = "StdOut";
  }
  t.spec.primary_pod_labels = tt.primary_pod_labels;
  t.spec.primary_container_name = tt.primary_container_name;
  t.spec.success_condition = tt.success_condition;
  t.spec.failure_condition = tt.failure_condition;
  t.spec.labels = labels;
  return t;
}

}  // namespace ktune::core
