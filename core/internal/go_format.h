#pragma once
// How Go prints values, for Katib's admission messages reproduced byte for byte
// (core/validation.cc): strconv.Quote (%q), encoding/json's json.Marshal, fmt's %v of decoded
// JSON and of Katib's API structs, and regexp's parse errors. Internal to core/.
//
// Output is bounded: the quoting helpers cut what they print to about kMaxQuote bytes with a
// `... (N more bytes)` marker, so a message never grows with the size of the input (REVIEW
// §2, amplification). GoValue walks with an explicit stack (no recursion on user depth).
//
// Thread-safety: pure functions.

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment.h"

namespace re2 {
class RE2;
}

namespace ktune::core::internal {

// Output budget of one quoted value (a template, a list, an object): about 1 KB, then a
// marker. Katib prints such values whole.
inline constexpr size_t kMaxQuote = 1024;

// Go's %q (strconv.Quote) for the ASCII range; bytes >= 0x80 are passed through (UTF-8 text).
std::string GoQuote(const std::string& s);

// json.Marshal of an unstructured value (maps with sorted keys, as nlohmann::json's are;
// `<`, `>` and `&` escaped as \u003c, \u003e, \u0026; invalid UTF-8 replaced).
std::string GoJson(const nlohmann::json& v);
// json.Marshal of a value whose member order is already Go's (struct declaration order).
std::string GoJson(const nlohmann::ordered_json& v);
// json.Marshal of a string.
std::string GoJsonString(const std::string& s);

// `text` cut to about `limit` bytes at a UTF-8 boundary, with `... (N more bytes)` appended
// naming how much was left out; unchanged when it fits.
std::string CutQuote(std::string text, size_t limit = kMaxQuote);

// Go's %v of a decoded JSON value (string, float64, bool, nil, []interface{}, map), stopped
// (and cut) once `limit` bytes are out.
std::string GoValue(const nlohmann::json& root, size_t limit = kMaxQuote);

// Go's %v of a []string.
std::string GoList(const std::vector<std::string>& list);

// Go's %v of []TrialParameterSpec{Name, Description, Reference}, cut past kMaxQuote.
std::string GoTrialParameters(const std::vector<TrialParameterSpec>& params);

// Go's %v of []ParameterSpec{Name, ParameterType, FeasibleSpace{Max, Min, List, Step,
// Distribution}}, cut past kMaxQuote.
std::string GoParameters(const std::vector<ParameterSpec>& params);

// json.Marshal(FeasibleSpace): declaration order, omitempty.
std::string GoFeasibleSpaceJson(const FeasibleSpace& fs);

// Go's regexp error text (`error parsing regexp: <code>: `<arg>``) for a pattern RE2 failed
// to compile.
std::string GoRegexpError(const re2::RE2& re);

}  // namespace ktune::core::internal
