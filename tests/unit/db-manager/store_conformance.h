#pragma once
// The combined Store conformance suite: what db-manager/store.h adds to the two interfaces it
// joins (DeleteExperiment also deletes the trials' observation logs; trials and their logs
// together). Backends that implement `Store` run it besides the ExperimentStore and
// ObservationStore suites; store_conformance_test.cc defines its tests and instantiates all
// three over SQLite and the decorators.

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "db-manager/store.h"
#include "gtest/gtest.h"
#include "tests/unit/db-manager/experiment_store_conformance.h"
#include "tests/unit/db-manager/observation_store_conformance.h"

namespace ktune::db::conformance {

using StoreFactory = std::function<std::unique_ptr<Store>(const std::filesystem::path& dir)>;

struct StoreBackend {
  std::string name;  // suffix of the test names: letters, digits and underscores
  StoreFactory open;
};

inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    store_ = Open();
    ASSERT_NE(store_, nullptr) << "backend " << GetParam().name << " opened no store";
  }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<Store> Open() { return GetParam().open(dir_.path()); }

  ScratchDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace ktune::db::conformance
