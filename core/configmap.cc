#include "core/configmap.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/json_access.h"

namespace ktune::core {
namespace {

using nlohmann::json;

// Splits YAML text at document markers (`---` at the start of a line). A block scalar's lines
// are indented, so a marker can only start a document.
std::vector<std::string_view> SplitDocuments(std::string_view text) {
  std::vector<std::string_view> docs;
  size_t start = 0, line = 0;
  while (line <= text.size()) {
    size_t end = text.find('\n', line);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(line, end - line);
    if (l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r')) {
      docs.push_back(text.substr(start, line - start));
      start = end + 1 > text.size() ? text.size() : end + 1;
    }
    line = end + 1;
  }
  if (start < text.size()) docs.push_back(text.substr(start));
  return docs;
}

absl::Status AddConfigMap(const json& object, const std::string& where,
                          std::vector<ConfigMap>& out) {
  if (StringFieldOr(object, "kind") == "List") {
    const json* items = FieldOf(object, "items", JsonType::kArray);
    if (!items) return absl::OkStatus();
    for (size_t i = 0; i < items->size(); ++i) {
      absl::Status s = AddConfigMap((*items)[i], absl::StrCat(where, "items[", i, "]: "), out);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (StringFieldOr(object, "kind") != "ConfigMap") return absl::OkStatus();
  ConfigMap map;
  static const json kEmpty = json::object();
  const json* metadata = FieldOf(object, "metadata", JsonType::kObject);
  map.name = StringFieldOr(metadata ? *metadata : kEmpty, "name");
  map.ns = StringFieldOr(metadata ? *metadata : kEmpty, "namespace");
  if (map.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "metadata.name: a ConfigMap needs a name"));
  }
  if (const json* data = FieldOf(object, "data")) {
    if (!data->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "data: expected a map of strings, got ", JsonTypeName(*data)));
    }
    for (auto it = data->begin(); it != data->end(); ++it) {
      if (!it->is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "data.", it.key(), ": expected a string, got ", JsonTypeName(*it),
            " (use a block scalar: `", it.key(), ": |` followed by the indented template)"));
      }
      map.data[it.key()] = it->get<std::string>();
    }
  }
  out.push_back(std::move(map));
  return absl::OkStatus();
}

// Go's %v of a map[string]string: `map[k1:v1 k2:v2]`, keys sorted.
std::string GoStringMap(const std::map<std::string, std::string>& data) {
  std::vector<std::string> items;
  for (const auto& [k, v] : data) items.push_back(absl::StrCat(k, ":", v));
  return absl::StrCat("map[", absl::StrJoin(items, " "), "]");
}

}  // namespace

absl::StatusOr<std::vector<ConfigMap>> ParseConfigMaps(std::string_view text,
                                                       std::string_view source) {
  std::vector<ConfigMap> out;
  const std::string prefix = source.empty() ? "" : absl::StrCat(std::string(source), ": ");
  std::vector<std::string_view> docs = SplitDocuments(text);
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
    const std::string where =
        docs.size() > 1 ? absl::StrCat(prefix, "document ", i + 1, ": ") : prefix;
    absl::StatusOr<json> doc = ParseYamlDocument(docs[i]);
    if (!doc.ok()) {
      if (doc.status().message() == "the document is empty") continue;  // comments only
      return absl::InvalidArgumentError(absl::StrCat(where, doc.status().message()));
    }
    absl::Status s = AddConfigMap(*doc, where, out);
    if (!s.ok()) return s;
  }
  return out;
}

absl::StatusOr<std::vector<ConfigMap>> LoadConfigMapFiles(const std::vector<std::string>& files) {
  std::vector<ConfigMap> all;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(file, ": cannot read file"));
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::vector<ConfigMap>> maps = ParseConfigMaps(text.str(), file);
    if (!maps.ok()) return maps.status();
    for (ConfigMap& m : *maps) all.push_back(std::move(m));
  }
  return all;
}

const ConfigMap* FindConfigMap(const std::vector<ConfigMap>& maps, std::string_view ns,
                               std::string_view name) {
  const ConfigMap* any_namespace = nullptr;
  for (const ConfigMap& m : maps) {
    if (m.name != name) continue;
    if (m.ns == ns) return &m;
    if (m.ns.empty() && !any_namespace) any_namespace = &m;
  }
  return any_namespace;
}

absl::StatusOr<std::string> ConfigMapTemplate(const std::vector<ConfigMap>& maps,
                                              const ConfigMapSource& source) {
  const ConfigMap* map = FindConfigMap(maps, source.config_map_namespace, source.config_map_name);
  if (!map) {
    return absl::NotFoundError(
        absl::StrCat("configMap not found: configmaps \"", source.config_map_name, "\" not found"));
  }
  auto it = map->data.find(source.template_path);
  if (it == map->data.end()) {
    return absl::NotFoundError(absl::StrCat(
        "unable to find trial template in ConfigMap: TemplatePath: ", source.template_path,
        ", ConfigMap: ", GoStringMap(map->data)));
  }
  return it->second;
}

std::function<absl::StatusOr<std::string>(const ConfigMapSource&)> ConfigMapTemplateLoader(
    std::vector<ConfigMap> maps) {
  return [maps = std::move(maps)](const ConfigMapSource& source) {
    return ConfigMapTemplate(maps, source);
  };
}

absl::Status ResolveConfigMapTemplate(
    Experiment& experiment,
    const std::function<absl::StatusOr<std::string>(const ConfigMapSource&)>& load) {
  if (!experiment.spec.trial_template || !experiment.spec.trial_template->config_map)
    return absl::OkStatus();
  TrialTemplate& t = *experiment.spec.trial_template;
  if (t.trial_spec) return absl::OkStatus();
  if (!load) {
    return absl::FailedPreconditionError(
        "spec.trialTemplate.configMap: the trial template is in a ConfigMap; pass it with "
        "--configmap FILE");
  }
  absl::StatusOr<std::string> text = load(*t.config_map);
  if (!text.ok()) return text.status();
  absl::StatusOr<json> object = ParseYamlDocument(*text);
  if (!object.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.trialTemplate.configMap: template ", t.config_map->template_path, " of ConfigMap ",
        t.config_map->config_map_name, ": ", object.status().message()));
  }
  if (!object->is_object() || StringFieldOr(*object, "kind").empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.trialTemplate.configMap: template ", t.config_map->template_path, " of ConfigMap ",
        t.config_map->config_map_name, ": expected one Kubernetes object with a kind"));
  }
  t.trial_spec = std::move(*object);
  t.config_map.reset();
  return absl::OkStatus();
}

}  // namespace ktune::core
