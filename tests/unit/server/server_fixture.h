#pragma once
// The fixture the server tests share: `ApiServer` over real HTTP (httplib on a loopback port),
// a real SQLite store, the real controller manager and the default plugins, trials in a
// FakeExecutor the test ends.

#include <httplib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "controller/manager.h"
#include "controller/testing/fake_executor.h"
#include "db-manager/store.h"
#include "server/api_server.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"

namespace ktune::server {

class ApiServerFixture : public ::testing::Test {
 protected:
  // Each test gets TempDir()/`dir_name`/<test name>, emptied first.
  explicit ApiServerFixture(std::string dir_name) : dir_name_(std::move(dir_name)) {}

  // Opens the store at dir_/k.db; override to open it with other options.
  virtual absl::StatusOr<std::unique_ptr<db::Store>> OpenStore() {
    return db::OpenStore((dir_ / "k.db").string());
  }

  // Adjusts the server's options before it starts (store, manager, validation, token are set).
  virtual void AdjustOptions(ApiServerOptions& /*options*/) {}

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) / dir_name_ / info->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    absl::StatusOr<std::unique_ptr<db::Store>> store = OpenStore();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    registry_ = suggestion::AlgorithmRegistry::CreateDefault();
    suggestions_ = std::make_unique<suggestion::InProcessSuggestionService>(*registry_);
    tap_ = std::make_unique<controller::MetricsTap>(*store_);
    executor_ = std::make_unique<controller::testing::FakeExecutor>(tap_.get());
    manager_ = std::make_unique<controller::ControllerManager>(*store_, *store_, *suggestions_,
                                                               *executor_);
    tap_->set_manager(manager_.get());
    manager_->Start();
    ApiServerOptions options;
    options.store = store_.get();
    options.manager = manager_.get();
    options.validation.algorithms = registry_->Names();
    options.validation.metrics_collector_kinds = {"StdOut", "File"};
    options.token = token_;
    options.watch_slice_ms = 200;
    AdjustOptions(options);
    api_ = std::make_unique<ApiServer>(std::move(options));
    api_->Install(http_);
    port_ = http_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    listener_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::yield();
  }

  void TearDown() override {
    if (api_) api_->Shutdown();
    http_.stop();
    if (listener_.joinable()) listener_.join();
    if (manager_) manager_->Shutdown();
  }

  // A client of the server; it sends token_ when client_sends_token_ is set.
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    if (client_sends_token_ && !token_.empty()) c.set_bearer_token_auth(token_);
    return c;
  }

  // The answer's body as JSON (a test failure when there is no answer or it is not JSON).
  static nlohmann::json Body(const httplib::Result& r) {
    EXPECT_TRUE(r) << "no response";
    if (!r) return nlohmann::json();
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->body;
    return j;
  }

  // POSTs an Experiment to the namespace's collection.
  httplib::Result Post(const std::string& body, const std::string& ns = "default") {
    return Client().Post(("/apis/kubeflow.org/v1beta1/namespaces/" + ns + "/experiments").c_str(),
                         body, "application/json");
  }

  std::filesystem::path dir_;
  std::string token_;                // set before SetUp: the server requires it
  bool client_sends_token_ = false;  // Client() sends token_
  std::unique_ptr<db::Store> store_;
  std::unique_ptr<suggestion::AlgorithmRegistry> registry_;
  std::unique_ptr<suggestion::InProcessSuggestionService> suggestions_;
  std::unique_ptr<controller::MetricsTap> tap_;
  std::unique_ptr<controller::testing::FakeExecutor> executor_;
  std::unique_ptr<controller::ControllerManager> manager_;
  std::unique_ptr<ApiServer> api_;
  httplib::Server http_;
  std::thread listener_;
  int port_ = 0;

 private:
  std::string dir_name_;
};

}  // namespace ktune::server
