#pragma once
// The Store conformance suite: the contract of db-manager/store.h as tests that every backend
// (SQLite today; MySQL, PostgreSQL, a remote DBManager later) and every decorator runs.
//
// The tests are in store_conformance_test.cc, defined once per test binary. A backend runs them
// by instantiating the suite with a factory, in its own test file:
//
//   INSTANTIATE_TEST_SUITE_P(
//       Mysql, StoreConformanceTest,
//       ::testing::Values(StoreBackend{"Mysql", [](const std::filesystem::path& dir) {
//         return OpenMysqlForTest(dir);  // a fresh database, named after `dir`
//       }}),
//       StoreBackendName);
//
// A test binary outside tests/unit/db-manager adds store_conformance_test.cc to its sources.
// Backend-specific behaviour (file layout, schema migration, lock timeouts) stays in the
// backend's own suite.

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/experiment.h"
#include "db-manager/store.h"
#include "gtest/gtest.h"

namespace ktune::db::conformance {

// Opens a store for one test. `dir` is an empty directory private to the test, removed after
// it. Called again with the same `dir`, the factory must open the same database: the new store
// sees what the first one wrote, and both may be used at once (as two processes would).
// Returning null fails the test; say why on stderr or with ADD_FAILURE.
using StoreFactory = std::function<std::unique_ptr<Store>(const std::filesystem::path& dir)>;

struct StoreBackend {
  std::string name;  // suffix of the test names: letters, digits and underscores
  StoreFactory open;
};

inline std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "ktune-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = Open();
    ASSERT_NE(store_, nullptr) << "backend " << GetParam().name << " opened no store";
  }
  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Another store on this test's database.
  std::unique_ptr<Store> Open() { return GetParam().open(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

// ---- fixtures shared by the conformance suite and the backends' own suites ------------------

inline core::Experiment MakeExperiment(const std::string& ns, const std::string& name) {
  core::Experiment e;
  e.metadata.namespace_ = ns;
  e.metadata.name = name;
  core::ObjectiveSpec objective;
  objective.type = "maximize";
  objective.goal = 0.99;
  objective.objective_metric_name = "accuracy";
  objective.additional_metric_names = {"loss"};
  e.spec.objective = objective;
  e.spec.algorithm = core::AlgorithmSpec{"random", {{"random_state", "10"}}};
  core::ParameterSpec lr;
  lr.name = "lr";
  lr.parameter_type = "double";
  lr.feasible_space.min = "0.01";
  lr.feasible_space.max = "0.05";
  e.spec.parameters = {lr};
  e.spec.max_trial_count = 12;
  e.spec.parallel_trial_count = 3;
  return e;
}

inline core::Trial MakeTrial(const std::string& ns, const std::string& experiment,
                             const std::string& name) {
  core::Trial t;
  t.metadata.namespace_ = ns;
  t.metadata.name = name;
  t.metadata.labels[core::kExperimentLabel] = experiment;
  t.spec.objective.type = "maximize";
  t.spec.objective.objective_metric_name = "accuracy";
  t.spec.parameter_assignments = {{"lr", "0.02"}};
  t.spec.run_spec = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  return t;
}

inline core::MetricLog Log(std::string time, std::string name, std::string value) {
  return core::MetricLog{std::move(time), std::move(name), std::move(value)};
}

inline std::vector<std::string> Names(const std::vector<core::Trial>& trials) {
  std::vector<std::string> names;
  for (const auto& t : trials) names.push_back(t.metadata.name);
  return names;
}

inline std::vector<std::string> Render(const std::vector<core::MetricLog>& logs) {
  std::vector<std::string> out;
  for (const auto& l : logs) out.push_back(absl::StrCat(l.time_stamp, " ", l.name, "=", l.value));
  return out;
}

}  // namespace ktune::db::conformance
