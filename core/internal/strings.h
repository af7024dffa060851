#pragma once
// Small text helpers shared by core's validators (internal to core/).
//
// Thread-safety: pure functions.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ktune::core::internal {

// Whether `item` is in `list`.
inline bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Levenshtein distance of `a` and `b`, ignoring ASCII case.
size_t EditDistance(std::string_view a, std::string_view b);

// The first of `candidates` closest to `word` within a small edit distance (fewer than
// max(2, |word| / 3) + 1 edits: "did you mean ..." for a typo), or "" when none is that close.
std::string Closest(std::string_view word, const std::vector<std::string>& candidates);

// `pointer` (a JSON pointer, RFC 6901) extended by the object key or list index `token`,
// escaped (`~` as ~0, `/` as ~1).
std::string JsonPointerJoin(std::string_view pointer, std::string_view token);

}  // namespace ktune::core::internal
