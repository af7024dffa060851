#include "webhook/admission.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "tests/unit/webhook/webhook_test_util.h"

namespace ktune::webhook {
namespace {

using ::ktune::webhook::testing::QuickstartExperiment;
using ::ktune::webhook::testing::Review;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

constexpr char kUid[] = "705ab4f5-6393-11e8-b7cc-42010a800002";

core::ValidationOptions Options() {
  core::ValidationOptions o;
  o.algorithms = {"random", "grid"};
  o.early_stopping_algorithms = {"medianstop"};
  o.metrics_collector_kinds = {"StdOut", "File", "TensorFlowEvent"};
  return o;
}

json Validate(const json& review) {
  absl::StatusOr<json> out = ReviewValidateExperiment(review, Options());
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : json();
}

void ExpectEnvelope(const json& out) {
  EXPECT_EQ(out["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(out["kind"], "AdmissionReview");
  EXPECT_EQ(out["response"]["uid"], kUid);
}

json DecodePatch(const json& response) {
  std::string raw;
  EXPECT_TRUE(absl::Base64Unescape(response["patch"].get<std::string>(), &raw));
  return json::parse(raw);
}

TEST(AdmissionValidateExperimentTest, GoodExperimentIsAllowed) {
  json out = Validate(Review(QuickstartExperiment()));
  ExpectEnvelope(out);
  EXPECT_EQ(out["response"]["allowed"], true) << out.dump(2);
  EXPECT_EQ(out["response"]["status"]["code"], 200);
}

TEST(AdmissionValidateExperimentTest, OneErrorIsItsMessage) {
  json e = QuickstartExperiment();
  e["spec"]["objective"]["type"] = "foo";
  json out = Validate(Review(e));
  ExpectEnvelope(out);
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_EQ(out["response"]["status"]["code"], 400);
  EXPECT_THAT(
      out["response"]["status"]["message"].get<std::string>(),
      StartsWith("spec.objective.type: Invalid value: \"foo\": must be minimize or maximize"));
}

TEST(AdmissionValidateExperimentTest, SeveralErrorsAreAggregated) {
  json e = QuickstartExperiment();
  e["spec"]["maxTrialCount"] = 0;
  e["spec"]["parallelTrialCount"] = -1;
  e["spec"]["objective"]["type"] = "foo";
  json out = Validate(Review(e));
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_EQ(out["response"]["status"]["code"], 400);
  const std::string message = out["response"]["status"]["message"];
  EXPECT_THAT(message, StartsWith("[spec.maxTrialCount: Invalid value: 0: must be greater than 0"));
  EXPECT_THAT(message,
              HasSubstr(", spec.parallelTrialCount: Invalid value: -1: must be greater than 0"));
  EXPECT_THAT(
      message,
      HasSubstr("spec.objective.type: Invalid value: \"foo\": must be minimize or maximize"));
  EXPECT_EQ(message.back(), ']');
}

TEST(AdmissionValidateExperimentTest, ValidatesTheDefaultedObject) {
  // No parallelTrialCount: the default 3 exceeds maxTrialCount 2 (Katib's rule 6).
  json e = QuickstartExperiment();
  e["spec"].erase("parallelTrialCount");
  e["spec"].erase("maxFailedTrialCount");
  e["spec"]["maxTrialCount"] = 2;
  json out = Validate(Review(e));
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_THAT(out["response"]["status"]["message"].get<std::string>(),
              StartsWith("spec.parallelTrialCount: Invalid value: 3: should be less than or equal "
                         "to spec.maxTrialCount"));
}

TEST(AdmissionValidateExperimentTest, DecodeFailureIs400WithTheDecoderError) {
  json e = QuickstartExperiment();
  e["spec"]["parameters"] = "not a list";
  json out = Validate(Review(e));
  ExpectEnvelope(out);
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_EQ(out["response"]["status"]["code"], 400);
  EXPECT_THAT(out["response"]["status"]["message"].get<std::string>(),
              HasSubstr("spec.parameters"));

  json bad_old = Review(QuickstartExperiment(), "UPDATE", e);
  out = Validate(bad_old);
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_THAT(out["response"]["status"]["message"].get<std::string>(),
              StartsWith("Cannot decode incoming old object: "));
}

TEST(AdmissionValidateExperimentTest, UpdateWithUnchangedSpecIsAllowedEvenIfInvalid) {
  json invalid = QuickstartExperiment();
  invalid["spec"]["maxTrialCount"] = 0;
  json updated = invalid;
  updated["metadata"]["finalizers"] = json::array();
  updated["metadata"]["labels"] = {{"team", "a"}};
  updated["status"] = {{"trials", 4}};
  // The stored object was defaulted by the mutating webhook; the new one says the same thing
  // with the defaults spelled out.
  updated["spec"]["resumePolicy"] = "Never";
  json out = Validate(Review(updated, "UPDATE", invalid));
  EXPECT_EQ(out["response"]["allowed"], true) << out.dump(2);

  // The same UPDATE changing the spec is validated.
  updated["spec"]["maxTrialCount"] = -5;
  out = Validate(Review(updated, "UPDATE", invalid));
  EXPECT_EQ(out["response"]["allowed"], false);
}

TEST(AdmissionValidateExperimentTest, UpdateChangingAFrozenFieldIsForbidden) {
  json old = QuickstartExperiment();
  json updated = old;
  updated["spec"]["algorithm"]["algorithmName"] = "grid";
  json out = Validate(Review(updated, "UPDATE", old));
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_THAT(out["response"]["status"]["message"].get<std::string>(),
              HasSubstr("spec: Forbidden: only spec.parallelTrialCount, spec.maxTrialCount and "
                        "spec.maxFailedTrialCount are editable"));

  updated = old;
  updated["spec"]["maxTrialCount"] = 20;
  out = Validate(Review(updated, "UPDATE", old));
  EXPECT_EQ(out["response"]["allowed"], true) << out.dump(2);
}

TEST(AdmissionValidateExperimentTest, OtherOperationsAreAllowed) {
  json review = Review(json(nullptr), "DELETE");
  json out = Validate(review);
  EXPECT_EQ(out["response"]["allowed"], true);
}

TEST(AdmissionValidateExperimentTest, MalformedReviewsAreErrors) {
  EXPECT_TRUE(absl::IsInvalidArgument(ReviewValidateExperiment(json::array(), Options()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ReviewValidateExperiment({{"kind", "AdmissionReview"}}, Options()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ReviewValidateExperiment({{"kind", "Pod"}, {"request", json::object()}}, Options())
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ReviewValidateExperiment({{"request", {{"uid", 5}}}}, Options()).status()));
}

// The quickstart without any of the fields Katib defaults.
json UndefaultedExperiment() {
  json e = QuickstartExperiment();
  e["spec"].erase("parallelTrialCount");
  e["spec"]["parameters"][0]["feasibleSpace"].erase("distribution");
  e["spec"]["futureField"] = {{"keep", "me"}};  // unknown to ktune's codec
  return e;
}

TEST(AdmissionMutateExperimentTest, PatchAddsKatibDefaults) {
  json raw = UndefaultedExperiment();
  absl::StatusOr<json> out = ReviewMutateExperiment(Review(raw));
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectEnvelope(*out);
  const json& response = (*out)["response"];
  EXPECT_EQ(response["allowed"], true);
  EXPECT_EQ(response["patchType"], "JSONPatch");
  json patch = DecodePatch(response);
  ASSERT_TRUE(patch.is_array());

  std::map<std::string, json> by_path;
  for (const json& op : patch) {
    // Katib's defaulter marshals its typed API, so a field it does not have is removed.
    if (op["op"] == "remove") {
      EXPECT_EQ(op["path"], "/spec/futureField") << op.dump();
    }
    EXPECT_THAT(op["path"].get<std::string>(), StartsWith("/spec/"));
    by_path[op["path"]] = op;
  }
  EXPECT_EQ(by_path["/spec/parallelTrialCount"]["value"], 3);
  EXPECT_EQ(by_path["/spec/resumePolicy"]["value"], "Never");
  EXPECT_EQ(by_path["/spec/objective/metricStrategies"]["value"],
            json::parse(R"([{"name":"loss","value":"min"},{"name":"accuracy","value":"min"}])"));
  EXPECT_EQ(by_path["/spec/trialTemplate/successCondition"]["value"],
            R"(status.conditions.#(type=="Complete")#|#(status=="True")#)");
  EXPECT_EQ(by_path["/spec/trialTemplate/failureCondition"]["value"],
            R"(status.conditions.#(type=="Failed")#|#(status=="True")#)");
  EXPECT_EQ(by_path["/spec/metricsCollectorSpec"]["value"]["collector"]["kind"], "StdOut");
  EXPECT_EQ(by_path["/spec/parameters/0/feasibleSpace/distribution"]["value"], "uniform");
  EXPECT_EQ(by_path["/spec/parameters/1/feasibleSpace/distribution"]["value"], "uniform");
  EXPECT_EQ(by_path.count("/spec/parameters/0/feasibleSpace/min"), 0u);

  // Applying the patch to the raw object gives the defaulted spec, without the unknown field.
  json patched = raw.patch(patch);
  absl::StatusOr<core::Experiment> defaulted = core::ExperimentFromJson(raw);
  ASSERT_TRUE(defaulted.ok());
  core::SetDefaults(*defaulted);
  json expected = core::ExperimentToJson(*defaulted)["spec"];
  EXPECT_EQ(patched["spec"], expected) << json::diff(patched["spec"], expected).dump(2);
  EXPECT_EQ(patched["metadata"], raw["metadata"]);
}

TEST(AdmissionMutateExperimentTest, DefaultedObjectGetsNoPatch) {
  json raw = QuickstartExperiment();
  absl::StatusOr<core::Experiment> e = core::ExperimentFromJson(raw);
  ASSERT_TRUE(e.ok());
  core::SetDefaults(*e);
  json defaulted = core::ExperimentToJson(*e);
  absl::StatusOr<json> out = ReviewMutateExperiment(Review(defaulted));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["response"]["allowed"], true);
  EXPECT_FALSE((*out)["response"].contains("patch")) << DecodePatch((*out)["response"]).dump(2);
  EXPECT_FALSE((*out)["response"].contains("patchType"));
}

TEST(AdmissionMutateExperimentTest, MissingSpecIs400) {
  json raw = {{"apiVersion", "kubeflow.org/v1beta1"},
              {"kind", "Experiment"},
              {"metadata", {{"name", "x"}}}};
  absl::StatusOr<json> out = ReviewMutateExperiment(Review(raw));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["response"]["allowed"], false);
  EXPECT_EQ((*out)["response"]["status"]["code"], 400);
  EXPECT_THAT((*out)["response"]["status"]["message"].get<std::string>(), HasSubstr("spec"));
}

TEST(AdmissionMutateExperimentTest, DecodeFailureIs400) {
  json raw = QuickstartExperiment();
  raw["spec"]["objective"] = "minimize";
  absl::StatusOr<json> out = ReviewMutateExperiment(Review(raw));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["response"]["allowed"], false);
  EXPECT_EQ((*out)["response"]["status"]["code"], 400);
}

json PodReview(const json& pod) {
  json review = Review(pod);
  review["request"]["kind"] = {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}};
  return review;
}

json TrainingPod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"generateName": "quickstart-abc-", "labels": {"katib.kubeflow.org/trial": "quickstart-abc"},
                 "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "quickstart-abc",
                                      "uid": "1", "controller": true}]},
    "spec": {"containers": [{"name": "training-container", "image": "python:3.11-slim",
                             "command": ["python3", "train.py", "--lr=0.01"]}],
             "restartPolicy": "Never"}
  })");
}

class FakeResolver : public TrialResolver {
 public:
  absl::StatusOr<std::optional<PodTrial>> Resolve(const json&, const std::string& ns) override {
    seen_namespace = ns;
    return answer;
  }
  absl::StatusOr<std::optional<PodTrial>> answer = std::optional<PodTrial>();
  std::string seen_namespace;
};

PodTrial QuickstartTrial() {
  PodTrial owner;
  owner.algorithm_name = "random";
  owner.trial.metadata.name = "quickstart-abc";
  owner.trial.metadata.namespace_ = "default";
  owner.trial.metadata.labels[core::kExperimentLabel] = "quickstart";
  owner.trial.spec.objective.type = "minimize";
  owner.trial.spec.objective.objective_metric_name = "loss";
  owner.trial.spec.metrics_collector.kind = "StdOut";
  owner.trial.spec.primary_container_name = "training-container";
  return owner;
}

InjectionConfig Injection() {
  InjectionConfig config;
  config.collectors["StdOut"].image = "ghcr.io/kubeflow/katib/file-metrics-collector:latest";
  return config;
}

TEST(AdmissionMutatePodTest, PodWithoutTrialOwnerIsAllowedUnchanged) {
  NoTrialResolver none;
  absl::StatusOr<json> out = ReviewMutatePod(PodReview(TrainingPod()), none, Injection());
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectEnvelope(*out);
  EXPECT_EQ((*out)["response"]["allowed"], true);
  EXPECT_FALSE((*out)["response"].contains("patch"));

  // Through the HTTP entry point with no resolver configured.
  HttpReply reply = HandleAdmission(kMutatePodPath, PodReview(TrainingPod()).dump(), {});
  EXPECT_EQ(reply.status, 200);
  json body = json::parse(reply.body);
  EXPECT_EQ(body["response"]["allowed"], true);
  EXPECT_FALSE(body["response"].contains("patch"));
}

TEST(AdmissionMutatePodTest, TrialPodGetsTheSidecarPatch) {
  FakeResolver resolver;
  resolver.answer = std::optional<PodTrial>(QuickstartTrial());
  absl::StatusOr<json> out = ReviewMutatePod(PodReview(TrainingPod()), resolver, Injection());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(resolver.seen_namespace, "default");
  const json& response = (*out)["response"];
  ASSERT_EQ(response["allowed"], true) << response.dump(2);
  EXPECT_EQ(response["patchType"], "JSONPatch");
  absl::StatusOr<json> expected = MutatePod(TrainingPod(), QuickstartTrial(), Injection());
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(DecodePatch(response), *expected);
}

TEST(AdmissionMutatePodTest, MutationAndLookupErrors) {
  FakeResolver resolver;
  PodTrial owner = QuickstartTrial();
  owner.trial.spec.primary_container_name = "no-such-container";
  resolver.answer = std::optional<PodTrial>(owner);
  absl::StatusOr<json> out = ReviewMutatePod(PodReview(TrainingPod()), resolver, Injection());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["response"]["allowed"], false);
  EXPECT_EQ((*out)["response"]["status"]["code"], 400);
  EXPECT_THAT((*out)["response"]["status"]["message"].get<std::string>(),
              HasSubstr("Unable to find primary container no-such-container"));

  resolver.answer = absl::UnavailableError("trials.kubeflow.org is unreachable");
  out = ReviewMutatePod(PodReview(TrainingPod()), resolver, Injection());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["response"]["allowed"], false);
  EXPECT_EQ((*out)["response"]["status"]["code"], 500);
  EXPECT_EQ((*out)["response"]["status"]["message"], "trials.kubeflow.org is unreachable");
}

TEST(AdmissionHttpTest, HttpLayer) {
  AdmissionOptions options;
  options.validation = Options();
  HttpReply reply = HandleAdmission(kValidateExperimentPath, "{not json", options);
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("not JSON"));

  reply =
      HandleAdmission(kValidateExperimentPath, R"({"apiVersion":"admission.k8s.io/v1"})", options);
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("missing request"));

  reply = HandleAdmission("/nope", Review(QuickstartExperiment()).dump(), options);
  EXPECT_EQ(reply.status, 404);

  reply = HandleAdmission(kValidateExperimentPath, Review(QuickstartExperiment()).dump(), options);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  EXPECT_EQ(json::parse(reply.body)["response"]["allowed"], true);

  reply = HandleAdmission(kMutateExperimentPath, Review(UndefaultedExperiment()).dump(), options);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(json::parse(reply.body)["response"]["patchType"], "JSONPatch");
}

}  // namespace
}  // namespace ktune::webhook
