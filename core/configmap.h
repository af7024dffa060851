#pragma once
// ConfigMap trial templates (`spec.trialTemplate.configMap`): ConfigMaps read from YAML or JSON
// files (`--configmap FILE`; later the server's stored ConfigMaps), the loader validation uses
// to read a template as Katib's manifest generator does, and the resolution of a configMap
// source into a trialSpec for `ktune run`.
//
// Thread-safety: ConfigMaps is immutable after construction; the loader it returns copies it
// and may be called from any thread.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/experiment.h"

namespace ktune::core {

struct ConfigMap {
  std::string name;
  std::string ns;  // "" when the file does not say: matches any namespace
  std::map<std::string, std::string> data;
};

// Reads every ConfigMap in `text`: one object, several YAML documents (`---`), a JSON or YAML
// object, or a `kind: List` with items. Documents of other kinds are skipped. `source` names
// the input in messages. Errors: InvalidArgument (syntax, a ConfigMap without metadata.name,
// a data value that is not a string), each naming the file and document.
absl::StatusOr<std::vector<ConfigMap>> ParseConfigMaps(std::string_view text,
                                                       std::string_view source = "");

// Reads each file with ParseConfigMaps. Errors: NotFound for a file that cannot be read, and
// ParseConfigMaps' errors.
absl::StatusOr<std::vector<ConfigMap>> LoadConfigMapFiles(const std::vector<std::string>& files);

// The ConfigMap named `name` in `ns` (a map without namespace matches any), or nullptr.
const ConfigMap* FindConfigMap(const std::vector<ConfigMap>& maps, std::string_view ns,
                               std::string_view name);

// The template text at `source.template_path` of the ConfigMap `source` names, with Katib's
// error texts (KATIB.md §3.3 rule 27): NotFound `configMap not found: configmaps "<name>" not
// found`, or NotFound `unable to find trial template in ConfigMap: TemplatePath: <p>,
// ConfigMap: map[<key>:<value> ...]`.
absl::StatusOr<std::string> ConfigMapTemplate(const std::vector<ConfigMap>& maps,
                                              const ConfigMapSource& source);

// A loader for ValidationOptions::load_config_map_template over a copy of `maps`.
std::function<absl::StatusOr<std::string>(const ConfigMapSource&)> ConfigMapTemplateLoader(
    std::vector<ConfigMap> maps);

// For `ktune run`: replaces `experiment`'s configMap trial source by the trialSpec it names
// (the template text parsed as one YAML/JSON object). Call it after SetDefaults and
// ValidateExperiment (Katib does not default configMap sources, so the successCondition and
// failureCondition stay as written). A trialSpec source is left as is. Errors: the loader's
// (NotFound), InvalidArgument when the text is not one object with a kind.
// Unlike Katib, which substitutes placeholders in the text before parsing it, ktune parses
// first and substitutes inside strings (core/template.h), so `replicas: ${trialParameters.n}`
// yields the string "3", not the number 3.
absl::Status ResolveConfigMapTemplate(
    Experiment& experiment,
    const std::function<absl::StatusOr<std::string>(const ConfigMapSource&)>& load);

}  // namespace ktune::core
