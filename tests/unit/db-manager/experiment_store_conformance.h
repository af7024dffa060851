#pragma once
// The ExperimentStore conformance suite: the contract of db-manager/experiment_store.h as tests
// that every backend (SQLite today; MySQL, PostgreSQL, the Kubernetes API server later) and
// every decorator runs.
//
// The tests are in experiment_store_conformance_test.cc, defined once per test binary. A
// backend runs them by instantiating the suite with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(
//       Mysql, ExperimentStoreConformanceTest,
//       ::testing::Values(ExperimentStoreBackend{"Mysql", [](const std::filesystem::path& dir) {
//         return OpenMysqlForTest(dir);  // a fresh database, named after `dir`
//       }}),
//       BackendName<ExperimentStoreBackend>);
//
// A test binary outside tests/unit/db-manager adds experiment_store_conformance_test.cc to its
// sources. Backend-specific behaviour (file layout, schema migration, lock timeouts) stays in
// the backend's own suite.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "core/experiment.h"
#include "db-manager/experiment_store.h"
#include "gtest/gtest.h"

namespace ktune::db::conformance {

// Opens a store for one test. `dir` is an empty directory private to the test, removed after
// it. Called again with the same `dir`, the factory must open the same database: the new store
// sees what the first one wrote (a restart). Returning null fails the test; say why on stderr
// or with ADD_FAILURE.
using ExperimentStoreFactory =
    std::function<std::unique_ptr<ExperimentStore>(const std::filesystem::path& dir)>;
// The same with the change window (experiment_store.h) bounded to `changes`; null when the
// backend's window cannot be set (its window tests are then skipped).
using WindowedExperimentStoreFactory = std::function<std::unique_ptr<ExperimentStore>(
    const std::filesystem::path& dir, int64_t changes)>;

struct ExperimentStoreBackend {
  std::string name;  // suffix of the test names: letters, digits and underscores
  ExperimentStoreFactory open;
  WindowedExperimentStoreFactory open_with_window;
};

template <typename Backend>
std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

inline void PrintTo(const ExperimentStoreBackend& backend, std::ostream* os) {
  *os << backend.name;
}

// A directory private to one test, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "ktune-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    } else {
      path_ = pattern;
    }
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ExperimentStoreConformanceTest : public ::testing::TestWithParam<ExperimentStoreBackend> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    store_ = Open();
    ASSERT_NE(store_, nullptr) << "backend " << GetParam().name << " opened no store";
  }
  void TearDown() override { store_.reset(); }

  // Another store on this test's database.
  std::unique_ptr<ExperimentStore> Open() { return GetParam().open(dir_.path()); }

  ScratchDir dir_;
  std::unique_ptr<ExperimentStore> store_;
};

// ---- fixtures shared by the conformance suites and the backends' own suites ----------------

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

inline std::vector<std::string> Names(const std::vector<core::Trial>& trials) {
  std::vector<std::string> names;
  for (const auto& t : trials) names.push_back(t.metadata.name);
  return names;
}

inline ListOptions Options(std::string ns, int64_t limit = 0, std::string continue_token = "") {
  ListOptions options;
  options.ns = std::move(ns);
  options.limit = limit;
  options.continue_token = std::move(continue_token);
  return options;
}

// The object's resource_version as a number; -1 when it is not a decimal revision.
inline int64_t Rv(const core::ObjectMeta& meta) {
  int64_t revision = -1;
  if (!absl::SimpleAtoi(meta.resource_version, &revision)) return -1;
  return revision;
}

}  // namespace ktune::db::conformance
