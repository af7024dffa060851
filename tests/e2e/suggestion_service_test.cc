// `ktune suggestion` end to end: the real binary on a loopback port, driven as Katib's
// controller drives a suggestion service (the whole history on every call, trials completing
// between calls), killed with SIGKILL in the middle of an experiment and restarted.

#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "api/api.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "process.h"
#include "tests/unit/suggestion/grpc_test_util.h"

#if defined(__SANITIZE_THREAD__)
#define KTUNE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KTUNE_TSAN 1
#endif
#endif

namespace {

// Debian's gRPC and abseil are not built with ThreadSanitizer, so it cannot see their
// synchronization: a TSan-built `ktune suggestion` and client report hundreds of races inside
// gRPC (its own threads, its call objects). The serving tests run in the plain and ASan builds.
#ifdef KTUNE_TSAN
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "gRPC is not built with ThreadSanitizer"
#else
#define SKIP_UNDER_TSAN() static_cast<void>(0)
#endif

namespace fs = std::filesystem;
namespace api = ::api::v1::beta1;
using ktune::e2e::Process;
using ktune::e2e::ReadAll;
using ktune::e2e::Result;
using ktune::e2e::WaitInDir;
using ::testing::HasSubstr;

// A running `ktune suggestion` and a client of it.
class Service {
 public:
  Service(const std::vector<std::string>& args, const fs::path& dir) : dir_(dir) {
    fs::create_directories(dir_);
    process_ = std::make_unique<Process>(args, dir_);
    const bool listening = WaitInDir(dir_, [this] {
      const std::string out = ReadAll(dir_ / "stdout");
      // A start-up error goes to stderr as "ktune suggestion: ..." (the info line that also
      // starts so is written after stdout's line).
      return out.find('\n') != std::string::npos ||
             ReadAll(dir_ / "stderr").find("ktune suggestion: ") != std::string::npos;
    });
    const std::string out = ReadAll(dir_ / "stdout");
    const std::string prefix = "listening on ";
    EXPECT_TRUE(listening && out.starts_with(prefix))
        << "stdout: " << out << "\nstderr: " << ReadAll(dir_ / "stderr");
    if (out.starts_with(prefix))
      target_ = out.substr(prefix.size(), out.find('\n') - prefix.size());
    channel_ = grpc::CreateChannel(target_.empty() ? std::string("127.0.0.1:1") : target_,
                                   grpc::InsecureChannelCredentials());
    stub_ = api::Suggestion::NewStub(channel_);
  }

  grpc::Status Get(const api::GetSuggestionsRequest& request, api::GetSuggestionsReply* reply) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->GetSuggestions(&context, request, reply);
  }
  const std::shared_ptr<grpc::Channel>& channel() { return channel_; }
  const std::string& target() const { return target_; }
  Process& process() { return *process_; }

 private:
  fs::path dir_;
  std::unique_ptr<Process> process_;
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<api::Suggestion::Stub> stub_;
};

// What Katib's controller does for one experiment: keep parallel_trial_count trials running,
// ask for as many as are missing with the whole history, finish the oldest running trial
// between calls (every fifth one fails).
class Controller {
 public:
  explicit Controller(const std::string& name) {
    experiment_.set_name(name);
    auto* spec = experiment_.mutable_spec();
    for (const char* p : {"x", "y", "z"}) {
      auto* param = spec->mutable_parameter_specs()->add_parameters();
      param->set_name(p);
      param->set_parameter_type(api::DOUBLE);
      param->mutable_feasible_space()->set_min("-2");
      param->mutable_feasible_space()->set_max("3");
    }
    spec->mutable_objective()->set_type(api::MINIMIZE);
    spec->mutable_objective()->set_objective_metric_name("loss");
    spec->mutable_algorithm()->set_algorithm_name("random");
    auto* seed = spec->mutable_algorithm()->add_algorithm_settings();
    seed->set_name("random_state");
    seed->set_value("11");
    spec->set_parallel_trial_count(3);
    spec->set_max_trial_count(60);
  }

  // One reconcile: finishes the oldest running trial, then asks for the missing ones.
  void Step(Service& service) {
    for (api::Trial& t : trials_) {
      if (t.status().condition() != api::TrialStatus::RUNNING) continue;
      const bool fail = finished_++ % 5 == 4;
      t.mutable_status()->set_condition(fail ? api::TrialStatus::FAILED
                                             : api::TrialStatus::SUCCEEDED);
      t.mutable_status()->set_completion_time("2024-01-01T00:01:00Z");
      if (!fail) {
        double loss = 0;
        for (const auto& a : t.spec().parameter_assignments().assignments()) {
          loss += std::stod(a.value()) * std::stod(a.value());
        }
        auto* m = t.mutable_status()->mutable_observation()->add_metrics();
        m->set_name("loss");
        m->set_value(std::to_string(loss));
      }
      break;
    }
    int running = 0;
    for (const api::Trial& t : trials_)
      running += t.status().condition() == api::TrialStatus::RUNNING;
    const int missing = experiment_.spec().parallel_trial_count() - running;
    if (missing <= 0) return;
    api::GetSuggestionsRequest request;
    *request.mutable_experiment() = experiment_;
    for (const api::Trial& t : trials_) *request.add_trials() = t;
    request.set_current_request_number(missing);
    request.set_total_request_number(total_ + missing);
    api::GetSuggestionsReply reply;
    grpc::Status status = service.Get(request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    ASSERT_EQ(reply.parameter_assignments_size(), missing);
    total_ += missing;
    for (const auto& pa : reply.parameter_assignments()) {
      api::Trial& t = trials_.emplace_back();
      t.set_name(experiment_.name() + "-" + std::to_string(trials_.size()));
      std::string point;
      for (const auto& a : pa.assignments()) {
        *t.mutable_spec()->mutable_parameter_assignments()->add_assignments() = a;
        point += a.name() + "=" + a.value() + " ";
        const double v = std::stod(a.value());
        EXPECT_GE(v, -2.0) << point;
        EXPECT_LE(v, 3.0) << point;
      }
      EXPECT_EQ(pa.assignments_size(), 3) << point;
      t.mutable_spec()->mutable_objective()->set_objective_metric_name("loss");
      t.mutable_status()->set_condition(api::TrialStatus::RUNNING);
      t.mutable_status()->set_start_time("2024-01-01T00:00:00Z");
      points_.push_back(point);
    }
  }

  const std::vector<std::string>& points() const { return points_; }

 private:
  api::Experiment experiment_;
  std::vector<api::Trial> trials_;
  std::vector<std::string> points_;
  int total_ = 0;
  int finished_ = 0;
};

class SuggestionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("ktune-e2e-suggestion-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SuggestionServiceTest, UnknownAlgorithmExitsWithTwoListingTheAvailableOnes) {
  Result r = Process({"suggestion", "--algorithm", "nope", "--port", "0"}, dir_).Wait();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown algorithm \"nope\""));
  EXPECT_THAT(r.err, HasSubstr("random"));
  Result help = Process({"suggestion", "--help"}, dir_).Wait();
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--algorithm"));
}

TEST_F(SuggestionServiceTest, ServesHealthAndStopsCleanlyOnSigterm) {
  SKIP_UNDER_TSAN();
  Service service({"suggestion", "--algorithm", "all", "--port", "0"}, dir_ / "s");
  EXPECT_THAT(service.target(), ::testing::StartsWith("127.0.0.1:"));
  ktune::suggestion::testing::HealthReply health =
      ktune::suggestion::testing::CheckHealth(service.channel(), "manager.v1beta1.Suggestion");
  ASSERT_TRUE(health.status.ok()) << health.status.error_message();
  EXPECT_EQ(health.health, ktune::suggestion::testing::Health::kServing);
  EXPECT_EQ(ktune::suggestion::testing::CheckHealth(service.channel(), "nope").status.error_code(),
            grpc::NOT_FOUND);
  service.process().Signal(SIGTERM);
  Result r = service.process().Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("shutting down"));
}

TEST_F(SuggestionServiceTest, AnExperimentSurvivesAServiceKilledInTheMiddle) {
  SKIP_UNDER_TSAN();
  constexpr int kStepsBefore = 8;
  constexpr int kStepsAfter = 12;
  Controller interrupted("interrupted");
  {
    Service first({"suggestion", "--algorithm", "random", "--port", "0"}, dir_ / "first");
    for (int i = 0; i < kStepsBefore; ++i) interrupted.Step(first);
    first.process().Signal(SIGKILL);
    EXPECT_EQ(first.process().Wait().exit_code, 128 + SIGKILL);
  }
  Service second({"suggestion", "--algorithm", "random", "--port", "0"}, dir_ / "second");
  for (int i = 0; i < kStepsAfter; ++i) interrupted.Step(second);
  ASSERT_FALSE(HasFailure());

  // Every suggestion is distinct, before and after the restart.
  const std::vector<std::string>& points = interrupted.points();
  EXPECT_EQ(std::set<std::string>(points.begin(), points.end()).size(), points.size());
  EXPECT_GT(points.size(), 20u);

  // random_state is set: the restarted service continues the sequence where the killed one
  // was (random draws suggestion k from its own stream), exactly as an uninterrupted run.
  Controller uninterrupted("uninterrupted");
  for (int i = 0; i < kStepsBefore + kStepsAfter; ++i) uninterrupted.Step(second);
  EXPECT_EQ(uninterrupted.points(), points);

  second.process().Signal(SIGINT);
  EXPECT_EQ(second.process().Wait().exit_code, 0);
}

}  // namespace
