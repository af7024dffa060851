#pragma once
// Kubernetes `Status` objects (the body of every error answer, SERVER.md §A.3 "Errors"), with
// the codes, reasons and messages of apimachinery's api/errors constructors
// (kubernetes-1.32), and the mapping from absl::Status to them.
//
// Shape: {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":...,
// "reason":...,"details":{...},"code":N}; `reason` and `details` are left out when empty, as
// Go's omitempty does (a webhook denial is code 400 with no reason). kubectl prints
// `Error from server (<reason>): <message>`, except for reason Invalid, which it prints from
// the details: `The <details.kind> "<details.name>" is invalid: <field>: <message>` (one
// cause) or one `* <field>: <message>` line per cause.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "server/kube/resources.h"

namespace ktune::server::kube {

// What a failed optimistic-concurrency write says (the store's Aborted message too).
inline constexpr char kOptimisticLockMessage[] =
    "the object has been modified; please apply your changes to the latest version and try "
    "again";

// A Status with status "Failure". `reason` "" and `details` null are left out.
nlohmann::json StatusJson(int code, std::string_view reason, std::string_view message,
                          nlohmann::json details = nullptr);

// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name",
// "group","kind":<plural>,"uid"}} — what DELETE answers when the object is gone at once
// (uid left out when empty).
nlohmann::json DeletedStatusJson(const ResourceInfo& info, std::string_view name,
                                 std::string_view uid);

// 404 NotFound `experiments.kubeflow.org "nope" not found`, details {name, group, kind:
// "experiments"} (`pods "x" not found`, no group, for the core group).
nlohmann::json NotFoundJson(const ResourceInfo& info, std::string_view name);
// 409 AlreadyExists `experiments.kubeflow.org "random" already exists`, details as NotFound.
nlohmann::json AlreadyExistsJson(const ResourceInfo& info, std::string_view name);
// 409 Conflict `Operation cannot be fulfilled on experiments.kubeflow.org "x": <why>`,
// details as NotFound. The default `why` is the optimistic-lock message.
nlohmann::json ConflictJson(const ResourceInfo& info, std::string_view name,
                            std::string_view why = kOptimisticLockMessage);

// One cause of an Invalid error. `type` is a metav1.CauseType: "FieldValueInvalid",
// "FieldValueRequired", "FieldValueNotSupported", "FieldValueForbidden", "FieldValueDuplicate",
// "FieldValueTooLong", ... `message` is what follows the field in kubectl's output (the field
// error's body, e.g. `Invalid value: "x": must be positive`, or Katib's admission message).
struct FieldCause {
  std::string type = "FieldValueInvalid";
  std::string field;  // "spec.maxTrialCount"
  std::string message;
};
// 422 Invalid. message `Experiment.kubeflow.org "x" is invalid: <field>: <message>` (several
// causes: `[f1: m1, f2: m2]`, repeats once; none: `... "x" is invalid`), details {name,
// group, kind: "Experiment" (the kind, not the plural), causes[{reason, message, field}]}.
// kubectl prints `The Experiment "x" is invalid: <field>: <message>`.
nlohmann::json InvalidJson(const ResourceInfo& info, std::string_view name,
                           const std::vector<FieldCause>& causes);

// 410 Expired with `message` (what a watch from a compacted resourceVersion gets, in an
// ERROR event). TooOldResourceVersionJson: `too old resource version: <requested>
// (<oldest>)`.
nlohmann::json ExpiredJson(std::string_view message);
nlohmann::json TooOldResourceVersionJson(int64_t requested, int64_t oldest);
// 410 Gone with `message`.
nlohmann::json GoneJson(std::string_view message);
// 400 BadRequest with `message`.
nlohmann::json BadRequestJson(std::string_view message);
// 401 Unauthorized; an empty `message` becomes `Unauthorized` (what kube-apiserver's
// authentication filter answers).
nlohmann::json UnauthorizedJson(std::string_view message = "");
// 403 Forbidden `experiments.kubeflow.org "x" is forbidden: <why>` (no name:
// `experiments.kubeflow.org is forbidden: <why>`; no resource: `forbidden: <why>`).
nlohmann::json ForbiddenJson(const ResourceInfo* info, std::string_view name, std::string_view why);
// 405 MethodNotAllowed `<action> is not supported on resources of kind "pods"`, details
// {group, kind: plural}. `action` is the verb: "create", "update", "patch", "delete".
nlohmann::json MethodNotAllowedJson(const ResourceInfo& info, std::string_view action);
// 415 UnsupportedMediaType `the body of the request was in an unknown format - accepted media
// types include: a, b`.
nlohmann::json UnsupportedMediaTypeJson(const std::vector<std::string>& accepted);
// 406 NotAcceptable `only the following media types are accepted: a, b`.
nlohmann::json NotAcceptableJson(const std::vector<std::string>& accepted);
// 413 RequestEntityTooLarge `Request entity too large: <message>`.
nlohmann::json RequestEntityTooLargeJson(std::string_view message);
// 429 TooManyRequests with `message`, details {retryAfterSeconds} when positive.
nlohmann::json TooManyRequestsJson(std::string_view message, int retry_after_seconds);
// 500 InternalError `Internal error occurred: <message>`, details {causes[{message}]}.
nlohmann::json InternalErrorJson(std::string_view message);
// 503 ServiceUnavailable with `message`.
nlohmann::json ServiceUnavailableJson(std::string_view message);
// 504 Timeout `Timeout: <message>`.
nlohmann::json TimeoutJson(std::string_view message);

// `status` marked to be answered with exactly this HTTP code and reason (and the status'
// own message): HttpCodeOf and StatusJsonOf use the mark before the mapping below. For errors
// with no canonical absl code (415, 413, 422 without causes). The mark is a payload, so it
// survives copies of the status but not re-wrapping into a new one.
absl::Status WithHttpStatus(absl::Status status, int code, std::string_view reason);

// The HTTP code an error answers with (200 for OK):
//   marked (WithHttpStatus) -> the mark
//   NotFound -> 404 NotFound           AlreadyExists -> 409 AlreadyExists
//   Aborted -> 409 Conflict (a failed resourceVersion precondition; the store's contract)
//   FailedPrecondition -> 409 Conflict (a request that does not fit the object's state)
//   InvalidArgument -> 400 BadRequest  OutOfRange -> 410 Expired (a compacted revision)
//   PermissionDenied -> 403 Forbidden  Unauthenticated -> 401 Unauthorized
//   Unavailable, Cancelled -> 503 ServiceUnavailable
//   DeadlineExceeded -> 504 Timeout    Unimplemented -> 405 MethodNotAllowed
//   ResourceExhausted -> 507 InsufficientStorage (the store's "disk full"; body-size and
//     rate limits are answered with their own 413 / 429 helpers above)
//   anything else -> 500 InternalError
int HttpCodeOf(const absl::Status& status);

// The Status object for `status`, per HttpCodeOf. With `info` (and `name` where the helper
// takes one) NotFound, AlreadyExists, Aborted and PermissionDenied use the exact helpers above
// (`experiments.kubeflow.org "x" not found`, ...); an Aborted message that is the
// optimistic-lock one or empty becomes ConflictJson's default. Without them, the status'
// message is used as it is. Internal errors: InternalErrorJson(message).
nlohmann::json StatusJsonOf(const absl::Status& status, const ResourceInfo* info,
                            std::string_view name);

}  // namespace ktune::server::kube
