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
// Thread safety: every function here is safe to call concurrently provided the callbacks in
// the options (ValidationOptions::load_config_map_template, TrialResolver) are.

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
// deleted. Operations other than CREATE and UPDATE are allowed. Rejections carry code 400 and
// one error's message, or `[e1, e2, ...]` (deduplicated) for several, as Katib's aggregate.
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
// malformed review, HTTP 404 for an unknown path.
HttpReply HandleAdmission(std::string_view path, std::string_view body,
                          const AdmissionOptions& options);

}  // namespace ktune::webhook
