// SuggestionServer / SuggestionGrpcService through a real gRPC client on a loopback port:
// suggestions, Katib's validation messages, health, the per-experiment delta, malformed
// requests, deadlines and cancellation, concurrency and eviction.

#include "suggestion/grpc_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/api.grpc.pb.h"
#include "grpc_test_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "log_capture.h"
#include "suggestion_test_util.h"

namespace ktune::suggestion {
namespace {

namespace api = ::api::v1::beta1;
using ::testing::AllOf;
using testing::CheckHealth;
using ::testing::HasSubstr;
using testing::Health;
using testing::LogCapture;
using testing::RawCall;
using testing::Registry;

// `name` over x in [0, 1] (double) and c in {a, b, c} (categorical), minimizing `loss`.
api::Experiment MakeExperiment(const std::string& name, const std::string& algorithm,
                               const std::map<std::string, std::string>& settings = {}) {
  api::Experiment e;
  e.set_name(name);
  auto* spec = e.mutable_spec();
  auto* x = spec->mutable_parameter_specs()->add_parameters();
  x->set_name("x");
  x->set_parameter_type(api::DOUBLE);
  x->mutable_feasible_space()->set_min("0");
  x->mutable_feasible_space()->set_max("1");
  auto* c = spec->mutable_parameter_specs()->add_parameters();
  c->set_name("c");
  c->set_parameter_type(api::CATEGORICAL);
  for (const char* v : {"a", "b", "c"}) c->mutable_feasible_space()->add_list(v);
  spec->mutable_objective()->set_type(api::MINIMIZE);
  spec->mutable_objective()->set_objective_metric_name("loss");
  spec->mutable_algorithm()->set_algorithm_name(algorithm);
  for (const auto& [k, v] : settings) {
    auto* s = spec->mutable_algorithm()->add_algorithm_settings();
    s->set_name(k);
    s->set_value(v);
  }
  spec->set_parallel_trial_count(2);
  spec->set_max_trial_count(100);
  return e;
}

// A trial of MakeExperiment: Succeeded with loss = `loss`, or Running when loss is empty.
api::Trial MakeTrial(const std::string& name, const std::string& x, const std::string& loss = "") {
  api::Trial t;
  t.set_name(name);
  auto* assignments = t.mutable_spec()->mutable_parameter_assignments();
  auto* ax = assignments->add_assignments();
  ax->set_name("x");
  ax->set_value(x);
  auto* ac = assignments->add_assignments();
  ac->set_name("c");
  ac->set_value("b");
  t.mutable_spec()->mutable_objective()->set_objective_metric_name("loss");
  t.mutable_status()->set_start_time("2024-01-01T00:00:00Z");
  if (loss.empty()) {
    t.mutable_status()->set_condition(api::TrialStatus::RUNNING);
  } else {
    t.mutable_status()->set_condition(api::TrialStatus::SUCCEEDED);
    t.mutable_status()->set_completion_time("2024-01-01T00:01:00Z");
    auto* m = t.mutable_status()->mutable_observation()->add_metrics();
    m->set_name("loss");
    m->set_value(loss);
  }
  return t;
}

api::GetSuggestionsRequest MakeRequest(const api::Experiment& e,
                                       const std::vector<api::Trial>& trials, int count,
                                       int total) {
  api::GetSuggestionsRequest r;
  *r.mutable_experiment() = e;
  for (const api::Trial& t : trials) *r.add_trials() = t;
  r.set_current_request_number(count);
  r.set_total_request_number(total);
  return r;
}

const std::string& Label(const api::GetSuggestionsReply& reply, const std::string& key) {
  static const std::string kNone = "<none>";
  if (reply.parameter_assignments_size() == 0) return kNone;
  const auto& labels = reply.parameter_assignments(0).labels();
  auto it = labels.find(key);
  return it == labels.end() ? kNone : it->second;
}

class Server {
 public:
  explicit Server(SuggestionGrpcService::Options service = {}) {
    SuggestionServer::Options options;
    options.port = 0;
    options.service = std::move(service);
    absl::StatusOr<std::unique_ptr<SuggestionServer>> server =
        SuggestionServer::Start(Registry(), options);
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_ ? server_->target() : std::string("127.0.0.1:1"),
                                   grpc::InsecureChannelCredentials());
    stub_ = api::Suggestion::NewStub(channel_);
  }

  grpc::Status Get(const api::GetSuggestionsRequest& request, api::GetSuggestionsReply* reply,
                   std::chrono::milliseconds deadline = std::chrono::milliseconds(0)) {
    grpc::ClientContext context;
    if (deadline.count() > 0) context.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub_->GetSuggestions(&context, request, reply);
  }
  api::GetSuggestionsReply GetOk(const api::GetSuggestionsRequest& request) {
    api::GetSuggestionsReply reply;
    grpc::Status status = Get(request, &reply);
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    return reply;
  }
  grpc::Status Validate(const api::Experiment& e) {
    grpc::ClientContext context;
    api::ValidateAlgorithmSettingsRequest request;
    *request.mutable_experiment() = e;
    api::ValidateAlgorithmSettingsReply reply;
    return stub_->ValidateAlgorithmSettings(&context, request, &reply);
  }

  SuggestionServer& server() { return *server_; }
  api::Suggestion::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() { return channel_; }

 private:
  std::unique_ptr<SuggestionServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<api::Suggestion::Stub> stub_;
};

// Debian's gRPC and abseil are not built with ThreadSanitizer, which then reports hundreds of
// races inside gRPC's own synchronization; these tests run in the plain and ASan builds.
class GrpcSuggestionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "gRPC is not built with ThreadSanitizer";
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    GTEST_SKIP() << "gRPC is not built with ThreadSanitizer";
#endif
#endif
  }
};

std::string ValueOf(const api::GetSuggestionsReply::ParameterAssignments& pa,
                    const std::string& name) {
  for (const auto& a : pa.assignments()) {
    if (a.name() == name) return a.value();
  }
  return "<missing>";
}

TEST_F(GrpcSuggestionServiceTest, RandomReturnsDistinctAssignmentsInTheSpace) {
  Server server;
  api::Experiment e = MakeExperiment("exp", "random", {{"random_state", "3"}});
  api::GetSuggestionsReply reply =
      server.GetOk(MakeRequest(e, {MakeTrial("t1", "0.5", "1.0")}, 5, 6));
  ASSERT_EQ(reply.parameter_assignments_size(), 5);
  std::set<std::string> xs;
  for (const auto& pa : reply.parameter_assignments()) {
    const double x = std::stod(ValueOf(pa, "x"));
    EXPECT_GE(x, 0.0);
    EXPECT_LE(x, 1.0);
    EXPECT_THAT((std::set<std::string>{"a", "b", "c"}), ::testing::Contains(ValueOf(pa, "c")));
    xs.insert(ValueOf(pa, "x"));
  }
  EXPECT_EQ(xs.size(), 5u);

  // The same seed and request number on another service: the same assignments.
  Server other;
  api::GetSuggestionsReply again =
      other.GetOk(MakeRequest(e, {MakeTrial("t1", "0.5", "1.0")}, 5, 6));
  EXPECT_EQ(again.DebugString(), reply.DebugString());
}

TEST_F(GrpcSuggestionServiceTest, ValidateAlgorithmSettingsGivesKatibsMessages) {
  Server server;
  EXPECT_TRUE(server.Validate(MakeExperiment("exp", "random", {{"random_state", "7"}})).ok());

  grpc::Status negative =
      server.Validate(MakeExperiment("exp", "random", {{"random_state", "-1"}}));
  EXPECT_EQ(negative.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(negative.error_message(),
              HasSubstr("random_state should be great or equal than zero"));

  grpc::Status unknown = server.Validate(MakeExperiment("exp", "random", {{"gamma", "0.5"}}));
  EXPECT_EQ(unknown.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.error_message(), HasSubstr("unknown setting gamma for algorithm random"));

  grpc::Status no_algorithm = server.Validate(MakeExperiment("exp", "nope"));
  EXPECT_EQ(no_algorithm.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(no_algorithm.error_message(), AllOf(HasSubstr("unknown algorithm \"nope\""),
                                                  HasSubstr("grid"), HasSubstr("random")));

  // The same message from GetSuggestions, which creates the instance.
  api::GetSuggestionsReply reply;
  grpc::Status get = server.Get(
      MakeRequest(MakeExperiment("exp", "random", {{"random_state", "-1"}}), {}, 1, 1), &reply);
  EXPECT_EQ(get.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(get.error_message(), HasSubstr("random_state should be great or equal than zero"));
}

TEST_F(GrpcSuggestionServiceTest, OneAlgorithmServiceRefusesOthers) {
  SuggestionGrpcService::Options options;
  options.algorithm = "random";
  Server server(options);
  EXPECT_EQ(server.server().service().AlgorithmNames(), std::vector<std::string>{"random"});
  grpc::Status status = server.Validate(MakeExperiment("exp", "grid"));
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("algorithm \"grid\" is not served here"));
  api::GetSuggestionsReply reply;
  EXPECT_EQ(server.Get(MakeRequest(MakeExperiment("exp", "grid"), {}, 1, 1), &reply).error_code(),
            grpc::INVALID_ARGUMENT);
  EXPECT_EQ(server.GetOk(MakeRequest(MakeExperiment("exp", "random"), {}, 1, 1))
                .parameter_assignments_size(),
            1);

  options.algorithm = "nope";
  absl::StatusOr<std::unique_ptr<SuggestionGrpcService>> bad =
      SuggestionGrpcService::Create(Registry(), options);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("available algorithms"));
}

TEST_F(GrpcSuggestionServiceTest, HealthServesKatibsNameAndTheServerButNoOtherName) {
  Server server;
  testing::HealthReply katib = CheckHealth(server.channel(), "manager.v1beta1.Suggestion");
  ASSERT_TRUE(katib.status.ok()) << katib.status.error_message();
  EXPECT_EQ(katib.health, Health::kServing);
  testing::HealthReply whole = CheckHealth(server.channel(), "");
  ASSERT_TRUE(whole.status.ok());
  EXPECT_EQ(whole.health, Health::kServing);
  EXPECT_EQ(CheckHealth(server.channel(), "foo.Bar").status.error_code(), grpc::NOT_FOUND);

  server.server().Shutdown(absl::ZeroDuration());
  EXPECT_FALSE(CheckHealth(server.channel(), "manager.v1beta1.Suggestion").status.ok());
}

TEST_F(GrpcSuggestionServiceTest, SecondCallSendsOnlyNewAndChangedTrials) {
  Server server;
  api::Experiment e = MakeExperiment("exp", "test-recorder");
  std::vector<api::Trial> history = {MakeTrial("t1", "0.1", "1.0"), MakeTrial("t2", "0.2", "2.0"),
                                     MakeTrial("t3", "0.3")};
  api::GetSuggestionsReply first = server.GetOk(MakeRequest(e, history, 1, 4));
  EXPECT_EQ(Label(first, "call"), "1");
  EXPECT_EQ(Label(first, "received_names"), "t1,t2,t3");

  // Katib sends everything again: t3 finished, t4 is new.
  history[2] = MakeTrial("t3", "0.3", "3.0");
  history.push_back(MakeTrial("t4", "0.4"));
  api::GetSuggestionsReply second = server.GetOk(MakeRequest(e, history, 1, 5));
  EXPECT_EQ(Label(second, "call"), "2");
  EXPECT_EQ(Label(second, "received_names"), "t3,t4");
  EXPECT_EQ(Label(second, "known"), "4");

  // Nothing changed: nothing sent.
  api::GetSuggestionsReply third = server.GetOk(MakeRequest(e, history, 1, 6));
  EXPECT_EQ(Label(third, "received"), "0");

  // A new service (as after a restart) has no instance: the full history.
  Server restarted;
  api::GetSuggestionsReply fresh = restarted.GetOk(MakeRequest(e, history, 1, 7));
  EXPECT_EQ(Label(fresh, "call"), "1");
  EXPECT_EQ(Label(fresh, "received_names"), "t1,t2,t3,t4");
}

TEST_F(GrpcSuggestionServiceTest, FilteredTrialsAreNotSent) {
  Server server;
  api::Experiment e = MakeExperiment("exp", "test-recorder");
  api::Trial unavailable = MakeTrial("t2", "0.2");
  unavailable.mutable_status()->set_condition(api::TrialStatus::METRICSUNAVAILABLE);
  api::GetSuggestionsReply reply =
      server.GetOk(MakeRequest(e, {MakeTrial("t1", "0.1", "1.0"), unavailable}, 1, 1));
  EXPECT_EQ(Label(reply, "received_names"), "t1");
}

TEST_F(GrpcSuggestionServiceTest, AChangedSpecGetsAFreshInstanceButReturnedSettingsDoNot) {
  Server server;
  std::vector<api::Trial> history = {MakeTrial("t1", "0.1", "1.0")};
  api::Experiment e = MakeExperiment("exp", "test-recorder");
  EXPECT_EQ(Label(server.GetOk(MakeRequest(e, history, 1, 1)), "call"), "1");

  // The recorder returns the setting `calls`; Katib merges it into the next request.
  auto* returned = e.mutable_spec()->mutable_algorithm()->add_algorithm_settings();
  returned->set_name("calls");
  returned->set_value("1");
  api::GetSuggestionsReply same = server.GetOk(MakeRequest(e, history, 1, 2));
  EXPECT_EQ(Label(same, "call"), "2");
  EXPECT_EQ(Label(same, "received"), "0");

  // A setting the user changed: a fresh instance with the full history.
  auto* user = e.mutable_spec()->mutable_algorithm()->add_algorithm_settings();
  user->set_name("max_per_call");
  user->set_value("5");
  api::GetSuggestionsReply changed = server.GetOk(MakeRequest(e, history, 1, 3));
  EXPECT_EQ(Label(changed, "call"), "1");
  EXPECT_EQ(Label(changed, "received_names"), "t1");

  // Other parameters: fresh again.
  e.mutable_spec()
      ->mutable_parameter_specs()
      ->mutable_parameters(0)
      ->mutable_feasible_space()
      ->set_max("2");
  EXPECT_EQ(Label(server.GetOk(MakeRequest(e, history, 1, 4)), "call"), "1");

  // A trial Katib stops sending (it became MetricsUnavailable): the same instance.
  EXPECT_EQ(Label(server.GetOk(MakeRequest(e, {}, 1, 5)), "call"), "2");
  history.push_back(MakeTrial("t2", "0.2", "2.0"));
  EXPECT_EQ(Label(server.GetOk(MakeRequest(e, history, 1, 6)), "call"), "3");
  // total_request_number went back (the experiment was re-created): fresh.
  api::GetSuggestionsReply recreated = server.GetOk(MakeRequest(e, {MakeTrial("u1", "0.3")}, 1, 1));
  EXPECT_EQ(Label(recreated, "call"), "1");
  EXPECT_EQ(Label(recreated, "known"), "1");
}

TEST_F(GrpcSuggestionServiceTest, MalformedRequestsAreInvalidArgumentWithAMessage) {
  Server server;
  const api::Experiment good = MakeExperiment("exp", "random");
  struct Case {
    std::string what;
    api::GetSuggestionsRequest request;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({"empty request", api::GetSuggestionsRequest(), "has no experiment"});
  {
    api::Experiment e = good;
    e.clear_name();
    cases.push_back({"no experiment name", MakeRequest(e, {}, 1, 1), "has no experiment"});
  }
  {
    api::Experiment e = good;
    e.mutable_spec()->clear_algorithm();
    cases.push_back({"no algorithm", MakeRequest(e, {}, 1, 1), "names no algorithm"});
  }
  cases.push_back({"unknown algorithm", MakeRequest(MakeExperiment("exp", "nope"), {}, 1, 1),
                   "available algorithms: "});
  {
    api::Experiment e = good;
    e.mutable_spec()->clear_parameter_specs();
    cases.push_back({"no parameters", MakeRequest(e, {}, 1, 1), "has no parameters"});
  }
  {
    api::Experiment e = good;
    e.mutable_spec()->mutable_parameter_specs()->mutable_parameters(1)->set_name("x");
    cases.push_back({"duplicate parameter", MakeRequest(e, {}, 1, 1), "two parameters named"});
  }
  cases.push_back({"zero requested", MakeRequest(good, {}, 0, 0), "current_request_number is 0"});
  cases.push_back({"negative", MakeRequest(good, {}, -3, 1), "current_request_number is -3"});
  cases.push_back(
      {"absurd", MakeRequest(good, {}, 2000000000, 2000000000), "must be between 1 and 10000"});
  cases.push_back({"total below current", MakeRequest(good, {}, 4, 2), "total_request_number (2)"});
  cases.push_back(
      {"nameless trial", MakeRequest(good, {MakeTrial("", "0.1", "1")}, 1, 2), "has no name"});
  {
    api::Trial t = MakeTrial("t1", "0.1", "1");
    t.mutable_spec()->mutable_parameter_assignments()->mutable_assignments(0)->set_name("y");
    cases.push_back({"unknown parameter", MakeRequest(good, {t}, 1, 2),
                     "trial \"t1\" assigns \"y\", which is not a parameter"});
  }
  {
    api::Trial t = MakeTrial("t1", "0.1", "1");
    t.mutable_spec()->mutable_parameter_assignments()->mutable_assignments()->RemoveLast();
    cases.push_back({"missing assignment", MakeRequest(good, {t}, 1, 2),
                     "has no assignment for parameter \"c\""});
  }
  {
    api::Trial t = MakeTrial("t1", "0.1", "1");
    *t.mutable_spec()->mutable_parameter_assignments()->add_assignments() =
        t.spec().parameter_assignments().assignments(0);
    cases.push_back({"assigned twice", MakeRequest(good, {t}, 1, 2), "assigns \"x\" twice"});
  }
  cases.push_back({"not a number", MakeRequest(good, {MakeTrial("t1", "abc", "1")}, 1, 2),
                   "parameter \"x\" has the value \"abc\", which is not a finite number"});
  for (const Case& c : cases) {
    api::GetSuggestionsReply reply;
    grpc::Status status = server.Get(c.request, &reply);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT)
        << c.what << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message)) << c.what;
    EXPECT_EQ(reply.parameter_assignments_size(), 0) << c.what;
  }
  // A bad trial does not poison the experiment: the corrected history works, in full.
  api::Experiment e = MakeExperiment("bad-then-good", "test-recorder");
  api::GetSuggestionsReply reply;
  EXPECT_EQ(server
                .Get(MakeRequest(e, {MakeTrial("t1", "0.1", "1"), MakeTrial("t2", "x", "1")}, 1, 1),
                     &reply)
                .error_code(),
            grpc::INVALID_ARGUMENT);
  api::GetSuggestionsReply good_reply = server.GetOk(
      MakeRequest(e, {MakeTrial("t1", "0.1", "1"), MakeTrial("t2", "0.2", "1")}, 1, 1));
  EXPECT_EQ(Label(good_reply, "received_names"), "t1,t2");
}

// Garbage and edge messages, typed and raw: every answer is a status (the server never
// crashes) and a good request still works afterwards.
TEST_F(GrpcSuggestionServiceTest, SurvivesGarbageRequests) {
  Server server;
  std::mt19937 rng(12345);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> strings = {
      "", "0", "-1", "1e308", "nan", "inf", "abc", "1.5", "\x01", "1e-320", "99999999999999999999"};
  const std::vector<std::string> algorithms = {"random", "grid", "test-recorder", "", "nope"};
  std::set<int> codes;
  for (int i = 0; i < 300; ++i) {
    api::Experiment e = MakeExperiment(pick(4) == 0 ? "" : absl::StrCat("g", pick(5)),
                                       algorithms[pick(static_cast<int>(algorithms.size()))]);
    auto* params = e.mutable_spec()->mutable_parameter_specs()->mutable_parameters();
    for (auto& p : *params) {
      if (pick(3) == 0) p.set_parameter_type(static_cast<api::ParameterType>(pick(5)));
      if (pick(3) == 0)
        p.mutable_feasible_space()->set_min(strings[pick(static_cast<int>(strings.size()))]);
      if (pick(3) == 0)
        p.mutable_feasible_space()->set_max(strings[pick(static_cast<int>(strings.size()))]);
      if (pick(4) == 0)
        p.mutable_feasible_space()->set_step(strings[pick(static_cast<int>(strings.size()))]);
      if (pick(4) == 0) {
        p.mutable_feasible_space()->set_distribution(static_cast<api::Distribution>(pick(6)));
      }
      if (pick(5) == 0) p.mutable_feasible_space()->clear_list();
    }
    if (pick(6) == 0) params->Clear();
    if (pick(4) == 0) {
      auto* s = e.mutable_spec()->mutable_algorithm()->add_algorithm_settings();
      s->set_name(pick(2) ? "random_state" : strings[pick(static_cast<int>(strings.size()))]);
      s->set_value(strings[pick(static_cast<int>(strings.size()))]);
    }
    std::vector<api::Trial> trials;
    for (int t = pick(6); t > 0; --t) {
      api::Trial trial =
          MakeTrial(absl::StrCat("t", pick(4)), strings[pick(static_cast<int>(strings.size()))],
                    pick(2) ? strings[pick(static_cast<int>(strings.size()))] : "");
      trial.mutable_status()->set_condition(
          static_cast<api::TrialStatus::TrialConditionType>(pick(8)));
      trials.push_back(trial);
    }
    const int count = pick(5) == 0 ? -pick(3) : pick(4);
    api::GetSuggestionsRequest request = MakeRequest(e, trials, count, count + pick(3) - 1);
    api::GetSuggestionsReply reply;
    grpc::Status status = server.Get(request, &reply);
    codes.insert(status.error_code());
    EXPECT_TRUE(status.ok() || status.error_code() == grpc::INVALID_ARGUMENT)
        << status.error_code() << ": " << status.error_message() << "\n"
        << request.DebugString();
  }
  EXPECT_TRUE(codes.contains(grpc::OK));
  EXPECT_TRUE(codes.contains(grpc::INVALID_ARGUMENT));

  // Bytes that are no GetSuggestionsRequest at all.
  const std::string valid =
      MakeRequest(MakeExperiment("raw", "random"), {}, 1, 1).SerializeAsString();
  for (int i = 0; i < 50; ++i) {
    std::string bytes = valid;
    if (i % 3 == 0) bytes.resize(pick(static_cast<int>(bytes.size())));
    for (int flips = bytes.empty() ? 0 : 1 + pick(8); flips > 0; --flips) {
      bytes[static_cast<size_t>(pick(static_cast<int>(bytes.size())))] = static_cast<char>(rng());
    }
    if (i % 7 == 0) bytes = std::string(pick(64), '\xff');
    testing::RawReply raw =
        RawCall(server.channel(), "/api.v1.beta1.Suggestion/GetSuggestions", bytes);
    EXPECT_NE(raw.status.error_code(), grpc::UNAVAILABLE) << raw.status.error_message();
  }
  EXPECT_EQ(server.GetOk(MakeRequest(MakeExperiment("after", "random"), {}, 2, 2))
                .parameter_assignments_size(),
            2);
}

TEST_F(GrpcSuggestionServiceTest, ADeadlineThatPassesDiscardsTheInstance) {
  LogCapture log;
  Server server;
  api::Experiment e = MakeExperiment("exp", "test-recorder", {{"spin", "1"}});
  for (int i = 0; i < 2; ++i) {
    api::GetSuggestionsReply reply;
    grpc::Status status = server.Get(MakeRequest(e, {MakeTrial("t1", "0.1", "1")}, 1, 1), &reply,
                                     std::chrono::milliseconds(200));
    EXPECT_EQ(status.error_code(), grpc::DEADLINE_EXCEEDED) << status.error_message();
  }
  // Each call made an instance: the first one was discarded once its deadline passed. (The
  // second call may still be running on the server when the client gives up.)
  EXPECT_TRUE(log.WaitForCount("experiment=exp: created", 2, std::chrono::seconds(20)));
  EXPECT_EQ(log.Matching("experiment=exp: created").size(), 2u);
}

TEST_F(GrpcSuggestionServiceTest, ClientCancellationReachesThePluginAndOtherExperimentsGoOn) {
  LogCapture log;
  Server server;
  grpc::ClientContext spin_context;
  api::GetSuggestionsReply spin_reply;
  grpc::Status spin_status;
  api::Experiment spin = MakeExperiment("spinner", "test-recorder", {{"spin", "1"}});
  std::thread caller([&] {
    spin_status =
        server.stub().GetSuggestions(&spin_context, MakeRequest(spin, {}, 1, 1), &spin_reply);
  });
  log.WaitFor("spinning");

  // Another experiment is served while `spinner` is inside its plugin.
  EXPECT_EQ(server.GetOk(MakeRequest(MakeExperiment("other", "random"), {}, 1, 1))
                .parameter_assignments_size(),
            1);
  // A second call of the same experiment waits behind the first (serialized): its deadline
  // passes before it gets its turn.
  api::GetSuggestionsReply queued;
  EXPECT_EQ(server
                .Get(MakeRequest(MakeExperiment("spinner", "test-recorder"), {}, 1, 1), &queued,
                     std::chrono::milliseconds(300))
                .error_code(),
            grpc::DEADLINE_EXCEEDED);

  spin_context.TryCancel();
  caller.join();
  EXPECT_EQ(spin_status.error_code(), grpc::CANCELLED);
  // The plugin saw the cancellation (it returns what the host said) and its instance was
  // discarded.
  ASSERT_TRUE(log.WaitForCount("the next call starts a new instance", 1));
  EXPECT_THAT(log.Matching("the next call starts a new instance")[0],
              AllOf(HasSubstr("experiment spinner"), HasSubstr("noticed")));
  // The next call of `spinner` is served by a fresh instance.
  api::GetSuggestionsReply after =
      server.GetOk(MakeRequest(MakeExperiment("spinner", "test-recorder"), {}, 1, 1));
  EXPECT_EQ(Label(after, "call"), "1");
}

TEST_F(GrpcSuggestionServiceTest, ExperimentsRunConcurrentlyWithTheirOwnHistories) {
  Server server;
  constexpr int kExperiments = 8;
  constexpr int kRounds = 10;
  std::vector<std::set<std::string>> seen(kExperiments);
  std::vector<int> failures(kExperiments, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kExperiments; ++i) {
    threads.emplace_back([&, i] {
      api::Experiment e =
          MakeExperiment(absl::StrCat("exp", i), i % 2 ? "random" : "test-recorder", {});
      std::vector<api::Trial> history;
      for (int round = 0; round < kRounds; ++round) {
        api::GetSuggestionsReply reply;
        grpc::Status status = server.Get(MakeRequest(e, history, 2, 2 * (round + 1)), &reply);
        if (!status.ok() || reply.parameter_assignments_size() != 2) {
          ++failures[i];
          continue;
        }
        if (i % 2 == 0 && Label(reply, "received") != (round == 0 ? "0" : "2")) ++failures[i];
        for (const auto& pa : reply.parameter_assignments()) {
          const std::string x = ValueOf(pa, "x");
          if (i % 2) seen[i].insert(x);
          history.push_back(MakeTrial(absl::StrCat("exp", i, "-t", history.size()),
                                      i % 2 ? x : absl::StrCat("0.", history.size()), "1.0"));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kExperiments; ++i) {
    EXPECT_EQ(failures[i], 0) << "experiment " << i;
    if (i % 2) {
      EXPECT_EQ(seen[i].size(), 2u * kRounds) << "experiment " << i;
    }
  }
  EXPECT_EQ(server.server().service().experiments(), static_cast<size_t>(kExperiments));
}

TEST_F(GrpcSuggestionServiceTest, BeyondMaxExperimentsTheLeastRecentlyUsedIsRebuilt) {
  SuggestionGrpcService::Options options;
  options.max_experiments = 2;
  Server server(options);
  std::vector<api::Trial> history = {MakeTrial("t1", "0.1", "1"), MakeTrial("t2", "0.2", "1")};
  for (const char* name : {"e1", "e2", "e3"}) {
    server.GetOk(MakeRequest(MakeExperiment(name, "test-recorder"), history, 1, 1));
  }
  EXPECT_EQ(server.server().service().experiments(), 2u);
  // e3 and e2 were kept; e1 was evicted and starts again from the full history.
  api::GetSuggestionsReply e3 =
      server.GetOk(MakeRequest(MakeExperiment("e3", "test-recorder"), history, 1, 2));
  EXPECT_EQ(Label(e3, "call"), "2");
  api::GetSuggestionsReply e1 =
      server.GetOk(MakeRequest(MakeExperiment("e1", "test-recorder"), history, 1, 2));
  EXPECT_EQ(Label(e1, "call"), "1");
  EXPECT_EQ(Label(e1, "received_names"), "t1,t2");
}

TEST_F(GrpcSuggestionServiceTest, ShutdownRefusesNewCallsAndEndsACallInFlight) {
  LogCapture log;
  Server server;
  grpc::Status spin_status;
  std::thread caller([&] {
    grpc::ClientContext context;
    api::GetSuggestionsReply reply;
    spin_status = server.stub().GetSuggestions(
        &context,
        MakeRequest(MakeExperiment("spinner", "test-recorder", {{"spin", "1"}}), {}, 1, 1), &reply);
  });
  log.WaitFor("spinning");
  server.server().Shutdown(absl::Seconds(30));  // returns once the spinning call ended
  caller.join();
  EXPECT_FALSE(spin_status.ok());
  api::GetSuggestionsReply reply;
  EXPECT_FALSE(server.Get(MakeRequest(MakeExperiment("e", "random"), {}, 1, 1), &reply).ok());
}

TEST_F(GrpcSuggestionServiceTest, AnAddressInUseIsUnavailable) {
  Server first;
  SuggestionServer::Options options;
  options.port = first.server().port();
  absl::StatusOr<std::unique_ptr<SuggestionServer>> second =
      SuggestionServer::Start(Registry(), options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ktune::suggestion
