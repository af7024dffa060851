#pragma once
// Katib's v1beta1 Experiment API types (experiment_types.go, common_types.go) as its webhooks
// decode and marshal them: the struct field order, the fields that are Go strings, and (in
// core/validation.h) what its typed round trip drops, KatibDefaulterRemovals. Internal to
// core/; the batch/v1 Job schema is core/job_schema.h.
//
// Thread-safety: pure functions. User JSON is walked without recursion on its depth, except
// KatibOrderedSpec, which recurses only along Katib's (bounded) struct nesting.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ktune::core::internal {

// Katib's API structs below ExperimentSpec, by the JSON name of the field that holds them
// ("spec" for ExperimentSpec itself): their JSON field names in declaration order.
const std::map<std::string, std::vector<std::string>>& KatibStructFields();

// Go's json.Marshal of ExperimentSpec (`spec` as decoded JSON): Katib's struct fields in
// declaration order, unknown fields left out, unstructured parts (trialSpec, httpGet,
// customCollector) with sorted keys, as Go prints maps.
nlohmann::ordered_json KatibOrderedSpec(const nlohmann::json& spec);

// The first scalar (a number or a boolean) where Katib's API has a string, as Katib's webhook
// fails to decode it (encoding/json's error as Go 1.24 words it).
struct KatibDecodeError {
  // ktune's path with list indices, e.g. spec.parameters[0].feasibleSpace.min.
  std::string field;
  // `json: cannot unmarshal number into Go struct field FeasibleSpace.spec.parameters.
  // feasibleSpace.min of type string` (the dotted path has no list indices).
  std::string message;
  const nlohmann::json* value = nullptr;  // the offending value, into `experiment`
};
std::optional<KatibDecodeError> FirstKatibDecodeError(const nlohmann::json& experiment);

}  // namespace ktune::core::internal
