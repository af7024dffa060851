// DbManagerGrpcService through a real gRPC client over TCP on a loopback port, over a real
// SQLite store in a temp dir: Katib's report / get / delete, the filters, the report listener,
// malformed requests and the store's errors as gRPC codes.

#include "db-manager/grpc_service.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "api/api.grpc.pb.h"
#include "core/mutex.h"
#include "db-manager/store.h"
#include "db-manager/testing/faulty_store.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace ktune::db {
namespace {

namespace api = ::api::v1::beta1;
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Log {
  std::string time, name, value;
  bool operator==(const Log&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Log& l) {
  return os << "{" << l.time << " " << l.name << "=" << l.value << "}";
}

api::ReportObservationLogRequest MakeReport(const std::string& trial,
                                            const std::vector<Log>& logs) {
  api::ReportObservationLogRequest r;
  r.set_trial_name(trial);
  for (const Log& l : logs) {
    api::MetricLog* m = r.mutable_observation_log()->add_metric_logs();
    m->set_time_stamp(l.time);
    m->mutable_metric()->set_name(l.name);
    m->mutable_metric()->set_value(l.value);
  }
  return r;
}

// Every report's trial name, in the order the listener heard them.
class Reports {
 public:
  void Add(const std::string& trial) {
    MutexLock lock(mu_);
    trials_.push_back(trial);
  }
  std::vector<std::string> trials() {
    MutexLock lock(mu_);
    return trials_;
  }

 private:
  Mutex mu_;
  std::vector<std::string> trials_ ABSL_GUARDED_BY(mu_);
};

// Debian's gRPC and abseil are not built with ThreadSanitizer, which then reports races inside
// gRPC's own synchronization; these tests run in the plain and ASan builds.
class DbManagerGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "gRPC is not built with ThreadSanitizer";
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    GTEST_SKIP() << "gRPC is not built with ThreadSanitizer";
#endif
#endif
    std::string pattern = (fs::path(::testing::TempDir()) / "ktune-dbm-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    absl::StatusOr<std::unique_ptr<Store>> store = OpenStore((dir_ / "ktune.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    sqlite_ = *std::move(store);
    faulty_ = std::make_unique<testing::FaultyStore>(*sqlite_);
    service_ = std::make_unique<DbManagerGrpcService>(
        *faulty_, [this](const std::string& trial) { reports_.Add(trial); });

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = api::DBManager::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                        grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    service_.reset();
    faulty_.reset();
    sqlite_.reset();
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  static std::chrono::system_clock::time_point Deadline() {
    return std::chrono::system_clock::now() + std::chrono::seconds(30);
  }

  grpc::Status Report(const std::string& trial, const std::vector<Log>& logs) {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    api::ReportObservationLogReply reply;
    return stub_->ReportObservationLog(&context, MakeReport(trial, logs), &reply);
  }
  grpc::Status Get(const api::GetObservationLogRequest& request, std::vector<Log>* logs) {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    api::GetObservationLogReply reply;
    grpc::Status status = stub_->GetObservationLog(&context, request, &reply);
    logs->clear();
    for (const api::MetricLog& m : reply.observation_log().metric_logs()) {
      logs->push_back(Log{m.time_stamp(), m.metric().name(), m.metric().value()});
    }
    return status;
  }
  std::vector<Log> GetOk(const std::string& trial, const std::string& metric = "",
                         const std::string& start = "", const std::string& end = "") {
    api::GetObservationLogRequest request;
    request.set_trial_name(trial);
    request.set_metric_name(metric);
    request.set_start_time(start);
    request.set_end_time(end);
    std::vector<Log> logs;
    grpc::Status status = Get(request, &logs);
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    return logs;
  }
  grpc::Status Delete(const std::string& trial) {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    api::DeleteObservationLogRequest request;
    request.set_trial_name(trial);
    api::DeleteObservationLogReply reply;
    return stub_->DeleteObservationLog(&context, request, &reply);
  }

  fs::path dir_;
  std::unique_ptr<Store> sqlite_;
  std::unique_ptr<testing::FaultyStore> faulty_;
  Reports reports_;
  std::unique_ptr<DbManagerGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::DBManager::Stub> stub_;
};

TEST_F(DbManagerGrpcTest, ReportThenGetReturnsEveryLogAsTheSdkAsksForIt) {
  ASSERT_TRUE(Report("trial-1", {{"2024-05-01T10:00:02Z", "loss", "0.25"},
                                 {"2024-05-01T10:00:01Z", "loss", "0.5"},
                                 {"2024-05-01T12:00:01.5+02:00", "accuracy", "0.9"},
                                 {"", "loss", "skipped: no time_stamp"},
                                 {"2024-05-01T10:00:03Z", "note", "diverged"}})
                  .ok());
  ASSERT_TRUE(Report("trial-2", {{"2024-05-01T10:00:00Z", "loss", "7"}}).ok());

  // What Katib's SDK get_trial_metrics sends: the trial name only. Ordered by time, times in
  // UTC, values as reported, the log without a time_stamp skipped.
  EXPECT_THAT(GetOk("trial-1"),
              ElementsAre(Log{"2024-05-01T10:00:01.000000Z", "loss", "0.5"},
                          Log{"2024-05-01T10:00:01.500000Z", "accuracy", "0.9"},
                          Log{"2024-05-01T10:00:02.000000Z", "loss", "0.25"},
                          Log{"2024-05-01T10:00:03.000000Z", "note", "diverged"}));
  EXPECT_THAT(GetOk("trial-2"), ElementsAre(Log{"2024-05-01T10:00:00.000000Z", "loss", "7"}));
  // A trial never reported: an empty log, as Katib answers.
  EXPECT_THAT(GetOk("never-reported"), IsEmpty());

  // A second report appends.
  ASSERT_TRUE(Report("trial-2", {{"2024-05-01T10:00:05Z", "loss", "6"}}).ok());
  EXPECT_EQ(GetOk("trial-2").size(), 2u);
}

TEST_F(DbManagerGrpcTest, FiltersByMetricAndInclusiveTimeRange) {
  ASSERT_TRUE(Report("t", {{"2024-05-01T10:00:00Z", "loss", "4"},
                           {"2024-05-01T10:00:01Z", "acc", "0.1"},
                           {"2024-05-01T10:00:02Z", "loss", "3"},
                           {"2024-05-01T10:00:03Z", "loss", "2"},
                           {"2024-05-01T10:00:04Z", "loss", "1"}})
                  .ok());
  auto values = [](const std::vector<Log>& logs) {
    std::vector<std::string> out;
    for (const Log& l : logs) out.push_back(l.value);
    return out;
  };
  EXPECT_THAT(values(GetOk("t", "loss")), ElementsAre("4", "3", "2", "1"));
  EXPECT_THAT(values(GetOk("t", "acc")), ElementsAre("0.1"));
  EXPECT_THAT(values(GetOk("t", "missing")), IsEmpty());
  // start and end are inclusive, compared as times (another offset, the same instant).
  EXPECT_THAT(values(GetOk("t", "loss", "2024-05-01T10:00:02Z", "2024-05-01T12:00:03+02:00")),
              ElementsAre("3", "2"));
  EXPECT_THAT(values(GetOk("t", "", "2024-05-01T10:00:01Z")), ElementsAre("0.1", "3", "2", "1"));
  EXPECT_THAT(values(GetOk("t", "", "", "2024-05-01T10:00:00.5Z")), ElementsAre("4"));
}

TEST_F(DbManagerGrpcTest, DeleteRemovesOnlyThatTrialsLogs) {
  ASSERT_TRUE(Report("a", {{"2024-05-01T10:00:00Z", "loss", "1"}}).ok());
  ASSERT_TRUE(Report("b", {{"2024-05-01T10:00:00Z", "loss", "2"}}).ok());
  ASSERT_TRUE(Delete("a").ok());
  EXPECT_THAT(GetOk("a"), IsEmpty());
  EXPECT_EQ(GetOk("b").size(), 1u);
  // Deleting what is not there is not an error (Katib's DELETE matches no rows).
  EXPECT_TRUE(Delete("a").ok());
  EXPECT_TRUE(Delete("never-reported").ok());
}

TEST_F(DbManagerGrpcTest, ListenerHearsEachStoredReportBeforeTheReply) {
  ASSERT_TRUE(Report("t1", {{"2024-05-01T10:00:00Z", "loss", "1"}}).ok());
  // Told before the client saw OK: no waiting needed.
  EXPECT_THAT(reports_.trials(), ElementsAre("t1"));
  ASSERT_TRUE(Report("t2", {{"2024-05-01T10:00:00Z", "loss", "1"}}).ok());
  ASSERT_TRUE(Report("t1", {{"2024-05-01T10:00:01Z", "loss", "0.5"}}).ok());
  EXPECT_THAT(reports_.trials(), ElementsAre("t1", "t2", "t1"));

  // Nothing stored (no log has a time_stamp, or the report failed): nobody is told.
  ASSERT_TRUE(Report("t3", {{"", "loss", "1"}}).ok());
  ASSERT_TRUE(Report("t3", {}).ok());
  EXPECT_EQ(Report("t3", {{"yesterday", "loss", "1"}}).error_code(), grpc::INVALID_ARGUMENT);
  faulty_->FailCalls("ReportObservationLog", absl::UnavailableError("database is locked"));
  EXPECT_EQ(Report("t3", {{"2024-05-01T10:00:00Z", "loss", "1"}}).error_code(), grpc::UNAVAILABLE);
  EXPECT_THAT(reports_.trials(), ElementsAre("t1", "t2", "t1"));
  EXPECT_THAT(GetOk("t3"), IsEmpty());
}

TEST_F(DbManagerGrpcTest, RefusesRequestsWithoutTrialNameOrWithBadTimes) {
  grpc::Status report = Report("", {{"2024-05-01T10:00:00Z", "loss", "1"}});
  EXPECT_EQ(report.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(report.error_message(), HasSubstr("trial_name is empty"));

  api::GetObservationLogRequest get;
  std::vector<Log> logs;
  grpc::Status no_name = Get(get, &logs);
  EXPECT_EQ(no_name.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(no_name.error_message(), HasSubstr("trial_name is empty"));

  grpc::Status del = Delete("");
  EXPECT_EQ(del.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(del.error_message(), HasSubstr("trial_name is empty"));

  // A bad time_stamp stores nothing of the report, the good logs included.
  grpc::Status bad_time =
      Report("t", {{"2024-05-01T10:00:00Z", "loss", "1"}, {"2024-05-01 10:00", "loss", "2"}});
  EXPECT_EQ(bad_time.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(bad_time.error_message(), HasSubstr("\"2024-05-01 10:00\" is not an RFC3339 time"));
  EXPECT_THAT(GetOk("t"), IsEmpty());

  get.set_trial_name("t");
  get.set_start_time("last tuesday");
  grpc::Status bad_start = Get(get, &logs);
  EXPECT_EQ(bad_start.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(bad_start.error_message(), HasSubstr("start time \"last tuesday\""));
  EXPECT_THAT(logs, IsEmpty());
}

TEST_F(DbManagerGrpcTest, StoreErrorsKeepTheirCodeAndMessage) {
  ASSERT_TRUE(Report("t", {{"2024-05-01T10:00:00Z", "loss", "1"}}).ok());
  faulty_->FailCalls("GetObservationLog", absl::UnavailableError("database is locked"));
  faulty_->FailCalls("GetObservationLog", absl::InternalError("disk I/O error"), /*after=*/1);
  faulty_->FailCalls("GetObservationLog", absl::NotFoundError("no such table"), /*after=*/2);
  faulty_->FailCalls("DeleteObservationLog", absl::InvalidArgumentError("bad name"));
  api::GetObservationLogRequest get;
  get.set_trial_name("t");
  std::vector<Log> logs;
  grpc::Status unavailable = Get(get, &logs);
  EXPECT_EQ(unavailable.error_code(), grpc::UNAVAILABLE);
  EXPECT_EQ(unavailable.error_message(), "database is locked");
  grpc::Status internal = Get(get, &logs);
  EXPECT_EQ(internal.error_code(), grpc::INTERNAL);
  EXPECT_EQ(internal.error_message(), "disk I/O error");
  grpc::Status not_found = Get(get, &logs);
  EXPECT_EQ(not_found.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(not_found.error_message(), "no such table");
  grpc::Status invalid = Delete("t");
  EXPECT_EQ(invalid.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(invalid.error_message(), "bad name");
  // The faults were one call each; the data is still there.
  EXPECT_EQ(GetOk("t").size(), 1u);
}

TEST_F(DbManagerGrpcTest, ConcurrentReportsAreAllStored) {
  constexpr int kClients = 8;
  constexpr int kReports = 25;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([this, c] {
      for (int i = 0; i < kReports; ++i) {
        const std::string time =
            "2024-05-01T10:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "Z";
        EXPECT_TRUE(Report("trial-" + std::to_string(c), {{time, "loss", std::to_string(i)}}).ok());
      }
    });
  }
  for (std::thread& t : clients) t.join();
  for (int c = 0; c < kClients; ++c) {
    std::vector<Log> logs = GetOk("trial-" + std::to_string(c));
    ASSERT_EQ(logs.size(), static_cast<size_t>(kReports));
    for (int i = 0; i < kReports; ++i) EXPECT_EQ(logs[i].value, std::to_string(i));
  }
  EXPECT_EQ(reports_.trials().size(), static_cast<size_t>(kClients * kReports));
}

}  // namespace
}  // namespace ktune::db
