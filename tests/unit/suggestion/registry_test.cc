#include "suggestion/registry.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::suggestion {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const std::string kPluginDir = KTUNE_PLUGIN_DIR;
const std::string kTestPluginDir = KTUNE_TEST_PLUGIN_DIR;
const std::string kBadPluginDir = KTUNE_BAD_PLUGIN_DIR;
const std::string kDupPluginDir = KTUNE_DUP_PLUGIN_DIR;
// The algorithms ktune builds (KTUNE_ALGORITHM_PLUGINS), as Names() sorts them.
const std::vector<std::string> kBuiltIn = {
    "bayesianoptimization", "grid", "multivariate-tpe", "random", "sobol", "tpe"};

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// A fresh empty directory under the test's temp dir.
fs::path TempDir(const std::string& name) {
  fs::path dir =
      fs::path(::testing::TempDir()) /
      (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(AlgorithmRegistryTest, LoadsTheBuiltPlugins) {
  AlgorithmRegistry registry;
  ASSERT_TRUE(registry.LoadSearchPath({kPluginDir}).ok());
  EXPECT_THAT(registry.Names(), ElementsAreArray(kBuiltIn));
  absl::StatusOr<const AlgorithmPlugin*> random = registry.Find("random");
  ASSERT_TRUE(random.ok()) << random.status();
  EXPECT_EQ((*random)->name(), "random");
  EXPECT_EQ((*random)->origin(), kPluginDir + "/libktune_random.so");
  EXPECT_EQ((*random)->abi_version(), KTUNE_ALGORITHM_ABI_VERSION);
  EXPECT_THAT(registry.load_errors(), IsEmpty());
}

TEST(AlgorithmRegistryTest, UnknownNameListsTheAvailableAlgorithms) {
  AlgorithmRegistry registry;
  ASSERT_TRUE(registry.LoadSearchPath({kPluginDir}).ok());
  absl::StatusOr<const AlgorithmPlugin*> found = registry.Find("foo");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Message(found.status()),
      R"(unknown algorithm "foo"; available algorithms: bayesianoptimization, grid, multivariate-tpe, random, sobol, tpe)");
  EXPECT_EQ(Message(AlgorithmRegistry().Find("random").status()),
            R"(unknown algorithm "random"; available algorithms: none)");
}

TEST(AlgorithmRegistryTest, RejectsAnotherAbiMajorVersionNamingTheFile) {
  AlgorithmRegistry registry;
  const std::string path = kBadPluginDir + "/libktune_test_bad_abi.so";
  absl::Status s = registry.LoadFile(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(s), path +
                            ": algorithm plugin ABI version 2.0 is not supported; this ktune "
                            "supports 1.x");
  EXPECT_FALSE(registry.Find("bad-abi").ok());
  EXPECT_THAT(registry.Names(), IsEmpty());
}

TEST(AlgorithmRegistryTest, RejectsAShortTableNamingTheFile) {
  AlgorithmRegistry registry;
  const std::string path = kBadPluginDir + "/libktune_test_short_table.so";
  absl::Status s = registry.LoadFile(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), AllOf(StartsWith(path + ": "), HasSubstr("too short (8 bytes")));
  EXPECT_THAT(registry.Names(), IsEmpty());
}

TEST(AlgorithmRegistryTest, BadFilesDoNotStopTheGoodOnes) {
  AlgorithmRegistry registry;
  absl::Status s = registry.LoadSearchPath({kBadPluginDir, kPluginDir});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), AllOf(StartsWith("2 algorithm plugin file(s) failed to load: "),
                                HasSubstr("libktune_test_bad_abi.so"),
                                HasSubstr("libktune_test_short_table.so")));
  EXPECT_THAT(registry.Names(), ElementsAreArray(kBuiltIn));
  EXPECT_EQ(registry.load_errors().size(), 2u);
  // Someone looking for the broken algorithm learns why it is missing.
  EXPECT_THAT(
      Message(registry.Find("bad-abi").status()),
      AllOf(
          StartsWith(
              R"(unknown algorithm "bad-abi"; available algorithms: bayesianoptimization, grid, multivariate-tpe, random, sobol, tpe; )"
              "plugins that failed to load: "),
          HasSubstr("ABI version 2.0")));
}

TEST(AlgorithmRegistryTest, DuplicateNamesAreRejectedNamingBothFiles) {
  AlgorithmRegistry registry;
  absl::Status s = registry.LoadSearchPath({kPluginDir, kDupPluginDir});
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(s), HasSubstr(R"(algorithm "random" from )" + kDupPluginDir +
                                    "/libktune_test_dup_random.so is already provided by " +
                                    kPluginDir + "/libktune_random.so"));
  EXPECT_EQ((*registry.Find("random"))->origin(), kPluginDir + "/libktune_random.so");
}

TEST(AlgorithmRegistryTest, EarlierDirectoryWinsForTheSameFileName) {
  fs::path override_dir = TempDir("override");
  fs::copy_file(kPluginDir + "/libktune_grid.so", override_dir / "libktune_grid.so");
  AlgorithmRegistry registry;
  absl::Status s = registry.LoadSearchPath({override_dir.string(), kPluginDir});
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ((*registry.Find("grid"))->origin(), (override_dir / "libktune_grid.so").string());
  EXPECT_EQ((*registry.Find("random"))->origin(), kPluginDir + "/libktune_random.so");
}

TEST(AlgorithmRegistryTest, OnlyLibktuneSharedObjectsAreConsidered) {
  fs::path dir = TempDir("others");
  for (const char* name : {"README", "libother.so", "libktune_old.so.bak", "ktune_x.so"}) {
    std::ofstream(dir / name) << "not a plugin";
  }
  AlgorithmRegistry registry;
  EXPECT_TRUE(registry.LoadSearchPath({dir.string(), "/nonexistent/ktune/plugins"}).ok());
  EXPECT_THAT(registry.Names(), IsEmpty());
}

TEST(AlgorithmRegistryTest, AFileThatIsNotALibraryIsReported) {
  fs::path dir = TempDir("junk");
  std::ofstream(dir / "libktune_junk.so") << "not a shared library";
  AlgorithmRegistry registry;
  absl::Status s = registry.LoadSearchPath({dir.string()});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s),
              HasSubstr("cannot load algorithm plugin " + (dir / "libktune_junk.so").string()));
}

TEST(AlgorithmRegistryTest, LoadingTheSameFileTwiceIsHarmless) {
  AlgorithmRegistry registry;
  ASSERT_TRUE(registry.LoadFile(kPluginDir + "/libktune_grid.so").ok());
  EXPECT_TRUE(registry.LoadFile(kPluginDir + "/libktune_grid.so").ok());
  EXPECT_TRUE(registry.LoadSearchPath({kPluginDir, kPluginDir}).ok());
  EXPECT_THAT(registry.Names(), ElementsAreArray(kBuiltIn));
}

TEST(AlgorithmRegistryTest, DefaultSearchPathPutsTheEnvironmentFirst) {
  ASSERT_EQ(setenv("KTUNE_PLUGIN_PATH", "/opt/a::/opt/b", 1), 0);
  std::vector<std::string> path = AlgorithmRegistry::DefaultSearchPath();
  unsetenv("KTUNE_PLUGIN_PATH");
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], "/opt/a");
  EXPECT_EQ(path[1], "/opt/b");
  // This test binary sits in <build>/bin, so the install location is the build's plugin dir.
  EXPECT_EQ(fs::weakly_canonical(path[2]), fs::weakly_canonical(kPluginDir));
  EXPECT_EQ(path[3], kPluginDir);

  std::unique_ptr<AlgorithmRegistry> registry = AlgorithmRegistry::CreateDefault();
  EXPECT_THAT(registry->Names(), ElementsAreArray(kBuiltIn));
}

TEST(AlgorithmRegistryTest, PluginPathEnvironmentAddsAlgorithms) {
  ASSERT_EQ(setenv("KTUNE_PLUGIN_PATH", kTestPluginDir.c_str(), 1), 0);
  std::unique_ptr<AlgorithmRegistry> registry = AlgorithmRegistry::CreateDefault();
  unsetenv("KTUNE_PLUGIN_PATH");
  EXPECT_THAT(registry->Names(),
              ElementsAre("bayesianoptimization", "grid", "multivariate-tpe", "random", "sobol",
                          "test-abi10", "test-recorder", "tpe"));
}

// ---- tables registered from inside the process ---------------------------------------------

ktune_status_code FakeValidate(const char*, size_t, ktune_bytes_sink error, void* context) {
  error(context, "always wrong", 12);
  return KTUNE_STATUS_INVALID_ARGUMENT;
}
int fake_instance_storage = 0;
ktune_status_code FakeCreate(const char*, size_t, ktune_algorithm_instance** instance,
                             ktune_bytes_sink, void*) {
  *instance = reinterpret_cast<ktune_algorithm_instance*>(&fake_instance_storage);
  return KTUNE_STATUS_OK;
}
void FakeDestroy(ktune_algorithm_instance*) {}
ktune_status_code FakeGetSuggestions(ktune_algorithm_instance*, const char*, size_t,
                                     ktune_bytes_sink reply, ktune_bytes_sink, void* context) {
  api::v1::beta1::GetSuggestionsReply r;
  r.add_parameter_assignments()->set_trial_name("from-fake");
  std::string bytes = r.SerializeAsString();
  reply(context, bytes.data(), bytes.size());
  return KTUNE_STATUS_OK;
}
ktune_status_code FakeFailingGetSuggestions(ktune_algorithm_instance*, const char*, size_t,
                                            ktune_bytes_sink, ktune_bytes_sink, void*) {
  return 99;  // not a canonical code, and no message
}

ktune_algorithm_v1 FakeTable(const char* name) {
  ktune_algorithm_v1 table{};  // the ABI 1.1 entries stay NULL: the 1.0 ones are used
  table.struct_size = sizeof(ktune_algorithm_v1);
  table.abi_version = KTUNE_ALGORITHM_ABI_VERSION;
  table.name = name;
  table.validate_settings = &FakeValidate;
  table.create = &FakeCreate;
  table.destroy = &FakeDestroy;
  table.get_suggestions = &FakeGetSuggestions;
  return table;
}

TEST(AlgorithmRegistryTest, RegistersInProcessTablesExplicitly) {
  static const ktune_algorithm_v1 table = FakeTable("fake");
  AlgorithmRegistry registry;
  ASSERT_TRUE(registry.Register(&table, "built-in fake").ok());
  const AlgorithmPlugin* fake = *registry.Find("fake");
  EXPECT_EQ(fake->origin(), "built-in fake");

  absl::Status invalid = fake->ValidateSettings(api::v1::beta1::Experiment());
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(invalid), "fake: always wrong");

  auto instance = fake->Create(api::v1::beta1::Experiment());
  ASSERT_TRUE(instance.ok()) << instance.status();
  auto reply = (*instance)->GetSuggestions(api::v1::beta1::GetSuggestionsRequest());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->parameter_assignments(0).trial_name(), "from-fake");
}

TEST(AlgorithmRegistryTest, OddErrorCodesBecomeUnknown) {
  static ktune_algorithm_v1 table = [] {
    ktune_algorithm_v1 t = FakeTable("odd");
    t.get_suggestions = &FakeFailingGetSuggestions;
    return t;
  }();
  AlgorithmRegistry registry;
  ASSERT_TRUE(registry.Register(&table, "odd").ok());
  auto instance = (*registry.Find("odd"))->Create(api::v1::beta1::Experiment());
  ASSERT_TRUE(instance.ok());
  absl::Status s = (*instance)->GetSuggestions(api::v1::beta1::GetSuggestionsRequest()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(Message(s), "odd: failed with status code 99 and no message");
}

TEST(AlgorithmRegistryTest, RegisterChecksTablesLikeTheLoader) {
  static const ktune_algorithm_v1 future = [] {
    ktune_algorithm_v1 t = FakeTable("future");
    t.abi_version = (3u << 16) | 1u;
    return t;
  }();
  static const ktune_algorithm_v1 nameless = FakeTable("");
  static const ktune_algorithm_v1 grid = FakeTable("grid");
  AlgorithmRegistry registry;
  ASSERT_TRUE(registry.LoadSearchPath({kPluginDir}).ok());
  EXPECT_EQ(Message(registry.Register(&future, "future-table")),
            "future-table: algorithm plugin ABI version 3.1 is not supported; this ktune "
            "supports 1.x");
  EXPECT_EQ(Message(registry.Register(&nameless, "nameless")),
            "nameless: the algorithm table has no name");
  absl::Status dup = registry.Register(&grid, "another grid");
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Message(dup), R"(algorithm "grid" from another grid is already provided by )" +
                              kPluginDir + "/libktune_grid.so");
  EXPECT_EQ(Message(registry.Register(nullptr, "null")),
            "null: the algorithm entry point returned no table");
}

TEST(AlgorithmRegistryTest, ExceptionsInAPluginBecomeInternalErrors) {
  AlgorithmRegistry registry;
  ASSERT_TRUE(registry.LoadSearchPath({kTestPluginDir}).ok());
  api::v1::beta1::Experiment e;
  auto* setting = e.mutable_spec()->mutable_algorithm()->add_algorithm_settings();
  setting->set_name("throw");
  setting->set_value("yes");
  absl::Status s = (*registry.Find("test-recorder"))->ValidateSettings(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Message(s), "test-recorder: algorithm test-recorder threw an exception: boom");
}

}  // namespace
}  // namespace ktune::suggestion
