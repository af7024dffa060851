#include "server/kube/status.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;

// The payload WithHttpStatus attaches: "<code> <reason>".
constexpr char kHttpStatusPayload[] = "type.ktune.dev/kube.HttpStatus";

std::string Str(std::string_view s) { return std::string(s); }

json ResourceDetails(const ResourceInfo& info, std::string_view name) {
  json details = json::object();
  if (!name.empty()) details["name"] = std::string(name);
  if (!info.group.empty()) details["group"] = info.group;
  details["kind"] = info.resource;
  return details;
}

struct HttpMark {
  int code = 0;
  std::string reason;
};

std::optional<HttpMark> MarkOf(const absl::Status& status) {
  auto payload = status.GetPayload(kHttpStatusPayload);
  if (!payload) return std::nullopt;
  std::string text(*payload);
  HttpMark mark;
  size_t space = text.find(' ');
  std::string_view code_text = std::string_view(text).substr(0, space);
  auto [end, ec] =
      std::from_chars(code_text.data(), code_text.data() + code_text.size(), mark.code);
  if (ec != std::errc() || mark.code < 100 || mark.code > 599) return std::nullopt;
  if (space != std::string::npos) mark.reason = text.substr(space + 1);
  return mark;
}

std::string ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    case 507:
      return "InsufficientStorage";
    default:
      return "";
  }
}

}  // namespace

json StatusJson(int code, std::string_view reason, std::string_view message, json details) {
  json status = {{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", json::object()},
                 {"status", "Failure"},
                 {"message", std::string(message)},
                 {"code", code}};
  if (!reason.empty()) status["reason"] = std::string(reason);
  if (details.is_object() && !details.empty()) status["details"] = std::move(details);
  return status;
}

json DeletedStatusJson(const ResourceInfo& info, std::string_view name, std::string_view uid) {
  json details = ResourceDetails(info, name);
  if (!uid.empty()) details["uid"] = std::string(uid);
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", json::object()},
          {"status", "Success"},
          {"details", std::move(details)}};
}

json NotFoundJson(const ResourceInfo& info, std::string_view name) {
  return StatusJson(404, "NotFound",
                    absl::StrCat(info.QualifiedResource(), " \"", Str(name), "\" not found"),
                    ResourceDetails(info, name));
}

json AlreadyExistsJson(const ResourceInfo& info, std::string_view name) {
  return StatusJson(409, "AlreadyExists",
                    absl::StrCat(info.QualifiedResource(), " \"", Str(name), "\" already exists"),
                    ResourceDetails(info, name));
}

json ConflictJson(const ResourceInfo& info, std::string_view name, std::string_view why) {
  return StatusJson(409, "Conflict",
                    absl::StrCat("Operation cannot be fulfilled on ", info.QualifiedResource(),
                                 " \"", Str(name), "\": ", Str(why)),
                    ResourceDetails(info, name));
}

json InvalidJson(const ResourceInfo& info, std::string_view name,
                 const std::vector<FieldCause>& causes) {
  json details = json::object();
  if (!name.empty()) details["name"] = std::string(name);
  if (!info.group.empty()) details["group"] = info.group;
  details["kind"] = info.kind;
  json list = json::array();
  std::vector<std::string> messages;
  for (const FieldCause& cause : causes) {
    json c = json::object();
    if (!cause.type.empty()) c["reason"] = cause.type;
    if (!cause.message.empty()) c["message"] = cause.message;
    if (!cause.field.empty()) c["field"] = cause.field;
    list.push_back(std::move(c));
    std::string text = absl::StrCat(cause.field, ": ", cause.message);
    if (std::find(messages.begin(), messages.end(), text) == messages.end()) {
      messages.push_back(std::move(text));
    }
  }
  if (!list.empty()) details["causes"] = std::move(list);
  std::string message = absl::StrCat(info.QualifiedKind(), " \"", Str(name), "\" is invalid");
  if (messages.size() == 1) {
    absl::StrAppend(&message, ": ", messages[0]);
  } else if (!messages.empty()) {
    absl::StrAppend(&message, ": [", absl::StrJoin(messages, ", "), "]");
  }
  return StatusJson(422, "Invalid", message, std::move(details));
}

json ExpiredJson(std::string_view message) { return StatusJson(410, "Expired", message); }

json TooOldResourceVersionJson(int64_t requested, int64_t oldest) {
  return ExpiredJson(absl::StrCat("too old resource version: ", requested, " (", oldest, ")"));
}

json GoneJson(std::string_view message) { return StatusJson(410, "Gone", message); }

json BadRequestJson(std::string_view message) { return StatusJson(400, "BadRequest", message); }

json UnauthorizedJson(std::string_view message) {
  return StatusJson(401, "Unauthorized", message.empty() ? "Unauthorized" : message);
}

json ForbiddenJson(const ResourceInfo* info, std::string_view name, std::string_view why) {
  if (!info) return StatusJson(403, "Forbidden", absl::StrCat("forbidden: ", Str(why)));
  std::string message = name.empty()
                            ? absl::StrCat(info->QualifiedResource(), " is forbidden: ", Str(why))
                            : absl::StrCat(info->QualifiedResource(), " \"", Str(name),
                                           "\" is forbidden: ", Str(why));
  return StatusJson(403, "Forbidden", message, ResourceDetails(*info, name));
}

json MethodNotAllowedJson(const ResourceInfo& info, std::string_view action) {
  return StatusJson(405, "MethodNotAllowed",
                    absl::StrCat(Str(action), " is not supported on resources of kind \"",
                                 info.QualifiedResource(), "\""),
                    ResourceDetails(info, ""));
}

json UnsupportedMediaTypeJson(const std::vector<std::string>& accepted) {
  return StatusJson(415, "UnsupportedMediaType",
                    absl::StrCat("the body of the request was in an unknown format - accepted "
                                 "media types include: ",
                                 absl::StrJoin(accepted, ", ")));
}

json NotAcceptableJson(const std::vector<std::string>& accepted) {
  return StatusJson(
      406, "NotAcceptable",
      absl::StrCat("only the following media types are accepted: ", absl::StrJoin(accepted, ", ")));
}

json RequestEntityTooLargeJson(std::string_view message) {
  return StatusJson(413, "RequestEntityTooLarge",
                    absl::StrCat("Request entity too large: ", Str(message)));
}

json TooManyRequestsJson(std::string_view message, int retry_after_seconds) {
  json details = json::object();
  if (retry_after_seconds > 0) details["retryAfterSeconds"] = retry_after_seconds;
  return StatusJson(429, "TooManyRequests", message, std::move(details));
}

json InternalErrorJson(std::string_view message) {
  return StatusJson(500, "InternalError", absl::StrCat("Internal error occurred: ", Str(message)),
                    {{"causes", json::array({{{"message", std::string(message)}}})}});
}

json ServiceUnavailableJson(std::string_view message) {
  return StatusJson(503, "ServiceUnavailable", message);
}

json TimeoutJson(std::string_view message) {
  return StatusJson(504, "Timeout", absl::StrCat("Timeout: ", Str(message)));
}

absl::Status WithHttpStatus(absl::Status status, int code, std::string_view reason) {
  if (status.ok()) return status;
  status.SetPayload(kHttpStatusPayload, absl::Cord(absl::StrCat(code, " ", Str(reason))));
  return status;
}

int HttpCodeOf(const absl::Status& status) {
  if (status.ok()) return 200;
  if (std::optional<HttpMark> mark = MarkOf(status)) return mark->code;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kOutOfRange:
      return 410;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kUnimplemented:
      return 405;
    case absl::StatusCode::kResourceExhausted:
      return 507;
    default:
      return 500;
  }
}

json StatusJsonOf(const absl::Status& status, const ResourceInfo* info, std::string_view name) {
  const std::string message(status.message());
  if (std::optional<HttpMark> mark = MarkOf(status)) {
    return StatusJson(mark->code, mark->reason, message);
  }
  const bool named = info != nullptr && !name.empty();
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return {{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", json::object()},
              {"status", "Success"},
              {"code", 200}};
    case absl::StatusCode::kNotFound:
      return named ? NotFoundJson(*info, name) : StatusJson(404, "NotFound", message);
    case absl::StatusCode::kAlreadyExists:
      return named ? AlreadyExistsJson(*info, name) : StatusJson(409, "AlreadyExists", message);
    case absl::StatusCode::kAborted:
      if (!named) return StatusJson(409, "Conflict", message);
      return ConflictJson(*info, name, message.empty() ? kOptimisticLockMessage : message);
    case absl::StatusCode::kPermissionDenied:
      return ForbiddenJson(info, name, message);
    case absl::StatusCode::kUnauthenticated:
      return UnauthorizedJson(message);
    case absl::StatusCode::kDeadlineExceeded:
      return TimeoutJson(message);
    default:
      break;
  }
  const int code = HttpCodeOf(status);
  if (code == 500) return InternalErrorJson(message);
  return StatusJson(code, ReasonForCode(code), message);
}

}  // namespace ktune::server::kube
