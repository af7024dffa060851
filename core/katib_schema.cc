#include "core/internal/katib_schema.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "core/internal/strings.h"
#include "core/json_access.h"
#include "core/validation.h"

namespace ktune::core {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace internal {

const std::map<std::string, std::vector<std::string>>& KatibStructFields() {
  static const std::map<std::string, std::vector<std::string>> kOrder = {
      {"spec",
       {"parameters", "objective", "algorithm", "earlyStopping", "trialTemplate",
        "parallelTrialCount", "maxTrialCount", "maxFailedTrialCount", "metricsCollectorSpec",
        "nasConfig", "resumePolicy"}},
      {"parameters", {"name", "parameterType", "feasibleSpace"}},
      {"feasibleSpace", {"max", "min", "list", "step", "distribution"}},
      {"objective",
       {"type", "goal", "objectiveMetricName", "additionalMetricNames", "metricStrategies"}},
      {"metricStrategies", {"name", "value"}},
      {"algorithm", {"algorithmName", "algorithmSettings"}},
      {"earlyStopping", {"algorithmName", "algorithmSettings"}},
      {"algorithmSettings", {"name", "value"}},
      {"trialTemplate",
       {"retain", "trialSpec", "configMap", "trialParameters", "primaryPodLabels",
        "primaryContainerName", "successCondition", "failureCondition"}},
      {"configMap", {"configMapName", "configMapNamespace", "templatePath"}},
      {"trialParameters", {"name", "description", "reference"}},
      {"metricsCollectorSpec", {"source", "collector"}},
      {"source", {"httpGet", "fileSystemPath", "filter"}},
      {"fileSystemPath", {"path", "kind", "format"}},
      {"filter", {"metricsFormat"}},
      {"collector", {"kind", "customCollector"}},
      {"nasConfig", {"graphConfig", "operations"}},
      {"graphConfig", {"numLayers", "inputSizes", "outputSizes"}},
      {"operations", {"operationType", "parameters"}},
  };
  return kOrder;
}

ordered_json KatibOrderedSpec(const json& spec) {
  const auto& kOrder = KatibStructFields();
  // Only Katib's own structs are reordered (bounded depth); unstructured parts (trialSpec,
  // httpGet, customCollector) keep nlohmann's sorted keys, as Go prints maps.
  std::function<ordered_json(const json&, const std::string&, int)> order =
      [&](const json& v, const std::string& name, int depth) -> ordered_json {
    auto it = kOrder.find(name);
    if (depth > 8 || it == kOrder.end()) return ordered_json::parse(v.dump());
    if (v.is_array()) {
      ordered_json list = ordered_json::array();
      for (const json& item : v) list.push_back(order(item, name, depth + 1));
      return list;
    }
    if (!v.is_object()) return ordered_json::parse(v.dump());
    ordered_json out = ordered_json::object();
    for (const std::string& key : it->second) {
      if (const json* member = FieldOf(v, key)) {
        out[key] = key == "parameters" && name == "operations"
                       ? order(*member, "parameters", depth + 1)
                       : order(*member, key, depth + 1);
      }
    }
    return out;
  };
  return order(spec, "spec", 0);
}

std::optional<KatibDecodeError> FirstKatibDecodeError(const json& raw) {
  struct StringField {
    std::vector<std::string> path;  // keys; "[]" = each list item
    const char* go_struct;
    const char* go_type;
  };
  static const std::vector<StringField> kFields = {
      {{"spec", "parameters", "[]", "name"}, "ParameterSpec", "string"},
      {{"spec", "parameters", "[]", "parameterType"}, "ParameterSpec", "v1beta1.ParameterType"},
      {{"spec", "parameters", "[]", "feasibleSpace", "max"}, "FeasibleSpace", "string"},
      {{"spec", "parameters", "[]", "feasibleSpace", "min"}, "FeasibleSpace", "string"},
      {{"spec", "parameters", "[]", "feasibleSpace", "list", "[]"}, "FeasibleSpace", "string"},
      {{"spec", "parameters", "[]", "feasibleSpace", "step"}, "FeasibleSpace", "string"},
      {{"spec", "parameters", "[]", "feasibleSpace", "distribution"},
       "FeasibleSpace",
       "v1beta1.Distribution"},
      {{"spec", "objective", "type"}, "ObjectiveSpec", "v1beta1.ObjectiveType"},
      {{"spec", "objective", "objectiveMetricName"}, "ObjectiveSpec", "string"},
      {{"spec", "objective", "additionalMetricNames", "[]"}, "ObjectiveSpec", "string"},
      {{"spec", "objective", "metricStrategies", "[]", "name"}, "MetricStrategy", "string"},
      {{"spec", "objective", "metricStrategies", "[]", "value"},
       "MetricStrategy",
       "v1beta1.MetricStrategyType"},
      {{"spec", "algorithm", "algorithmName"}, "AlgorithmSpec", "string"},
      {{"spec", "algorithm", "algorithmSettings", "[]", "name"}, "AlgorithmSetting", "string"},
      {{"spec", "algorithm", "algorithmSettings", "[]", "value"}, "AlgorithmSetting", "string"},
      {{"spec", "earlyStopping", "algorithmName"}, "EarlyStoppingSpec", "string"},
      {{"spec", "earlyStopping", "algorithmSettings", "[]", "name"},
       "EarlyStoppingSetting",
       "string"},
      {{"spec", "earlyStopping", "algorithmSettings", "[]", "value"},
       "EarlyStoppingSetting",
       "string"},
      {{"spec", "trialTemplate", "trialParameters", "[]", "name"}, "TrialParameterSpec", "string"},
      {{"spec", "trialTemplate", "trialParameters", "[]", "description"},
       "TrialParameterSpec",
       "string"},
      {{"spec", "trialTemplate", "trialParameters", "[]", "reference"},
       "TrialParameterSpec",
       "string"},
      {{"spec", "trialTemplate", "primaryContainerName"}, "TrialTemplate", "string"},
      {{"spec", "trialTemplate", "successCondition"}, "TrialTemplate", "string"},
      {{"spec", "trialTemplate", "failureCondition"}, "TrialTemplate", "string"},
      {{"spec", "trialTemplate", "configMap", "configMapName"}, "ConfigMapSource", "string"},
      {{"spec", "trialTemplate", "configMap", "configMapNamespace"}, "ConfigMapSource", "string"},
      {{"spec", "trialTemplate", "configMap", "templatePath"}, "ConfigMapSource", "string"},
      {{"spec", "metricsCollectorSpec", "collector", "kind"},
       "CollectorSpec",
       "v1beta1.CollectorKind"},
      {{"spec", "metricsCollectorSpec", "source", "fileSystemPath", "path"},
       "FileSystemPath",
       "string"},
      {{"spec", "metricsCollectorSpec", "source", "fileSystemPath", "kind"},
       "FileSystemPath",
       "v1beta1.FileSystemKind"},
      {{"spec", "metricsCollectorSpec", "source", "fileSystemPath", "format"},
       "FileSystemPath",
       "v1beta1.FileFormat"},
      {{"spec", "metricsCollectorSpec", "source", "filter", "metricsFormat", "[]"},
       "FilterSpec",
       "string"},
      {{"spec", "resumePolicy"}, "ExperimentSpec", "v1beta1.ResumePolicyType"},
  };
  for (const StringField& f : kFields) {
    // Breadth over list items with an explicit work list (no recursion).
    struct Item {
      const json* node;
      size_t step;
      std::string index_path;  // ktune's path with indices
    };
    std::vector<Item> work{{&raw, 0, ""}};
    while (!work.empty()) {
      Item item = std::move(work.back());
      work.pop_back();
      if (item.step == f.path.size()) {
        const json& v = *item.node;
        if (v.is_number() || v.is_boolean()) {
          std::string dotted;
          for (const std::string& key : f.path) {
            if (key != "[]") dotted += dotted.empty() ? key : "." + key;
          }
          return KatibDecodeError{
              item.index_path,
              absl::StrCat("json: cannot unmarshal ", v.is_boolean() ? "bool" : "number",
                           " into Go struct field ", f.go_struct, ".", dotted, " of type ",
                           f.go_type),
              &v};
        }
        continue;
      }
      const std::string& key = f.path[item.step];
      if (key == "[]") {
        if (!item.node->is_array()) continue;
        for (size_t i = item.node->size(); i-- > 0;) {
          work.push_back(
              {&(*item.node)[i], item.step + 1, absl::StrCat(item.index_path, "[", i, "]")});
        }
      } else if (const json* next = FieldOf(*item.node, key)) {
        work.push_back({next, item.step + 1,
                        item.index_path.empty() ? key : absl::StrCat(item.index_path, ".", key)});
      }
    }
  }
  return std::nullopt;
}

}  // namespace internal

// Declared in core/validation.h (the admission API); it walks the schema above.
std::vector<std::string> KatibDefaulterRemovals(const nlohmann::json& experiment) {
  std::vector<std::string> removals;
  const json* spec = FieldOf(experiment, "spec", JsonType::kObject);
  if (!spec) return removals;
  const auto& structs = internal::KatibStructFields();
  struct Item {
    const json* node;
    std::string name;     // the struct, by the field name that holds it
    std::string pointer;  // JSON pointer of node
  };
  std::vector<Item> work{{spec, "spec", "/spec"}};
  while (!work.empty()) {
    Item item = std::move(work.back());
    work.pop_back();
    const auto found = structs.find(item.name);
    if (found == structs.end()) continue;
    const std::vector<std::string>& fields = found->second;
    for (auto it = item.node->begin(); it != item.node->end(); ++it) {
      const std::string pointer = internal::JsonPointerJoin(item.pointer, it.key());
      const json& v = *it;
      const bool known = std::find(fields.begin(), fields.end(), it.key()) != fields.end();
      // Unknown fields and nulls are not in Katib's typed object; omitempty drops empty
      // strings, lists and maps, false and 0 (pointers, e.g. parallelTrialCount, keep 0; a
      // struct, e.g. feasibleSpace, is never dropped).
      const bool pointer_field = it.key() == "parallelTrialCount" || it.key() == "maxTrialCount" ||
                                 it.key() == "maxFailedTrialCount" || it.key() == "goal" ||
                                 it.key() == "numLayers";
      const bool struct_field = it.key() == "feasibleSpace" || it.key() == "graphConfig";
      const bool empty =
          v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
          (v.is_array() && v.empty()) || (v.is_boolean() && !v.get<bool>()) ||
          (v.is_number() && v.get<double>() == 0 && !pointer_field) ||
          (v.is_object() && v.empty() && !struct_field && structs.count(it.key()) == 0 &&
           it.key() != "trialSpec" && it.key() != "customCollector" && it.key() != "httpGet");
      if (!known || v.is_null() || (empty && !struct_field)) {
        removals.push_back(pointer);
        continue;
      }
      if (it.key() == "trialSpec" || it.key() == "customCollector" || it.key() == "httpGet" ||
          it.key() == "primaryPodLabels") {
        continue;  // kept as written (unstructured, or typed Kubernetes objects ktune keeps
                   // verbatim)
      }
      const std::string child =
          item.name == "operations" && it.key() == "parameters" ? "parameters" : it.key();
      if (structs.count(child) == 0) continue;
      if (v.is_object()) {
        work.push_back({&v, child, pointer});
      } else if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i) {
          if (v[i].is_object()) work.push_back({&v[i], child, absl::StrCat(pointer, "/", i)});
        }
      }
    }
  }
  std::sort(removals.begin(), removals.end());
  return removals;
}

}  // namespace ktune::core
