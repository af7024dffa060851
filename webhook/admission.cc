#include "webhook/admission.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "core/json_access.h"

namespace ktune::webhook {
namespace {

using json = nlohmann::json;

constexpr char kReviewApiVersion[] = "admission.k8s.io/v1";
constexpr char kReviewKind[] = "AdmissionReview";

// `text` cut to at most `limit` bytes (at a UTF-8 character boundary) with a marker saying
// how much was left out.
std::string CutToBytes(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  const std::string marker = absl::StrCat("... [", text.size(), " bytes, cut]");
  size_t keep = limit > marker.size() ? limit - marker.size() : 0;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  text.resize(keep);
  text += marker;
  return text;
}

// One pass over a body that builds nothing: its nesting depth, its number of JSON values
// (objects, arrays and scalars; the DOM costs up to ~100 bytes each) and request.uid, so
// that a body over a limit is refused before any DOM exists, still with an AdmissionReview
// the API server can show the user.
class ReviewScanner : public nlohmann::json_sax<json> {
 public:
  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool string(string_t& value) override {
    if (depth_ == 2 && in_request_ && key_ == "uid" && !uid_) uid_ = value;
    return Scalar();
  }
  bool binary(binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override {
    if (depth_ == 1 && key_ == "request") in_request_ = true;
    return Enter();
  }
  bool key(string_t& k) override {
    if (depth_ <= 2) key_ = k;
    return true;
  }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_ = absl::StrCat("invalid JSON at byte ", position, ": ", ex.what());
    return false;
  }

  int64_t max_depth() const { return max_depth_; }
  int64_t values() const { return values_; }
  const std::optional<std::string>& uid() const { return uid_; }
  const std::string& error() const { return error_; }

 private:
  bool Scalar() {
    ++values_;
    if (depth_ <= 2) key_.clear();
    return true;
  }
  bool Enter() {
    ++values_;
    max_depth_ = std::max(max_depth_, ++depth_);
    key_.clear();
    return true;
  }
  bool Leave() {
    if (--depth_ == 1) in_request_ = false;
    key_.clear();
    return true;
  }

  int64_t depth_ = 0;
  int64_t max_depth_ = 0;
  int64_t values_ = 0;
  bool in_request_ = false;
  std::string key_;
  std::optional<std::string> uid_;
  std::string error_;
};

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
    return absl::InvalidArgumentError(
        "malformed AdmissionReview: kind is " +
        CutToBytes(kind->dump(-1, ' ', false, json::error_handler_t::replace), 256) +
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

// controller-runtime's admission.Errored: what Katib returns for every rejection (the
// message cut to kMaxMessageBytes: a decoder error may quote a value of any size).
json Errored(const std::string& uid, int code, std::string message) {
  message = CutToBytes(std::move(message), kMaxMessageBytes);
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
// as `[m1, m2]`, within the limits of admission.h. Messages are rendered one at a time and
// only their hashes are kept, so the cost is one error's text, not all of them.
std::string AggregateMessage(const std::vector<const core::FieldError*>& errors) {
  std::unordered_set<size_t> seen;
  std::vector<std::string> reported;
  size_t reported_bytes = 0;
  size_t more = 0;
  bool long_quote_used = false;
  for (const core::FieldError* e : errors) {
    std::string message = e->ToString();
    if (!seen.insert(std::hash<std::string>{}(message)).second) continue;
    if (reported.size() >= kMaxReportedErrors || reported_bytes >= kMaxMessageBytes) {
      ++more;
      continue;
    }
    // One long quote (a template) per review; later long errors keep only their start.
    const size_t limit = long_quote_used ? kMaxLaterErrorBytes : kMaxQuotedBytes;
    if (message.size() > kMaxLaterErrorBytes) long_quote_used = true;
    message = CutToBytes(std::move(message), limit);
    reported_bytes += message.size() + 2;
    reported.push_back(std::move(message));
  }
  std::string joined = absl::StrJoin(reported, ", ");
  if (more > 0) absl::StrAppend(&joined, ", and ", more, " more");
  joined = reported.size() == 1 && more == 0 ? std::move(joined) : "[" + joined + "]";
  return CutToBytes(std::move(joined), kMaxMessageBytes);
}

// The AdmissionResponse warnings for ktune's own checks: at most kMaxWarnings, each cut to
// kMaxWarningBytes (the API server truncates longer ones itself).
json Warnings(const std::vector<const core::FieldError*>& warnings) {
  json out = json::array();
  std::unordered_set<size_t> seen;
  size_t more = 0;
  for (const core::FieldError* w : warnings) {
    std::string message = w->ToString();
    if (!seen.insert(std::hash<std::string>{}(message)).second) continue;
    if (out.size() >= kMaxWarnings) {
      ++more;
      continue;
    }
    out.push_back(CutToBytes(std::move(message), kMaxWarningBytes));
  }
  if (more > 0) out.push_back(absl::StrCat("and ", more, " more warnings"));
  return out;
}

// Without a TrialResolver nothing can be injected: say so on every pod CREATE that would
// otherwise be admitted silently.
void AddNoResolverWarning(const json& review, json& answer) {
  const json* request = core::FieldOf(review, "request", core::JsonType::kObject);
  const std::string operation =
      request == nullptr ? std::string() : core::StringFieldOr(*request, "operation");
  if (!operation.empty() && operation != "CREATE") return;
  json* response = core::MutableFieldOf(answer, "response", core::JsonType::kObject);
  if (response == nullptr || core::FieldOf(*response, "patch") != nullptr) return;
  (*response)["warnings"] = json::array({kNoTrialResolverWarning});
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
  // With the raw object, what Katib's typed decoding rejects (a number where the API has a
  // string, `collector: {}`) is reported as Katib reports it.
  per_request.raw_experiment = request->object;
  const std::vector<core::FieldError> found = core::ValidateExperiment(*experiment, per_request);
  std::vector<const core::FieldError*> errors;
  std::vector<const core::FieldError*> warnings;
  for (const core::FieldError& e : found) {
    (e.severity == core::FieldError::Severity::kError ? errors : warnings).push_back(&e);
  }
  json answer =
      errors.empty() ? Allowed(request->uid) : Errored(request->uid, 400, AggregateMessage(errors));
  if (!warnings.empty()) answer["response"]["warnings"] = Warnings(warnings);
  return answer;
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
  const json* raw_spec = core::FieldOf(*request->object, "spec", core::JsonType::kObject);
  if (raw_spec == nullptr) return Errored(request->uid, 400, "spec must be an object");
  const json& raw = *raw_spec;
  // Katib decodes into its typed API, defaults and marshals: its patch removes what its
  // structs do not have, nulls, and what omitempty drops. Those removals come first.
  const std::vector<std::string> removals = core::KatibDefaulterRemovals(*request->object);
  auto under_removal = [&](const std::string& path) {
    for (const std::string& removed : removals) {
      if (path == removed ||
          (path.size() > removed.size() && path.compare(0, removed.size(), removed) == 0 &&
           path[removed.size()] == '/')) {
        return true;
      }
    }
    return false;
  };
  for (const std::string& removed : removals) {
    patch.push_back({{"op", "remove"}, {"path", removed}});
  }
  // The other operations are the diff against the raw spec, as Katib's PatchResponseFromRaw
  // does. The diff's own "remove" operations are dropped: they would only delete fields the
  // codec does not model.
  for (json& op : json::diff(raw, defaulted)) {
    if (op["op"] == "remove") continue;
    std::string path = "/spec" + op["path"].get<std::string>();
    if (under_removal(path)) continue;
    op["path"] = std::move(path);
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
  ReviewScanner scan;
  if (!json::sax_parse(body.begin(), body.end(), &scan, json::input_format_t::json,
                       /*strict=*/true)) {
    return {400, "text/plain",
            "malformed AdmissionReview: the request body is not JSON: " +
                CutToBytes(scan.error(), 1024) + "\n"};
  }
  std::string refusal;
  if (scan.max_depth() > kMaxJsonDepth) {
    refusal = absl::StrCat("malformed AdmissionReview: objects and arrays nested deeper than ",
                           kMaxJsonDepth, " levels (the webhook's nesting limit)");
  } else if (scan.values() > kMaxJsonValues) {
    refusal = absl::StrCat("AdmissionReview too large: ", scan.values(),
                           " JSON values, the webhook's limit is ", kMaxJsonValues);
  }
  if (!refusal.empty()) {
    if (!scan.uid()) return {400, "text/plain", refusal + "\n"};
    return {200, "application/json",
            Errored(CutToBytes(*scan.uid(), 256), 400, std::move(refusal))
                .dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  // The scan above has already checked syntax, depth and size, so the DOM is built directly:
  // core::ParseJsonBounded would scan the (up to 3 MB) body a second time for the same depth.
  const json review = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
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
      if (answer.ok() && options.trial_resolver == nullptr) AddNoResolverWarning(review, *answer);
    } else {
      return {404, "text/plain", "unknown webhook path " + std::string(path) + "\n"};
    }
  } catch (const std::exception& e) {
    // A JSON access the handlers did not guard: a bug, reported instead of dropping the
    // connection.
    return {500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
  }
  if (!answer.ok()) {
    return {400, "text/plain",
            CutToBytes(std::string(answer.status().message()), kMaxMessageBytes) + "\n"};
  }
  return {200, "application/json", answer->dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace ktune::webhook
