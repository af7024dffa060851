#pragma once
// The AdmissionReview layer of Katib's three webhooks (KATIB.md §3.1), as pure functions:
// an `admission.k8s.io/v1` AdmissionReview in, the AdmissionReview to send back out. The
// rules themselves live elsewhere (core/validation.h, core/defaults.h, webhook/pod_mutation.h);
// this layer decodes the request, picks the rule and renders the answer the way Katib's
// controller-runtime handlers do:
//
//   - allowed:  response {uid, allowed: true, status: {code: 200}}
//   - patched:  the same plus patchType "JSONPatch" and patch (base64 of the RFC 6902 patch)
//   - errored:  response {uid, allowed: false, status: {code: 400 | 500, message}}
//
// A review without request.operation is treated as a CREATE (hand-written reviews for curl).
// The API server shows a denial as `admission webhook "<name>" denied the request: <message>`.
// An AdmissionReview that cannot be read at all (not JSON, no request) is not answered with a
// review: the handlers return InvalidArgument and the server replies HTTP 400.
//
// Limits (a review is at most 3 MiB through the API server, but port 8443 is reachable by any
// pod): before any value is built, one scan checks the nesting (at most kMaxJsonDepth levels)
// and the number of JSON values (at most kMaxJsonValues, which bounds the DOM: a few dozen
// parameters and a trial template need a few thousand); a body over either limit is denied
// with code 400 naming the limit (HTTP 400 when not even its uid can be read). A denial reports at
// most kMaxReportedErrors distinct errors, then "and N more"; the first error longer than
// kMaxLaterErrorBytes (a quoted template) is cut to kMaxQuotedBytes, every later one to
// kMaxLaterErrorBytes, and the whole message to kMaxMessageBytes, each cut ending in a marker. Only
// kError findings deny; kWarning findings (ktune's own checks) go into response.warnings, which
// kubectl prints: at most kMaxWarnings, each cut to kMaxWarningBytes (the API server's own
// per-warning limit), then "and N more warnings".
//
// Thread safety: every function here is safe to call concurrently provided the callbacks in
// the options (ValidationOptions::load_config_map_template, TrialResolver) are.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/validation.h"
#include "webhook/pod_mutation.h"

namespace ktune::webhook {

inline constexpr char kValidateExperimentPath[] = "/validate-experiment";
inline constexpr char kMutateExperimentPath[] = "/mutate-experiment";
inline constexpr char kMutatePodPath[] = "/mutate-pod";

inline constexpr int kMaxJsonDepth = 512;
inline constexpr int64_t kMaxJsonValues = 100'000;
inline constexpr size_t kMaxReportedErrors = 50;
inline constexpr size_t kMaxQuotedBytes = 1024;
inline constexpr size_t kMaxLaterErrorBytes = 256;
inline constexpr size_t kMaxMessageBytes = 16 << 10;
inline constexpr size_t kMaxWarnings = 16;
inline constexpr size_t kMaxWarningBytes = 256;

// The warning /mutate-pod returns for every pod it admits unchanged because no TrialResolver
// is configured (`ktune webhook` has no Kubernetes client yet).
inline constexpr char kNoTrialResolverWarning[] =
    "ktune webhook cannot look up the Trial that owns a pod (no Kubernetes client): the pod "
    "was admitted unchanged, without a metrics-collector sidecar";

// Finds the Trial that owns a pod (pod -> Job/TFJob/... -> Trial), which needs a Kubernetes
// client. Resolve returns nullopt when the pod is not a trial's pod (it is then admitted
// unchanged) and an error when the lookup itself failed (the pod is then rejected with 500,
// as Katib does). `ns` is the request's namespace (a pod being created may lack
// metadata.namespace).
class TrialResolver {
 public:
  virtual ~TrialResolver() = default;
  virtual absl::StatusOr<std::optional<PodTrial>> Resolve(const nlohmann::json& pod,
                                                          const std::string& ns) = 0;
};

// The resolver of `ktune webhook` without a cluster: no pod has a Trial owner.
class NoTrialResolver : public TrialResolver {
 public:
  absl::StatusOr<std::optional<PodTrial>> Resolve(const nlohmann::json& pod,
                                                  const std::string& ns) override;
};

struct AdmissionOptions {
  // What validate-experiment checks against. old_experiment is ignored here: it is set per
  // request from request.oldObject on UPDATE.
  core::ValidationOptions validation;
  // The sidecar configuration for mutate-pod.
  InjectionConfig injection;
  // Borrowed, must outlive every call; null behaves like NoTrialResolver.
  TrialResolver* trial_resolver = nullptr;
};

// /validate-experiment. Decodes request.object (and request.oldObject on UPDATE), applies
// Katib's defaults (in a cluster the mutating webhook has run first) and validates. An UPDATE
// that leaves the defaulted spec unchanged (status, finalizers, labels) is allowed without
// validation, so that an Experiment that has become invalid can still be finalized and
// deleted. Operations other than CREATE and UPDATE are allowed. Only FieldErrors of severity
// kError deny: rejections carry code 400 and one error's message, or `[e1, e2, ...]`
// (deduplicated) for several, as Katib's aggregate, within the limits above; kWarning ones
// become response.warnings, on an allowed or a denied answer.
// Errors: InvalidArgument for a malformed review.
absl::StatusOr<nlohmann::json> ReviewValidateExperiment(const nlohmann::json& review,
                                                        const core::ValidationOptions& options);

// /mutate-experiment. Allowed, with a JSON patch that adds Katib's defaults to the raw
// request.object's spec. Only "add" and "replace" operations are sent: fields ktune's codec
// does not know are left as the user wrote them. No patch when nothing changes; operations
// other than CREATE and UPDATE are allowed unchanged.
// Errors: InvalidArgument for a malformed review.
absl::StatusOr<nlohmann::json> ReviewMutateExperiment(const nlohmann::json& review);

// /mutate-pod (CREATE; other operations are allowed unchanged). Asks `resolver` for the
// pod's Trial; a pod without one is allowed unchanged,
// otherwise MutatePod's patch is returned. MutatePod's InvalidArgument becomes a code-400
// rejection, any other failure (including the resolver's) code 500.
// Errors: InvalidArgument for a malformed review.
absl::StatusOr<nlohmann::json> ReviewMutatePod(const nlohmann::json& review,
                                               TrialResolver& resolver,
                                               const InjectionConfig& config);

// An HTTP answer.
struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Dispatches a request body by webhook path (kValidateExperimentPath, ...) and serializes the
// answer: HTTP 200 with the response AdmissionReview, HTTP 400 with a plain-text message for a
// malformed review, HTTP 404 for an unknown path. Never throws. With options.trial_resolver
// null, a pod CREATE admitted unchanged carries kNoTrialResolverWarning.
HttpReply HandleAdmission(std::string_view path, std::string_view body,
                          const AdmissionOptions& options);

}  // namespace ktune::webhook
