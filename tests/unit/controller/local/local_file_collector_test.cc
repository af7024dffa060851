// The File collector of the local executor (REVIEW 1.1): each trial sees its own metrics file,
// at Katib's fixed default path too, also in parallel; the file is followed while the trial
// runs; without namespaces the file is truncated and such trials run one at a time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <optional>

#include "controller/local/local_executor.h"
#include "controller/local/spawn.h"
#include "core/defaults.h"
#include "local_executor_test_util.h"

namespace ktune::controller {
namespace {

using local::Isolation;
using ::testing::ElementsAre;
using testing::Fifo;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::MakeTempDir;
using testing::ReadAll;
using testing::RecordingSink;
using testing::ShellTrial;

core::Trial FileTrial(const std::string& name, const std::string& script,
                      std::vector<std::string> extra = {}, const std::string& path = "",
                      const std::string& format = "TEXT") {
  core::Trial t = ShellTrial(name, script, std::move(extra));
  t.spec.metrics_collector.kind = "File";
  t.spec.metrics_collector.file_system_path =
      core::FileSystemPath{path.empty() ? core::kDefaultFilePath : path, "File", format};
  return t;
}

bool Available(Isolation mode) {
  if (mode == Isolation::kNone) return true;
  if (mode == Isolation::kMountNamespace && geteuid() != 0) return false;
  return local::ProbeIsolation(mode) == 0;
}

std::string ModeName(const ::testing::TestParamInfo<std::optional<Isolation>>& info) {
  if (!info.param) return "Auto";
  switch (*info.param) {
    case Isolation::kNone:
      return "NoNamespaces";
    case Isolation::kMountNamespace:
      return "MountNamespace";
    case Isolation::kUserNamespace:
      return "UserNamespace";
  }
  return "Unknown";
}

class LocalFileCollectorTest : public ::testing::TestWithParam<std::optional<Isolation>> {
 protected:
  void SetUp() override {
    if (GetParam() && !Available(*GetParam())) {
      GTEST_SKIP() << local::IsolationName(*GetParam()) << " is not available here";
    }
    if (!GetParam() && getenv("KTUNE_TEST_EXPECT_ISOLATION") != nullptr) {
      ASSERT_NE(local::DetectIsolation(), Isolation::kNone);
    }
    dir_ = MakeTempDir("ktune-file");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LocalExecutorOptions Options() {
    LocalExecutorOptions options{.work_dir = dir_, .log_dir = dir_ / "logs"};
    options.isolation = GetParam();
    return options;
  }
  bool Isolated() { return GetParam().value_or(local::DetectIsolation()) != Isolation::kNone; }
  // Katib's default path where each trial gets its own view of it; without namespaces a file
  // of this test (the host's /var/log/katib is not written by tests).
  std::string MetricsPath() {
    return Isolated() ? std::string(core::kDefaultFilePath) : (dir_ / "katib/metrics.log").string();
  }

  TrialExit RunToExit(LocalExecutor& executor, const core::Trial& trial) {
    std::promise<TrialExit> done;
    absl::Status st = executor.Start(trial, [&](const TrialExit& e) { done.set_value(e); });
    EXPECT_TRUE(st.ok()) << st;
    if (!st.ok()) return {};
    return done.get_future().get();
  }

  std::filesystem::path dir_;
  RecordingSink sink_;
};

// The REVIEW's repro: a grid over x in {5, 1, 9}, each trial appending `loss=x` to the same
// path. On 235b15d the third trial was credited with min 1 (the first trials' lines).
TEST_P(LocalFileCollectorTest, Finding1_1_EachTrialSeesOnlyItsOwnFile) {
  LocalExecutor executor(Options(), sink_);
  EXPECT_EQ(executor.IsolatesMetricsFiles(), Isolated());
  for (const std::string x : {"5", "1", "9"}) {
    core::Trial t = FileTrial("t" + x, "mkdir -p $(dirname $1); echo loss=$0 >> $1",
                              {x, MetricsPath()}, MetricsPath());
    ASSERT_EQ(RunToExit(executor, t).kind, TrialExit::Kind::kSucceeded);
  }
  EXPECT_THAT(sink_.of("t5"), ElementsAre("loss=5"));
  EXPECT_THAT(sink_.of("t1"), ElementsAre("loss=1"));
  EXPECT_THAT(sink_.of("t9"), ElementsAre("loss=9"));
  if (Isolated()) {
    EXPECT_EQ(ReadAll(executor.MetricsPath(TrialRef{"default", "exp", "t9"}, MetricsPath())),
              "loss=9\n");
  }
}

// A trial that exits 0 without writing its file is judged by nothing, not by the previous
// trial's file.
TEST_P(LocalFileCollectorTest, Finding1_1_TrialThatWroteNothingGetsNothing) {
  LocalExecutor executor(Options(), sink_);
  ASSERT_EQ(RunToExit(executor, FileTrial("first", "mkdir -p $(dirname $0); echo loss=3 >> $0",
                                          {MetricsPath()}, MetricsPath()))
                .kind,
            TrialExit::Kind::kSucceeded);
  ASSERT_EQ(RunToExit(executor, FileTrial("second", "true", {}, MetricsPath())).kind,
            TrialExit::Kind::kSucceeded);
  EXPECT_THAT(sink_.of("first"), ElementsAre("loss=3"));
  // Judged by nothing: Katib's unavailable log, not the first trial's value.
  EXPECT_THAT(sink_.of("second"), ElementsAre("loss=unavailable"));
}

// Parallel trials at the same configured path each get their own values, and the values
// reach the sink while the trials still run (they wait for the test to let them end).
TEST_P(LocalFileCollectorTest, Finding1_1_ParallelTrialsGetTheirOwnValuesWhileRunning) {
  if (!Isolated()) GTEST_SKIP() << "without namespaces such trials run one at a time";
  LocalExecutor executor(Options(), sink_);
  const std::vector<std::string> xs = {"5", "1", "9"};
  std::vector<std::unique_ptr<Fifo>> go;
  std::promise<void> done[3];
  for (size_t i = 0; i < xs.size(); ++i) {
    go.push_back(std::make_unique<Fifo>(dir_ / ("go" + xs[i])));
    core::Trial t = FileTrial("t" + xs[i], "echo loss=$0 >> $1; echo acc=0.$0 >> $1; read x < go$0",
                              {xs[i], core::kDefaultFilePath}, core::kDefaultFilePath);
    ASSERT_TRUE(executor
                    .Start(t,
                           [&, i](const TrialExit& e) {
                             EXPECT_EQ(e.kind, TrialExit::Kind::kSucceeded);
                             done[i].set_value();
                           })
                    .ok());
  }
  ASSERT_TRUE(sink_.WaitForSamples(6)) << "metrics were not followed while the trials ran";
  EXPECT_EQ(executor.Running(), 3);
  for (auto& fifo : go) fifo->Write("\n");
  for (auto& d : done) d.get_future().wait();
  EXPECT_THAT(sink_.of("t5"), ElementsAre("loss=5", "acc=0.5"));
  EXPECT_THAT(sink_.of("t1"), ElementsAre("loss=1", "acc=0.1"));
  EXPECT_THAT(sink_.of("t9"), ElementsAre("loss=9", "acc=0.9"));
}

TEST_P(LocalFileCollectorTest, Finding1_1_JsonFileIsFollowedWhileTheTrialRuns) {
  LocalExecutor executor(Options(), sink_);
  Fifo go(dir_ / "go");
  const std::string path = MetricsPath();
  core::Trial t = FileTrial("t",
                            "mkdir -p $(dirname $0);"
                            " echo '{\"loss\": \"0.5\", \"timestamp\": 1700000000.25}' >> $0;"
                            " read x < go; printf '{\"loss\": 0.25, \"acc\": \"0.9\"}' >> $0",
                            {path}, path, "JSON");
  std::promise<TrialExit> done;
  ASSERT_TRUE(executor.Start(t, [&](const TrialExit& e) { done.set_value(e); }).ok());
  ASSERT_TRUE(sink_.WaitForSamples(1));
  EXPECT_EQ(sink_.logs()[0].time_stamp, "2023-11-14T22:13:20.250000Z");
  go.Write("\n");
  EXPECT_EQ(done.get_future().get().kind, TrialExit::Kind::kSucceeded);
  // The last line has no newline: parsed at the end.
  EXPECT_THAT(sink_.of("t"), ElementsAre("loss=0.5", "loss=0.25", "acc=0.9"));
}

INSTANTIATE_TEST_SUITE_P(LocalModes, LocalFileCollectorTest,
                         ::testing::Values(std::nullopt, Isolation::kNone,
                                           Isolation::kMountNamespace, Isolation::kUserNamespace),
                         ModeName);

class LocalFileCollectorRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("ktune-file"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  RecordingSink sink_;
};

TEST_F(LocalFileCollectorRulesTest, WithoutNamespacesTrialsOnOnePathRunOneAtATime) {
  LocalExecutor executor(
      {.work_dir = dir_, .log_dir = dir_ / "logs", .isolation = Isolation::kNone}, sink_);
  EXPECT_FALSE(executor.IsolatesMetricsFiles());
  Fifo go(dir_ / "go");
  const std::string path = (dir_ / "m/metrics.log").string();
  std::promise<void> done;
  ASSERT_TRUE(executor
                  .Start(FileTrial("a", "read x < go", {}, path),
                         [&](const TrialExit&) { done.set_value(); })
                  .ok());
  absl::Status st = executor.Start(FileTrial("b", "true", {}, path), [](const TrialExit&) {
    ADD_FAILURE() << "no exit for a trial that never started";
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("one at a time"));
  std::promise<void> other;
  EXPECT_TRUE(executor
                  .Start(FileTrial("c", "true", {}, (dir_ / "other.log").string()),
                         [&](const TrialExit&) { other.set_value(); })
                  .ok());
  other.get_future().wait();
  go.Write("\n");
  done.get_future().wait();
  std::promise<void> after;
  EXPECT_TRUE(
      executor.Start(FileTrial("b", "true", {}, path), [&](const TrialExit&) { after.set_value(); })
          .ok());
  after.get_future().wait();
}

TEST_F(LocalFileCollectorRulesTest, RefusesAMetricsDirectoryThatHoldsTheWorkingDirectory) {
  LocalExecutor executor(
      {.work_dir = dir_, .log_dir = dir_ / "logs", .isolation = Isolation::kMountNamespace}, sink_);
  for (const std::string& path :
       {std::string("metrics.log"), (dir_ / "metrics.log").string(), std::string("/metrics.log")}) {
    absl::Status st = executor.Start(FileTrial("t", "true", {}, path), [](const TrialExit&) {
      ADD_FAILURE() << "no exit for a trial that never started";
    });
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(st.message(), HasSubstr("put the metrics file in a directory of its own")) << path;
  }
}

// A metrics directory the user cannot create on the host is made inside the trial's
// namespace (a tmpfs over the nearest existing ancestor, its entries kept visible); the host
// is not changed. Run as `nobody` by UnprivilegedUserGetsIsolationToo.
TEST_F(LocalFileCollectorRulesTest, MissingDirectoryIsMadeInsideTheNamespace) {
  if (local::DetectIsolation() == Isolation::kNone) GTEST_SKIP() << "no namespaces here";
  const char* env = getenv("KTUNE_TEST_UNWRITABLE_DIR");
  const std::filesystem::path parent = env != nullptr ? env : dir_ / "parent";
  if (env == nullptr) {
    std::filesystem::create_directories(parent);
    std::ofstream(parent / "keep.txt") << "kept\n";
  }
  const std::string path = (parent / "missing/deeper/metrics.log").string();
  LocalExecutor executor({.work_dir = dir_, .log_dir = dir_ / "logs"}, sink_);
  std::promise<TrialExit> done;
  ASSERT_TRUE(executor
                  .Start(FileTrial("t", "cat $1/keep.txt; echo loss=7 >> $0",
                                   {path, parent.string()}, path),
                         [&](const TrialExit& e) { done.set_value(e); })
                  .ok());
  EXPECT_EQ(done.get_future().get().kind, TrialExit::Kind::kSucceeded);
  EXPECT_THAT(sink_.of("t"), ElementsAre("loss=7"));
  EXPECT_EQ(ReadAll(executor.LogPath(TrialRef{"default", "exp", "t"})), "kept\n");
  if (env != nullptr) {
    EXPECT_FALSE(std::filesystem::exists(parent / "missing"));
  }
}

// The user-namespace path as it runs for a user who is not root: this binary again, as
// `nobody`, with auto-detected isolation.
TEST_F(LocalFileCollectorRulesTest, UnprivilegedUserGetsIsolationToo) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to nobody (this run is unprivileged)";
  if (getenv("KTUNE_TEST_EXPECT_ISOLATION") != nullptr) GTEST_SKIP() << "helper run";
  if (system("setpriv --reuid=65534 --regid=65534 --clear-groups "
             "unshare --user --mount true 2>/dev/null") != 0) {
    GTEST_SKIP() << "no unprivileged user namespaces here";
  }
  std::ofstream(dir_ / "keep.txt") << "kept\n";
  std::filesystem::permissions(
      dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                std::filesystem::perms::others_exec);
  const std::filesystem::path output = dir_ / "nobody.out";
  int status = testing::RunSelf(
      "LocalModes/LocalFileCollectorTest.*/Auto:LocalFileCollectorRulesTest."
      "MissingDirectoryIsMadeInsideTheNamespace",
      {"KTUNE_TEST_EXPECT_ISOLATION=1", "KTUNE_TEST_UNWRITABLE_DIR=" + dir_.string()},
      /*as_nobody=*/true, output);
  std::string out = ReadAll(output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_THAT(out, HasSubstr("[  PASSED  ] 5 tests.")) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("SKIPPED"))) << out;
}

TEST(LocalIsolationTest, ChoosesTheFirstModeThatWorks) {
  std::vector<Isolation> probed;
  auto probe_with = [&](int mount_result, int user_result) {
    return [&probed, mount_result, user_result](Isolation mode) {
      probed.push_back(mode);
      return mode == Isolation::kMountNamespace ? mount_result : user_result;
    };
  };
  EXPECT_EQ(local::ChooseIsolation(true, probe_with(0, 0)), Isolation::kMountNamespace);
  EXPECT_THAT(probed, ElementsAre(Isolation::kMountNamespace));
  probed.clear();
  // Root without CAP_SYS_ADMIN (a container) may still have user namespaces.
  EXPECT_EQ(local::ChooseIsolation(true, probe_with(EPERM, 0)), Isolation::kUserNamespace);
  EXPECT_THAT(probed, ElementsAre(Isolation::kMountNamespace, Isolation::kUserNamespace));
  probed.clear();
  // Not root: a plain mount namespace is never possible, so it is not tried.
  EXPECT_EQ(local::ChooseIsolation(false, probe_with(0, 0)), Isolation::kUserNamespace);
  EXPECT_THAT(probed, ElementsAre(Isolation::kUserNamespace));
  probed.clear();
  EXPECT_EQ(local::ChooseIsolation(false, probe_with(0, ENOSYS)), Isolation::kNone);
  EXPECT_EQ(local::ChooseIsolation(true, probe_with(EPERM, EINVAL)), Isolation::kNone);
}

TEST(LocalIsolationTest, DetectionMatchesWhatTheProbesSay) {
  Isolation detected = local::DetectIsolation();
  EXPECT_EQ(detected, local::ChooseIsolation(geteuid() == 0, local::ProbeIsolation));
  EXPECT_EQ(local::DetectIsolation(), detected);  // cached
}

}  // namespace
}  // namespace ktune::controller
