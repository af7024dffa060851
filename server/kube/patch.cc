#include "server/kube/patch.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/json_access.h"
#include "server/kube/status.h"

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;

absl::Status TooDeep() {
  return absl::InvalidArgumentError(
      absl::StrCat("request body nested deeper than ", kMaxBodyDepth, " levels"));
}

absl::Status TooMany() {
  return WithHttpStatus(
      absl::ResourceExhaustedError(absl::StrCat("Request entity too large: the body holds more "
                                                "than ",
                                                kMaxBodyValues, " JSON values")),
      413, "RequestEntityTooLarge");
}

// Counts values and depth of a built document without recursion.
absl::Status CheckBounds(const json& doc) {
  int64_t values = 0;
  std::vector<std::pair<const json*, int>> stack{{&doc, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (++values > kMaxBodyValues) return TooMany();
    if (!node->is_structured()) continue;
    if (depth + 1 > kMaxBodyDepth) return TooDeep();
    for (const json& child : *node) stack.emplace_back(&child, depth + 1);
  }
  return absl::OkStatus();
}

std::string Describe(const json& op) {
  auto text = [&](const char* key) -> std::string {
    auto it = op.find(key);
    return it != op.end() && it->is_string() ? it->get<std::string>() : "";
  };
  std::string d = absl::StrCat(text("op"), " ", text("path"));
  if (std::string from = text("from"); !from.empty()) absl::StrAppend(&d, " from ", from);
  return d;
}

// RFC 6902 §4's shape of operation `i`, checked before anything is applied.
absl::Status CheckOperation(const json& op, size_t i) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("json patch operation ", i, ": ", std::string(why)));
  };
  if (!op.is_object()) return bad("not a JSON object");
  auto op_it = op.find("op");
  if (op_it == op.end() || !op_it->is_string()) return bad("missing \"op\"");
  const std::string& name = op_it->get_ref<const std::string&>();
  static const std::vector<std::string> kOps = {"add", "remove", "replace", "move", "copy", "test"};
  if (std::find(kOps.begin(), kOps.end(), name) == kOps.end()) {
    return bad(absl::StrCat("unknown op \"", name, "\""));
  }
  auto pointer_ok = [](const json& p) {
    if (!p.is_string()) return false;
    try {
      json::json_pointer pointer(p.get<std::string>());
      (void)pointer;
      return true;
    } catch (const json::exception&) {
      return false;
    }
  };
  auto path_it = op.find("path");
  if (path_it == op.end() || !pointer_ok(*path_it)) {
    return bad("\"path\" must be a JSON pointer (\"\" or starting with '/')");
  }
  if ((name == "add" || name == "replace" || name == "test") && !op.contains("value")) {
    return bad(absl::StrCat("\"", name, "\" needs a \"value\""));
  }
  if (name == "move" || name == "copy") {
    auto from_it = op.find("from");
    if (from_it == op.end() || !pointer_ok(*from_it)) {
      return bad("\"from\" must be a JSON pointer");
    }
  }
  return absl::OkStatus();
}

// nlohmann's messages start with "[json.exception.<kind>.<id>] ".
std::string WhyOf(const json::exception& e) {
  std::string_view what = e.what();
  if (size_t close = what.find("] "); what.substr(0, 1) == "[" && close != std::string::npos) {
    what.remove_prefix(close + 2);
  }
  return std::string(what);
}

}  // namespace

absl::StatusOr<json> ParseJsonBody(std::string_view body) {
  absl::StatusOr<json> doc = core::ParseJsonBounded(body, kMaxBodyDepth, kMaxBodyValues);
  if (doc.ok()) return doc;
  if (absl::IsResourceExhausted(doc.status())) return TooMany();
  if (absl::StartsWith(doc.status().message(), "JSON nested deeper than")) return TooDeep();
  return doc.status();
}

const std::vector<std::string>& SupportedPatchContentTypes() {
  static const std::vector<std::string>* const types =
      new std::vector<std::string>{"application/json-patch+json", "application/merge-patch+json",
                                   "application/apply-patch+yaml"};
  return *types;
}

absl::StatusOr<PatchType> ParsePatchContentType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
  if (type == "application/merge-patch+json") return PatchType::kMerge;
  if (type == "application/json-patch+json") return PatchType::kJson;
  if (type == "application/apply-patch+yaml") return PatchType::kApply;
  const json status = UnsupportedMediaTypeJson(SupportedPatchContentTypes());
  return WithHttpStatus(absl::InvalidArgumentError(status["message"].get<std::string>()), 415,
                        "UnsupportedMediaType");
}

absl::StatusOr<json> ApplyMergePatch(const json& target, std::string_view patch_body) {
  absl::StatusOr<json> patch = ParseJsonBody(patch_body);
  if (!patch.ok()) return patch.status();
  if (!patch->is_object()) {
    return absl::InvalidArgumentError("a merge patch must be a JSON object");
  }
  json result = target;
  // Bounded above: the recursion of merge_patch follows the patch's depth (<= 512).
  result.merge_patch(*patch);
  return result;
}

absl::StatusOr<json> ApplyJsonPatch(const json& target, std::string_view patch_body) {
  absl::StatusOr<json> patch = ParseJsonBody(patch_body);
  if (!patch.ok()) return patch.status();
  if (!patch->is_array()) {
    return absl::InvalidArgumentError("a json patch must be a JSON array of operations");
  }
  for (size_t i = 0; i < patch->size(); ++i) {
    if (absl::Status st = CheckOperation((*patch)[i], i); !st.ok()) return st;
  }
  try {
    return target.patch(*patch);
  } catch (const json::exception&) {
    // Find which operation failed: apply them one by one (only on this error path).
  }
  json current = target;
  for (size_t i = 0; i < patch->size(); ++i) {
    try {
      current = current.patch(json::array({(*patch)[i]}));
    } catch (const json::exception& e) {
      return WithHttpStatus(
          absl::InvalidArgumentError(absl::StrCat("json patch operation ", i, " (",
                                                  Describe((*patch)[i]), "): ", WhyOf(e))),
          422, "Invalid");
    }
  }
  return absl::InternalError("json patch failed as a whole but each operation applied");
}

absl::StatusOr<json> ApplyApplyPatch(const json& target, std::string_view patch_body,
                                     const ResourceInfo& info) {
  std::string_view trimmed = patch_body;
  while (!trimmed.empty() && absl::ascii_isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  absl::StatusOr<json> config;
  if (!trimmed.empty() && (trimmed.front() == '{' || trimmed.front() == '[')) {
    config = ParseJsonBody(patch_body);
    // A YAML flow mapping (`{a: 1}`) is not JSON: read it as YAML unless a limit was hit.
    if (!config.ok() && absl::IsInvalidArgument(config.status()) &&
        config.status().message().substr(0, 12) == "invalid JSON") {
      config = core::ParseYamlDocument(patch_body);
      if (config.ok()) {
        if (absl::Status st = CheckBounds(*config); !st.ok()) return st;
      }
    }
  } else {
    config = core::ParseYamlDocument(patch_body);
    if (config.ok()) {
      if (absl::Status st = CheckBounds(*config); !st.ok()) return st;
    }
  }
  if (!config.ok()) {
    return absl::Status(
        config.status().code(),
        absl::StrCat("error decoding the apply configuration: ", config.status().message()));
  }
  if (!config->is_object()) {
    return absl::InvalidArgumentError("the apply configuration must be an object");
  }
  auto text = [&](const char* key) -> std::string {
    auto it = config->find(key);
    return it != config->end() && it->is_string() ? it->get<std::string>() : "";
  };
  const std::string api_version = text("apiVersion");
  const std::string kind = text("kind");
  if (api_version.empty() || kind.empty()) {
    return absl::InvalidArgumentError("the apply configuration must set apiVersion and kind (" +
                                      info.GroupVersion() + ", " + info.kind + ")");
  }
  if (api_version != info.GroupVersion() || kind != info.kind) {
    return absl::InvalidArgumentError(absl::StrCat("the apply configuration is a ", api_version,
                                                   " ", kind, ", the resource is a ",
                                                   info.GroupVersion(), " ", info.kind));
  }
  json result = target.is_null() ? json::object() : target;
  result.merge_patch(*config);
  return result;
}

}  // namespace ktune::server::kube
