#pragma once
// Non-throwing, type-checked access to user-supplied JSON (trial templates, collector specs,
// AdmissionReview bodies). nlohmann's `value()`, `at()`, `get<T>()` on an unchecked node and
// `operator[]` on a possibly non-object throw or assert on user data; code that walks user JSON
// uses these accessors instead (tests/unit/core/json_access_test.cc greps the sources for the
// throwing forms).
//
// Thread-safety: pure functions over borrowed nodes; results point into the argument and live
// as long as it does and is not modified.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace ktune::core {

enum class JsonType { kAny, kObject, kArray, kString, kNumber, kBool, kNull };

// "object", "array", "string", "number", "boolean", "null" — for messages.
const char* JsonTypeName(const nlohmann::json& node);

// True when `node` has type `type` (kAny: always).
bool HasJsonType(const nlohmann::json& node, JsonType type);

// The member `key` of `object` when `object` is an object, has `key`, and the member has
// `type`; otherwise nullptr. Never throws.
const nlohmann::json* FieldOf(const nlohmann::json& object, std::string_view key,
                              JsonType type = JsonType::kAny);
nlohmann::json* MutableFieldOf(nlohmann::json& object, std::string_view key,
                               JsonType type = JsonType::kAny);

// Follows `path` (object keys) from `root`; the last node must have `type`. nullptr when any
// step is missing or not an object.
const nlohmann::json* PathOf(const nlohmann::json& root,
                             std::initializer_list<std::string_view> path,
                             JsonType type = JsonType::kAny);

// The string member `key`, or nullopt when absent or not a string.
std::optional<std::string> StringFieldOf(const nlohmann::json& object, std::string_view key);
// The string member `key`, or `fallback` when absent or not a string.
std::string StringFieldOr(const nlohmann::json& object, std::string_view key,
                          std::string fallback = "");
// The boolean member `key`, or nullopt.
std::optional<bool> BoolFieldOf(const nlohmann::json& object, std::string_view key);
// The integer member `key` (a JSON integer, or a float with an integral value that fits),
// or nullopt.
std::optional<int64_t> IntFieldOf(const nlohmann::json& object, std::string_view key);

// Default nesting limit for JSON from the network (objects and arrays, counted from 1 at the
// outermost container). The Kubernetes API server allows 10 000 levels; nothing in an
// Experiment or a Pod needs more than a few dozen.
inline constexpr int kDefaultMaxJsonDepth = 512;

// Parses `text` without throwing. A syntax error, or containers nested deeper than
// `max_depth`, is InvalidArgument with the position of the offending byte (1-based, as
// nlohmann counts: `invalid JSON at byte 4: …` for `[1,]`, `JSON nested deeper than 512
// levels at byte 513` for 513 `[`); the depth is checked while scanning, before any value is
// built, so hostile nesting costs no memory and no recursion.
// With `max_values` > 0, a document of more values (scalars and containers) than that is
// ResourceExhausted (`JSON with more than N values`), also found before anything is built.
absl::StatusOr<nlohmann::json> ParseJsonBounded(std::string_view text,
                                                int max_depth = kDefaultMaxJsonDepth,
                                                int64_t max_values = 0);

// The nesting depth of `node` (0 for a scalar), computed without recursion.
int JsonDepth(const nlohmann::json& node);

}  // namespace ktune::core
