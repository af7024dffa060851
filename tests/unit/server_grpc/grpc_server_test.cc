// server::GrpcServer through real gRPC clients on one loopback port: health for the names
// Katib's probes ask for, a DBManager round trip over a real SQLite store, and Katib's
// Suggestion calls for `random` beside it.

#include "server/grpc_server.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api/api.grpc.pb.h"
#include "core/mutex.h"
#include "db-manager/store.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "suggestion/registry.h"
#include "tests/unit/suggestion/grpc_test_util.h"

namespace ktune::server {
namespace {

namespace api = ::api::v1::beta1;
namespace fs = std::filesystem;
using suggestion::testing::CheckHealth;
using suggestion::testing::Health;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const suggestion::AlgorithmRegistry& Registry() {
  static const suggestion::AlgorithmRegistry* registry = [] {
    auto* r = new suggestion::AlgorithmRegistry();
    absl::Status s = r->LoadSearchPath({KTUNE_PLUGIN_DIR});
    EXPECT_TRUE(s.ok()) << s;
    return r;
  }();
  return *registry;
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

// x in [0, 1] (double), minimizing loss, with `algorithm` and its settings.
api::Experiment MakeExperiment(const std::string& algorithm,
                               const std::vector<std::pair<std::string, std::string>>& settings) {
  api::Experiment e;
  e.set_name("exp");
  auto* x = e.mutable_spec()->mutable_parameter_specs()->add_parameters();
  x->set_name("x");
  x->set_parameter_type(api::DOUBLE);
  x->mutable_feasible_space()->set_min("0");
  x->mutable_feasible_space()->set_max("1");
  e.mutable_spec()->mutable_objective()->set_type(api::MINIMIZE);
  e.mutable_spec()->mutable_objective()->set_objective_metric_name("loss");
  e.mutable_spec()->mutable_algorithm()->set_algorithm_name(algorithm);
  for (const auto& [name, value] : settings) {
    auto* s = e.mutable_spec()->mutable_algorithm()->add_algorithm_settings();
    s->set_name(name);
    s->set_value(value);
  }
  e.mutable_spec()->set_parallel_trial_count(2);
  e.mutable_spec()->set_max_trial_count(10);
  return e;
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "gRPC is not built with ThreadSanitizer";
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    GTEST_SKIP() << "gRPC is not built with ThreadSanitizer";
#endif
#endif
    std::string pattern = (fs::path(::testing::TempDir()) / "ktune-srv-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    absl::StatusOr<std::unique_ptr<db::Store>> store = db::OpenStore((dir_ / "ktune.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    GrpcServerOptions options;
    options.port = 0;
    absl::StatusOr<std::unique_ptr<GrpcServer>> server =
        GrpcServer::Start(options, Registry(), *store_, [this](const std::string& trial) {
          MutexLock lock(mu_);
          reported_.push_back(trial);
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
    EXPECT_EQ(server_->target(), "127.0.0.1:" + std::to_string(server_->port()));
    channel_ = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  std::vector<std::string> reported() {
    MutexLock lock(mu_);
    return reported_;
  }

  fs::path dir_;
  std::unique_ptr<db::Store> store_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  Mutex mu_;
  std::vector<std::string> reported_ ABSL_GUARDED_BY(mu_);
};

TEST_F(GrpcServerTest, HealthServingForKatibsNames) {
  for (const std::string name : {"", "manager.v1beta1.DBManager", "manager.v1beta1.Suggestion"}) {
    suggestion::testing::HealthReply reply = CheckHealth(channel_, name);
    EXPECT_TRUE(reply.status.ok()) << name << ": " << reply.status.error_message();
    EXPECT_EQ(reply.health, Health::kServing) << name;
  }
  EXPECT_EQ(CheckHealth(channel_, "manager.v1beta1.EarlyStopping").status.error_code(),
            grpc::NOT_FOUND);
}

TEST_F(GrpcServerTest, DbManagerRoundTripReachesTheStoreAndTheListener) {
  auto stub = api::DBManager::NewStub(channel_);
  api::ReportObservationLogRequest report;
  report.set_trial_name("exp-abc");
  for (const auto& [time, value] : std::vector<std::pair<std::string, std::string>>{
           {"2024-05-01T10:00:01Z", "0.5"}, {"2024-05-01T10:00:00Z", "0.9"}}) {
    api::MetricLog* m = report.mutable_observation_log()->add_metric_logs();
    m->set_time_stamp(time);
    m->mutable_metric()->set_name("loss");
    m->mutable_metric()->set_value(value);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    api::ReportObservationLogReply reply;
    grpc::Status status = stub->ReportObservationLog(&context, report, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_THAT(reported(), ElementsAre("exp-abc"));

  // Through the gRPC call, and the same rows straight from the store.
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  api::GetObservationLogRequest get;
  get.set_trial_name("exp-abc");
  api::GetObservationLogReply reply;
  grpc::Status status = stub->GetObservationLog(&context, get, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.observation_log().metric_logs_size(), 2);
  EXPECT_EQ(reply.observation_log().metric_logs(0).time_stamp(), "2024-05-01T10:00:00.000000Z");
  EXPECT_EQ(reply.observation_log().metric_logs(0).metric().value(), "0.9");
  EXPECT_EQ(reply.observation_log().metric_logs(1).metric().value(), "0.5");
  db::ObservationQuery query;
  query.trial_name = "exp-abc";
  absl::StatusOr<std::vector<core::MetricLog>> stored = store_->GetObservationLog(query);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->size(), 2u);
}

TEST_F(GrpcServerTest, SuggestionServesRandomOnTheSamePort) {
  auto stub = api::Suggestion::NewStub(channel_);
  {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    api::ValidateAlgorithmSettingsRequest request;
    *request.mutable_experiment() = MakeExperiment("random", {{"random_state", "-1"}});
    api::ValidateAlgorithmSettingsReply reply;
    grpc::Status status = stub->ValidateAlgorithmSettings(&context, request, &reply);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("random_state should be great or equal than zero"));
  }
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  api::GetSuggestionsRequest request;
  *request.mutable_experiment() = MakeExperiment("random", {{"random_state", "5"}});
  request.set_current_request_number(3);
  request.set_total_request_number(3);
  api::GetSuggestionsReply reply;
  grpc::Status status = stub->GetSuggestions(&context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  ASSERT_EQ(reply.parameter_assignments_size(), 3);
  std::set<std::string> xs;
  for (const auto& pa : reply.parameter_assignments()) {
    ASSERT_EQ(pa.assignments_size(), 1);
    EXPECT_EQ(pa.assignments(0).name(), "x");
    const double x = std::stod(pa.assignments(0).value());
    EXPECT_GE(x, 0.0);
    EXPECT_LE(x, 1.0);
    xs.insert(pa.assignments(0).value());
  }
  EXPECT_EQ(xs.size(), 3u);
}

TEST_F(GrpcServerTest, PortInUseIsUnavailableAndShutdownIsIdempotent) {
  GrpcServerOptions options;
  options.port = server_->port();
  absl::StatusOr<std::unique_ptr<GrpcServer>> second =
      GrpcServer::Start(options, Registry(), *store_, nullptr);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(std::to_string(server_->port())));

  options.port = 70000;
  EXPECT_EQ(GrpcServer::Start(options, Registry(), *store_, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.port = 0;
  options.suggestion.algorithm = "nope";
  EXPECT_EQ(GrpcServer::Start(options, Registry(), *store_, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);

  server_->Shutdown();
  server_->Shutdown();
  // Nothing listens any more.
  auto stub = api::DBManager::NewStub(
      grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  api::DeleteObservationLogRequest request;
  request.set_trial_name("t");
  api::DeleteObservationLogReply reply;
  EXPECT_EQ(stub->DeleteObservationLog(&context, request, &reply).error_code(), grpc::UNAVAILABLE);
}

}  // namespace
}  // namespace ktune::server
