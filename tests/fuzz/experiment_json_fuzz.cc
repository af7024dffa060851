// The JSON Experiment decoder (the webhook's and the store's input): bytes -> ParseJsonBounded
// -> ExperimentFromJson, and the round trip ExperimentToJson -> ExperimentFromJson, which must
// succeed and be a fixed point.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "core/json_access.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<nlohmann::json> json = ktune::core::ParseJsonBounded(text);
  if (!json.ok()) return 0;
  absl::StatusOr<ktune::core::Experiment> experiment = ktune::core::ExperimentFromJson(*json);
  if (!experiment.ok()) return 0;

  const nlohmann::json encoded = ktune::core::ExperimentToJson(*experiment);
  absl::StatusOr<ktune::core::Experiment> decoded = ktune::core::ExperimentFromJson(encoded);
  if (!decoded.ok()) __builtin_trap();  // what we wrote we must read back
  if (ktune::core::ExperimentToJson(*decoded) != encoded) __builtin_trap();
  (void)ktune::core::ToYaml(encoded);
  return 0;
}
