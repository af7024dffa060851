#pragma once
// Request bodies and PATCH semantics of the Kubernetes-style API (SERVER.md §A.6):
// bounded JSON parsing, JSON merge patch (RFC 7386), JSON patch (RFC 6902) and server-side
// apply, approximated.
//
// Limits (hostile input): a body nested deeper than kMaxBodyDepth or holding more than
// kMaxBodyValues JSON values is refused before any DOM is built (a SAX pass with no
// recursion), so no body can exhaust the stack or memory. The caller bounds the byte size.
//
// Errors: InvalidArgument (answer 400 BadRequest) for a body that is not JSON/YAML or too
// deep; a status marked 413 RequestEntityTooLarge (status.h WithHttpStatus) for too many
// values; a status marked 415 UnsupportedMediaType for a Content-Type that is not a patch
// type this server takes; a status marked 422 Invalid for a JSON patch whose operations do
// not apply (kubectl prints `The request is invalid: <message>`). status.h StatusJsonOf
// turns each into its Status.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "server/kube/resources.h"

namespace ktune::server::kube {

inline constexpr int kMaxBodyDepth = 512;
inline constexpr int64_t kMaxBodyValues = 100'000;

// `body` as JSON within the limits above. Errors: InvalidArgument `invalid JSON at byte N:
// <what>` / `request body nested deeper than 512 levels`; 413 `Request entity too large:
// ...` beyond kMaxBodyValues.
absl::StatusOr<nlohmann::json> ParseJsonBody(std::string_view body);

enum class PatchType {
  kMerge,  // application/merge-patch+json
  kJson,   // application/json-patch+json
  kApply,  // application/apply-patch+yaml (server-side apply)
};
// The patch types this server takes, as the 415 answer lists them.
const std::vector<std::string>& SupportedPatchContentTypes();
// The type of a PATCH request's Content-Type (parameters such as `; charset=utf-8` ignored,
// case-insensitive). application/strategic-merge-patch+json (which CRDs refuse) and anything
// else: a status marked 415 UnsupportedMediaType with the apiserver's message `the body of
// the request was in an unknown format - accepted media types include:
// application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`.
absl::StatusOr<PatchType> ParsePatchContentType(std::string_view content_type);

// RFC 7386 merge of `patch_body` (a JSON object) into `target`: members set to null are
// removed, objects merge recursively, everything else (lists included) replaces. A body that
// is not an object is InvalidArgument.
absl::StatusOr<nlohmann::json> ApplyMergePatch(const nlohmann::json& target,
                                               std::string_view patch_body);

// RFC 6902: `patch_body` must be a JSON array of operations (add, remove, replace, move,
// copy, test). A malformed body is InvalidArgument; an operation that does not apply (missing
// path, failed test) is a status marked 422 Invalid naming it: `json patch operation 2
// (remove /spec/x): <why>` (0-based index).
absl::StatusOr<nlohmann::json> ApplyJsonPatch(const nlohmann::json& target,
                                              std::string_view patch_body);

// Server-side apply (`kubectl apply --server-side`; kubectl sends JSON, YAML is accepted
// too). The body must be an object whose apiVersion and kind are `info`'s (else
// InvalidArgument, as the apiserver's 400). `target` is the live object, or null when there
// is none (the result is then the applied configuration itself: the caller creates it and
// answers 201).
//
// Approximation: the configuration is merged as a JSON merge patch (objects merge, lists
// and scalars replace, null removes). Managed fields are not tracked, so a field this
// manager set before and now leaves out is kept (real SSA removes it), no apply conflicts are
// reported (`force` has no effect), and lists are replaced whole — which is what real SSA
// does for these CRDs anyway, since their schema (x-kubernetes-preserve-unknown-fields)
// declares no list merge keys.
absl::StatusOr<nlohmann::json> ApplyApplyPatch(const nlohmann::json& target,
                                               std::string_view patch_body,
                                               const ResourceInfo& info);

}  // namespace ktune::server::kube
