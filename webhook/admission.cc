#include "webhook/admission.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/codec.h"
#include "core/defaults.h"

namespace ktune::webhook {
namespace {

using json = nlohmann::json;

constexpr char kReviewApiVersion[] = "admission.k8s.io/v1";
constexpr char kReviewKind[] = "AdmissionReview";

// The parts of request every handler needs; the rest is read by the handler itself.
struct Request {
  std::string uid;
  std::string operation;
  std::string ns;
  const json* object = nullptr;      // null when absent
  const json* old_object = nullptr;  // null when absent
};

absl::StatusOr<Request> ReadRequest(const json& review) {
  if (!review.is_object()) {
    return absl::InvalidArgumentError("malformed AdmissionReview: expected a JSON object");
  }
  if (auto kind = review.find("kind"); kind != review.end() && *kind != kReviewKind) {
    return absl::InvalidArgumentError("malformed AdmissionReview: kind is " + kind->dump() +
                                      ", expected \"AdmissionReview\"");
  }
  auto request = review.find("request");
  if (request == review.end() || !request->is_object()) {
    return absl::InvalidArgumentError("malformed AdmissionReview: missing request");
  }
  Request r;
  auto string_field = [&](const char* name, std::string& out) -> absl::Status {
    auto it = request->find(name);
    if (it == request->end() || it->is_null()) return absl::OkStatus();
    if (!it->is_string()) {
      return absl::InvalidArgumentError(std::string("malformed AdmissionReview: request.") + name +
                                        " must be a string");
    }
    out = it->get<std::string>();
    return absl::OkStatus();
  };
  if (absl::Status s = string_field("uid", r.uid); !s.ok()) return s;
  if (absl::Status s = string_field("operation", r.operation); !s.ok()) return s;
  if (absl::Status s = string_field("namespace", r.ns); !s.ok()) return s;
  // Kubernetes always sets the operation; a hand-written review without one is a CREATE.
  if (r.operation.empty()) r.operation = "CREATE";
  if (auto it = request->find("object"); it != request->end() && !it->is_null()) {
    r.object = &*it;
  }
  if (auto it = request->find("oldObject"); it != request->end() && !it->is_null()) {
    r.old_object = &*it;
  }
  return r;
}

json Review(const std::string& uid, json response) {
  json out = json::object();
  out["apiVersion"] = kReviewApiVersion;
  out["kind"] = kReviewKind;
  response["uid"] = uid;
  out["response"] = std::move(response);
  return out;
}

// controller-runtime's admission.Allowed (a missing result becomes code 200).
json Allowed(const std::string& uid) {
  return Review(uid, {{"allowed", true}, {"status", {{"code", 200}}}});
}

// controller-runtime's admission.Errored: what Katib returns for every rejection.
json Errored(const std::string& uid, int code, std::string message) {
  return Review(
      uid, {{"allowed", false}, {"status", {{"code", code}, {"message", std::move(message)}}}});
}

json Patched(const std::string& uid, const json& patch) {
  if (patch.empty()) return Allowed(uid);
  json review = Allowed(uid);
  review["response"]["patchType"] = "JSONPatch";
  review["response"]["patch"] = absl::Base64Escape(patch.dump());
  return review;
}

// apimachinery's aggregate error text: one message as is, several (deduplicated, in order)
// as `[m1, m2]`.
std::string AggregateMessage(const std::vector<core::FieldError>& errors) {
  std::set<std::string> seen;
  std::string joined;
  for (const core::FieldError& e : errors) {
    std::string message = e.ToString();
    if (!seen.insert(message).second) continue;
    if (seen.size() > 1) joined += ", ";
    joined += message;
  }
  return seen.size() == 1 ? joined : "[" + joined + "]";
}

json DefaultedSpec(core::Experiment experiment) {
  core::SetDefaults(experiment);
  return core::ExperimentToJson(experiment)["spec"];
}

}  // namespace

absl::StatusOr<std::optional<PodTrial>> NoTrialResolver::Resolve(const json&, const std::string&) {
  return std::nullopt;
}

absl::StatusOr<json> ReviewValidateExperiment(const json& review,
                                              const core::ValidationOptions& options) {
  absl::StatusOr<Request> request = ReadRequest(review);
  if (!request.ok()) return request.status();
  const bool is_update = request->operation == "UPDATE";
  if (!is_update && request->operation != "CREATE") return Allowed(request->uid);

  if (request->object == nullptr) {
    return Errored(request->uid, 400, "there is no content to decode");
  }
  absl::StatusOr<core::Experiment> experiment = core::ExperimentFromJson(*request->object);
  if (!experiment.ok()) {
    return Errored(request->uid, 400, std::string(experiment.status().message()));
  }
  core::SetDefaults(*experiment);

  std::optional<core::Experiment> old;
  if (is_update) {
    if (request->old_object == nullptr) {
      return Errored(request->uid, 400,
                     "Cannot decode incoming old object: there is no content to decode");
    }
    absl::StatusOr<core::Experiment> decoded = core::ExperimentFromJson(*request->old_object);
    if (!decoded.ok()) {
      return Errored(
          request->uid, 400,
          "Cannot decode incoming old object: " + std::string(decoded.status().message()));
    }
    core::SetDefaults(*decoded);
    // Status updates, finalizer removal and relabelling must always pass: rejecting them
    // would leave an Experiment that has become invalid impossible to delete.
    if (core::ExperimentToJson(*decoded)["spec"] == core::ExperimentToJson(*experiment)["spec"]) {
      return Allowed(request->uid);
    }
    old = std::move(*decoded);
  }

  core::ValidationOptions per_request = options;
  per_request.old_experiment = old ? &*old : nullptr;
  std::vector<core::FieldError> errors = core::ValidateExperiment(*experiment, per_request);
  if (errors.empty()) return Allowed(request->uid);
  return Errored(request->uid, 400, AggregateMessage(errors));
}

absl::StatusOr<json> ReviewMutateExperiment(const json& review) {
  absl::StatusOr<Request> request = ReadRequest(review);
  if (!request.ok()) return request.status();
  if (request->operation != "CREATE" && request->operation != "UPDATE") {
    return Allowed(request->uid);
  }
  if (request->object == nullptr) {
    return Errored(request->uid, 400, "there is no content to decode");
  }
  absl::StatusOr<core::Experiment> experiment = core::ExperimentFromJson(*request->object);
  if (!experiment.ok()) {
    return Errored(request->uid, 400, std::string(experiment.status().message()));
  }
  json defaulted = DefaultedSpec(std::move(*experiment));

  json patch = json::array();
  // The decoder accepted the object, so it has a spec object.
  const json& raw = request->object->at("spec");
  // The diff is taken against the raw spec, as Katib's PatchResponseFromRaw does. "remove"
  // operations are dropped: they would only delete fields the codec does not model.
  for (json& op : json::diff(raw, defaulted)) {
    if (op["op"] == "remove") continue;
    op["path"] = "/spec" + op["path"].get<std::string>();
    patch.push_back(std::move(op));
  }
  return Patched(request->uid, patch);
}

absl::StatusOr<json> ReviewMutatePod(const json& review, TrialResolver& resolver,
                                     const InjectionConfig& config) {
  absl::StatusOr<Request> request = ReadRequest(review);
  if (!request.ok()) return request.status();
  if (request->operation != "CREATE") return Allowed(request->uid);
  if (request->object == nullptr || !request->object->is_object()) {
    return Errored(request->uid, 400, "there is no content to decode");
  }
  const json& pod = *request->object;
  std::string ns = request->ns;
  if (ns.empty()) {
    if (auto meta = pod.find("metadata"); meta != pod.end() && meta->is_object()) {
      if (auto it = meta->find("namespace"); it != meta->end() && it->is_string()) {
        ns = it->get<std::string>();
      }
    }
  }

  absl::StatusOr<std::optional<PodTrial>> owner = resolver.Resolve(pod, ns);
  if (!owner.ok()) return Errored(request->uid, 500, std::string(owner.status().message()));
  if (!owner->has_value()) return Allowed(request->uid);

  absl::StatusOr<json> patch = MutatePod(pod, **owner, config);
  if (!patch.ok()) {
    const int code = absl::IsInvalidArgument(patch.status()) ? 400 : 500;
    return Errored(request->uid, code, std::string(patch.status().message()));
  }
  return Patched(request->uid, *patch);
}

HttpReply HandleAdmission(std::string_view path, std::string_view body,
                          const AdmissionOptions& options) {
  json review = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (review.is_discarded()) {
    return {400, "text/plain", "malformed AdmissionReview: the request body is not JSON\n"};
  }
  absl::StatusOr<json> answer;
  try {
    if (path == kValidateExperimentPath) {
      answer = ReviewValidateExperiment(review, options.validation);
    } else if (path == kMutateExperimentPath) {
      answer = ReviewMutateExperiment(review);
    } else if (path == kMutatePodPath) {
      NoTrialResolver none;
      TrialResolver& resolver = options.trial_resolver ? *options.trial_resolver : none;
      answer = ReviewMutatePod(review, resolver, options.injection);
    } else {
      return {404, "text/plain", "unknown webhook path " + std::string(path) + "\n"};
    }
  } catch (const std::exception& e) {
    // A JSON access the handlers did not guard: a bug, reported instead of dropping the
    // connection.
    return {500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
  }
  if (!answer.ok()) return {400, "text/plain", std::string(answer.status().message()) + "\n"};
  return {200, "application/json", answer->dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace ktune::webhook
