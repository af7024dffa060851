#include "server/kube/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/kube/resources.h"

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;

const ResourceInfo& Experiments() {
  return *FindResource("kubeflow.org", "v1beta1", "experiments");
}
const ResourceInfo& Pods() { return *FindResource("", "v1", "pods"); }

TEST(StatusTest, Shape) {
  json s = StatusJson(400, "",
                      "admission webhook \"validator.experiment.katib.kubeflow.org\" "
                      "denied the request: bad");
  EXPECT_EQ(s, json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","code":400,
      "message":"admission webhook \"validator.experiment.katib.kubeflow.org\" denied the request: bad"})"));
  EXPECT_FALSE(s.contains("reason"));
  EXPECT_FALSE(s.contains("details"));
}

TEST(StatusTest, NotFoundAlreadyExistsConflict) {
  json nf = NotFoundJson(Experiments(), "nope");
  EXPECT_EQ(nf["code"], 404);
  EXPECT_EQ(nf["reason"], "NotFound");
  EXPECT_EQ(nf["message"], "experiments.kubeflow.org \"nope\" not found");
  EXPECT_EQ(nf["details"],
            json::parse(R"({"name":"nope","group":"kubeflow.org","kind":"experiments"})"));
  json pod = NotFoundJson(Pods(), "p");
  EXPECT_EQ(pod["message"], "pods \"p\" not found");
  EXPECT_EQ(pod["details"], json::parse(R"({"name":"p","kind":"pods"})"));

  json ae = AlreadyExistsJson(Experiments(), "random");
  EXPECT_EQ(ae["code"], 409);
  EXPECT_EQ(ae["reason"], "AlreadyExists");
  EXPECT_EQ(ae["message"], "experiments.kubeflow.org \"random\" already exists");

  json c = ConflictJson(Experiments(), "x");
  EXPECT_EQ(c["code"], 409);
  EXPECT_EQ(c["reason"], "Conflict");
  EXPECT_EQ(c["message"],
            "Operation cannot be fulfilled on experiments.kubeflow.org \"x\": the object has been "
            "modified; please apply your changes to the latest version and try again");
}

TEST(StatusTest, InvalidCarriesCausesKubectlPrints) {
  json one = InvalidJson(Experiments(), "bad2",
                         {{"FieldValueInvalid", "spec.maxTrialCount", "must be positive"}});
  EXPECT_EQ(one["code"], 422);
  EXPECT_EQ(one["reason"], "Invalid");
  EXPECT_EQ(one["message"],
            "Experiment.kubeflow.org \"bad2\" is invalid: spec.maxTrialCount: must be positive");
  // kubectl prints `The <details.kind> "<details.name>" is invalid: <field>: <message>`.
  EXPECT_EQ(one["details"]["kind"], "Experiment");
  EXPECT_EQ(one["details"]["name"], "bad2");
  EXPECT_EQ(one["details"]["group"], "kubeflow.org");
  EXPECT_EQ(one["details"]["causes"],
            json::parse(R"([{"reason":"FieldValueInvalid","message":"must be positive",
                             "field":"spec.maxTrialCount"}])"));
  json two = InvalidJson(Experiments(), "x",
                         {{"FieldValueRequired", "spec.objective", "Required value"},
                          {"FieldValueInvalid", "spec.parameters", "empty"},
                          {"FieldValueInvalid", "spec.parameters", "empty"}});
  EXPECT_EQ(two["message"],
            "Experiment.kubeflow.org \"x\" is invalid: [spec.objective: Required value, "
            "spec.parameters: empty]");
  EXPECT_EQ(two["details"]["causes"].size(), 3u);
  EXPECT_EQ(InvalidJson(Experiments(), "x", {})["message"],
            "Experiment.kubeflow.org \"x\" is invalid");
}

TEST(StatusTest, OtherHelpers) {
  EXPECT_EQ(TooOldResourceVersionJson(5, 120)["message"], "too old resource version: 5 (120)");
  EXPECT_EQ(TooOldResourceVersionJson(5, 120)["code"], 410);
  EXPECT_EQ(TooOldResourceVersionJson(5, 120)["reason"], "Expired");
  EXPECT_EQ(GoneJson("g")["reason"], "Gone");
  EXPECT_EQ(BadRequestJson("b")["reason"], "BadRequest");
  EXPECT_EQ(UnauthorizedJson()["message"], "Unauthorized");
  EXPECT_EQ(UnauthorizedJson()["code"], 401);
  EXPECT_EQ(ForbiddenJson(&Experiments(), "x", "no")["message"],
            "experiments.kubeflow.org \"x\" is forbidden: no");
  EXPECT_EQ(ForbiddenJson(&Experiments(), "", "no")["message"],
            "experiments.kubeflow.org is forbidden: no");
  EXPECT_EQ(ForbiddenJson(nullptr, "", "no")["message"], "forbidden: no");
  json mna = MethodNotAllowedJson(Pods(), "create");
  EXPECT_EQ(mna["code"], 405);
  EXPECT_EQ(mna["message"], "create is not supported on resources of kind \"pods\"");
  EXPECT_EQ(UnsupportedMediaTypeJson({"a/b", "c/d"})["message"],
            "the body of the request was in an unknown format - accepted media types include: "
            "a/b, c/d");
  EXPECT_EQ(UnsupportedMediaTypeJson({"a/b"})["code"], 415);
  EXPECT_EQ(NotAcceptableJson({"application/json"})["message"],
            "only the following media types are accepted: application/json");
  EXPECT_EQ(RequestEntityTooLargeJson("limit is 3145728")["message"],
            "Request entity too large: limit is 3145728");
  EXPECT_EQ(RequestEntityTooLargeJson("x")["code"], 413);
  EXPECT_EQ(TooManyRequestsJson("slow down", 2)["details"]["retryAfterSeconds"], 2);
  json ie = InternalErrorJson("boom");
  EXPECT_EQ(ie["message"], "Internal error occurred: boom");
  EXPECT_EQ(ie["details"]["causes"][0]["message"], "boom");
  EXPECT_EQ(ServiceUnavailableJson("later")["code"], 503);
  EXPECT_EQ(TimeoutJson("t")["message"], "Timeout: t");
  json deleted = DeletedStatusJson(Experiments(), "x", "u1");
  EXPECT_EQ(deleted["status"], "Success");
  EXPECT_EQ(deleted["details"]["uid"], "u1");
  EXPECT_EQ(deleted["details"]["kind"], "experiments");
}

TEST(StatusTest, HttpCodeOfAbslCodes) {
  EXPECT_EQ(HttpCodeOf(absl::OkStatus()), 200);
  EXPECT_EQ(HttpCodeOf(absl::NotFoundError("")), 404);
  EXPECT_EQ(HttpCodeOf(absl::AlreadyExistsError("")), 409);
  EXPECT_EQ(HttpCodeOf(absl::AbortedError("")), 409);
  EXPECT_EQ(HttpCodeOf(absl::FailedPreconditionError("")), 409);
  EXPECT_EQ(HttpCodeOf(absl::InvalidArgumentError("")), 400);
  EXPECT_EQ(HttpCodeOf(absl::OutOfRangeError("")), 410);
  EXPECT_EQ(HttpCodeOf(absl::PermissionDeniedError("")), 403);
  EXPECT_EQ(HttpCodeOf(absl::UnauthenticatedError("")), 401);
  EXPECT_EQ(HttpCodeOf(absl::UnavailableError("")), 503);
  EXPECT_EQ(HttpCodeOf(absl::DeadlineExceededError("")), 504);
  EXPECT_EQ(HttpCodeOf(absl::UnimplementedError("")), 405);
  EXPECT_EQ(HttpCodeOf(absl::ResourceExhaustedError("")), 507);
  EXPECT_EQ(HttpCodeOf(absl::InternalError("")), 500);
  EXPECT_EQ(HttpCodeOf(absl::UnknownError("")), 500);
  EXPECT_EQ(
      HttpCodeOf(WithHttpStatus(absl::InvalidArgumentError("x"), 415, "UnsupportedMediaType")),
      415);
}

TEST(StatusTest, StatusJsonOfUsesTheExactHelpers) {
  const ResourceInfo* e = &Experiments();
  EXPECT_EQ(StatusJsonOf(absl::NotFoundError("row missing"), e, "nope"), NotFoundJson(*e, "nope"));
  EXPECT_EQ(StatusJsonOf(absl::AlreadyExistsError("dup"), e, "random"),
            AlreadyExistsJson(*e, "random"));
  // The store's Aborted message is the optimistic-lock one.
  EXPECT_EQ(StatusJsonOf(absl::AbortedError(kOptimisticLockMessage), e, "x"),
            ConflictJson(*e, "x"));
  EXPECT_EQ(StatusJsonOf(absl::AbortedError(""), e, "x"), ConflictJson(*e, "x"));
  json fp = StatusJsonOf(absl::FailedPreconditionError("being deleted"), e, "x");
  EXPECT_EQ(fp["code"], 409);
  EXPECT_EQ(fp["reason"], "Conflict");
  EXPECT_EQ(fp["message"], "being deleted");
  json bad = StatusJsonOf(absl::InvalidArgumentError("unable to parse"), e, "");
  EXPECT_EQ(bad, BadRequestJson("unable to parse"));
  EXPECT_EQ(StatusJsonOf(absl::OutOfRangeError("too old resource version: 1 (5)"), e, ""),
            ExpiredJson("too old resource version: 1 (5)"));
  EXPECT_EQ(StatusJsonOf(absl::InternalError("bug"), e, "x"), InternalErrorJson("bug"));
  EXPECT_EQ(StatusJsonOf(absl::NotFoundError("no such path"), nullptr, ""),
            StatusJson(404, "NotFound", "no such path"));
  json marked = StatusJsonOf(
      WithHttpStatus(absl::InvalidArgumentError("nope"), 415, "UnsupportedMediaType"), e, "x");
  EXPECT_EQ(marked, StatusJson(415, "UnsupportedMediaType", "nope"));
  json insufficient = StatusJsonOf(absl::ResourceExhaustedError("disk full"), e, "x");
  EXPECT_EQ(insufficient["code"], 507);
  EXPECT_EQ(insufficient["reason"], "InsufficientStorage");
}

}  // namespace
}  // namespace ktune::server::kube
