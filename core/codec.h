#pragma once
// Reading and writing the v1beta1 model as YAML or JSON, in Katib's JSON shape
// (camelCase keys, omitempty: unset optional fields and empty lists are left out).
//
// Parsing is lenient where Kubernetes is strict about scalar types (`min: 0.1` is accepted as
// the string "0.1"), and strict about structure: a field of the wrong shape is an
// InvalidArgument naming its path, e.g. `spec.parameters[1].feasibleSpace.list: expected a list`.
// YAML syntax errors carry line and column (1-based).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/experiment.h"

namespace ktune::core {

// A YAML (or JSON, which is YAML) document as a JSON value: scalars typed the way
// Kubernetes' YAML decoder types them (true/false, integers, floats, null; quoted text stays
// a string). Errors: InvalidArgument "line L, column C: <what>".
absl::StatusOr<nlohmann::json> ParseYamlDocument(std::string_view text);

// Parses one Experiment from YAML or JSON text. `source` names the input in error messages.
// Does not apply defaults or validate (see defaults.h).
absl::StatusOr<Experiment> ParseExperiment(std::string_view text, std::string_view source = "");
absl::StatusOr<Experiment> ExperimentFromJson(const nlohmann::json& json);
nlohmann::json ExperimentToJson(const Experiment& experiment);

absl::StatusOr<Trial> TrialFromJson(const nlohmann::json& json);
nlohmann::json TrialToJson(const Trial& trial);

nlohmann::json ObjectiveToJson(const ObjectiveSpec& objective);
absl::StatusOr<ObjectiveSpec> ObjectiveFromJson(const nlohmann::json& json);
nlohmann::json ObservationToJson(const Observation& observation);
nlohmann::json ConditionsToJson(const std::vector<Condition>& conditions);

// Experiment as YAML text (for `ktune validate --print-defaults` and the UI).
std::string ToYaml(const nlohmann::json& json);

}  // namespace ktune::core
