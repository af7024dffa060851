#pragma once
// The ObservationStore conformance suite: the contract of db-manager/observation_store.h as
// tests that every backend (SQLite today; MySQL, a remote DBManager later) and every decorator
// runs. The tests are in observation_store_conformance_test.cc; a backend instantiates
// ObservationStoreConformanceTest as experiment_store_conformance.h shows for its suite.

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/experiment.h"
#include "db-manager/observation_store.h"
#include "gtest/gtest.h"
#include "tests/unit/db-manager/experiment_store_conformance.h"

namespace ktune::db::conformance {

// As ExperimentStoreFactory: the same `dir` opens the same database, and both stores may be
// used at once (as two processes would).
using ObservationStoreFactory =
    std::function<std::unique_ptr<ObservationStore>(const std::filesystem::path& dir)>;

struct ObservationStoreBackend {
  std::string name;  // suffix of the test names: letters, digits and underscores
  ObservationStoreFactory open;
};

inline void PrintTo(const ObservationStoreBackend& backend, std::ostream* os) {
  *os << backend.name;
}

class ObservationStoreConformanceTest : public ::testing::TestWithParam<ObservationStoreBackend> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    store_ = Open();
    ASSERT_NE(store_, nullptr) << "backend " << GetParam().name << " opened no store";
  }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<ObservationStore> Open() { return GetParam().open(dir_.path()); }

  ScratchDir dir_;
  std::unique_ptr<ObservationStore> store_;
};

inline core::MetricLog Log(std::string time, std::string name, std::string value) {
  return core::MetricLog{std::move(time), std::move(name), std::move(value)};
}

inline std::vector<std::string> Render(const std::vector<core::MetricLog>& logs) {
  std::vector<std::string> out;
  for (const auto& l : logs) out.push_back(absl::StrCat(l.time_stamp, " ", l.name, "=", l.value));
  return out;
}

}  // namespace ktune::db::conformance
