#pragma once
// The YAML front end of core/codec.h: YAML (or JSON, which is YAML) text to a JSON value, and
// a JSON value back to YAML text. Internal to core/; callers use ParseYamlDocument and ToYaml
// from core/codec.h.
//
// Typing: plain scalars are typed as Kubernetes' YAML decoder types them (true/false,
// integers, floats, null, .inf); quoted or tagged scalars stay strings. JsonToYaml quotes
// every string that would read back as another type, so YamlToJson(JsonToYaml(v)) == v.
//
// Limits (hostile input): the text must be UTF-8 (so must every decoded value: escapes that
// decode to invalid UTF-8 are refused); one non-empty document; at most kYamlMaxDepth nested
// levels (yaml-cpp's own parser limit, also applied to the alias expansion, so a
// self-referencing alias is refused); at most kYamlMaxValues values after alias expansion (a
// "billion laughs" is refused). yaml-cpp's exceptions are caught here; nothing throws out.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace ktune::core::internal {

// yaml-cpp's parser stops at 500 nested nodes (DepthGuard<500> in its singledocparser.cpp),
// counting every collection and the innermost value: 499 levels parse.
inline constexpr int kYamlMaxDepth = 499;
// Values (scalars and collections) one document may expand to.
inline constexpr int64_t kYamlMaxValues = 1'000'000;

// One YAML document as JSON. Errors: InvalidArgument "line L, column C: <what>" (1-based),
// or "the document is empty", or "the file holds N YAML documents; ...".
absl::StatusOr<nlohmann::json> YamlToJson(std::string_view text);

// `value` as block YAML text, ending in a newline.
std::string JsonToYaml(const nlohmann::json& value);

}  // namespace ktune::core::internal
