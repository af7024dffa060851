#include "controller/local/local_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <future>
#include <thread>

#include "local_executor_test_util.h"

namespace ktune::controller {
namespace {

// The ref of a trial made by MakeTrial / ShellTrial.
TrialRef Ref(const std::string& name) { return TrialRef{"default", "exp", name}; }

using ::testing::ElementsAre;
using testing::Fifo;
using ::testing::HasSubstr;
using testing::In;
using testing::JobWith;
using testing::MakeTempDir;
using testing::MakeTrial;
using ::testing::Not;
using testing::PidfdExited;
using testing::PidfdKill;
using testing::PidfdOpen;
using testing::ReadAll;
using testing::RecordingSink;
using testing::ShellTrial;

class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("ktune-exec"); }
  void TearDown() override {
    for (int fd : pidfds_) {
      PidfdKill(fd);
      close(fd);
    }
    std::filesystem::remove_all(dir_);
  }

  LocalExecutorOptions Options() { return {.work_dir = dir_, .log_dir = dir_ / "logs"}; }

  TrialExit RunToExit(LocalExecutor& executor, const core::Trial& trial) {
    std::promise<TrialExit> done;
    absl::Status st = executor.Start(trial, [&](const TrialExit& e) { done.set_value(e); });
    EXPECT_TRUE(st.ok()) << st;
    if (!st.ok()) return {};
    return done.get_future().get();
  }

  // A pidfd for the process whose pid a trial writes to `fifo`; killed at teardown.
  int TrackPid(const Fifo& fifo) {
    std::string pid = fifo.ReadLine();
    int fd = PidfdOpen(std::stoi(pid));
    EXPECT_GE(fd, 0) << "pid " << pid;
    pidfds_.push_back(fd);
    return fd;
  }

  std::filesystem::path dir_;
  RecordingSink sink_;
  std::vector<int> pidfds_;
};

// ---- LocalCommandFor ------------------------------------------------------------------------

TEST_F(LocalExecutorTest, FindsThePrimaryContainerInAnyPodTemplate) {
  nlohmann::json tfjob = nlohmann::json::parse(R"({"kind": "TFJob", "spec": {"tfReplicaSpecs": {
      "Worker": {"template": {"spec": {"containers": [
        {"name": "sidecar", "command": ["x"]},
        {"name": "tensorflow", "command": ["python3", "train.py"], "args": ["--lr", "0.1"],
         "workingDir": "sub", "env": [{"name": "A", "value": "1"}, {"name": "N", "value": 5}]}]}}}}}})");
  absl::StatusOr<LocalCommand> cmd = LocalCommandFor(MakeTrial("t", tfjob, "tensorflow"));
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->argv, (std::vector<std::string>{"python3", "train.py", "--lr", "0.1"}));
  EXPECT_EQ(cmd->working_dir, "sub");
  EXPECT_THAT(cmd->env, ::testing::Contains(std::make_pair(std::string("A"), std::string("1"))));
  EXPECT_THAT(cmd->env, ::testing::Contains(std::make_pair(std::string("N"), std::string("5"))));
  EXPECT_THAT(cmd->env, ::testing::Contains(
                            std::make_pair(std::string("KATIB_TRIAL_NAME"), std::string("t"))));
}

TEST_F(LocalExecutorTest, ExplainsAWrongPrimaryContainerName) {
  absl::StatusOr<LocalCommand> cmd = LocalCommandFor(
      MakeTrial("t", JobWith({{"name", "training"}, {"command", {"x"}}}), "training-container"));
  ASSERT_FALSE(cmd.ok());
  EXPECT_THAT(cmd.status().message(), HasSubstr("\"training-container\""));
  EXPECT_THAT(cmd.status().message(), HasSubstr("[training]"));
  cmd = LocalCommandFor(MakeTrial("t", JobWith({{"name", "main"}, {"image", "x"}})));
  ASSERT_FALSE(cmd.ok());
  EXPECT_THAT(cmd.status().message(), HasSubstr("has no command"));
}

// REVIEW 1.2: wrong shapes in a non-Job template aborted `ktune run` (nlohmann threw). Each is
// now InvalidArgument naming the field's path.
TEST_F(LocalExecutorTest, Finding1_2_WrongShapesAreInvalidArgumentNamingTheField) {
  const std::string prefix = "spec.tfReplicaSpecs.Worker.template.spec.containers[0]";
  struct Case {
    const char* container;  // JSON of the TFJob's container
    std::string path;       // expected at the start of the message
  } cases[] = {
      {R"({"name": 5, "command": ["x"]})", prefix + ".name: must be a string"},
      {R"({"name": "main", "command": "python3 train.py"})", prefix + ".command: must be a list"},
      {R"({"name": "main", "command": ["x", 1]})", prefix + ".command[1]: must be a string"},
      {R"({"name": "main", "command": ["x"], "args": ["--lr", 0.1]})",
       prefix + ".args[1]: must be a string"},
      {R"({"name": "main", "command": ["x"], "args": {"lr": 1}})",
       prefix + ".args: must be a list"},
      {R"({"name": "main", "command": ["x"], "workingDir": 5})",
       prefix + ".workingDir: must be a string"},
      {R"({"name": "main", "command": ["x"], "env": {"A": "1"}})", prefix + ".env: must be a list"},
      {R"({"name": "main", "command": ["x"], "env": ["A=1"]})",
       prefix + ".env[0]: must be an object"},
      {R"({"name": "main", "command": ["x"], "env": [{"name": 7, "value": "1"}]})",
       prefix + ".env[0].name: must be a string"},
      {R"({"name": "main", "command": ["x"], "env": [{"value": "1"}]})",
       prefix + ".env[0].name: is required"},
      {R"({"name": "main", "command": ["x"], "env": [{"name": "A", "value": {"x": 1}}]})",
       prefix + ".env[0].value: must be a string"},
      {R"({"name": "main", "command": ["x"], "env": [{"name": "A", "valueFrom": "metadata.name"}]})",
       prefix + ".env[0].valueFrom: must be an object"},
      {R"({"name": "main", "command": ["x"], "env": [{"name": "A", "valueFrom": {"fieldRef": 1}}]})",
       prefix + ".env[0].valueFrom.fieldRef: must be an object"},
      {R"({"name": "main", "command": ["x"], "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": 1}}}]})",
       prefix + ".env[0].valueFrom.fieldRef.fieldPath: must be a string"},
  };
  for (const Case& c : cases) {
    nlohmann::json tfjob = {
        {"kind", "TFJob"},
        {"metadata", "oops"},
        {"spec",
         {{"tfReplicaSpecs",
           {{"Worker",
             {{"template",
               {{"spec", {{"containers", {nlohmann::json::parse(c.container)}}}}}}}}}}}}};
    absl::StatusOr<LocalCommand> cmd = LocalCommandFor(MakeTrial("t", tfjob));
    ASSERT_FALSE(cmd.ok()) << c.container;
    EXPECT_EQ(cmd.status().code(), absl::StatusCode::kInvalidArgument) << c.container;
    EXPECT_THAT(std::string(cmd.status().message()), ::testing::StartsWith(c.path)) << c.container;
  }
  // A Start with such a template fails the same way, and nothing runs.
  LocalExecutor executor(Options(), sink_);
  absl::Status st = executor.Start(
      MakeTrial("t", JobWith({{"name", "main"}, {"command", {"true"}}, {"workingDir", 5}})),
      [](const TrialExit&) { ADD_FAILURE() << "no exit for a trial that never started"; });
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("spec.template.spec.containers[0].workingDir"));
}

// ---- running trials -------------------------------------------------------------------------

TEST_F(LocalExecutorTest, StreamsMetricsAndKeepsTheLog) {
  LocalExecutor executor(Options(), sink_);
  core::Trial t = ShellTrial("t1", "echo loss=0.5 acc=0.7; echo other=1 >&2; printf loss=0.25");
  TrialExit exit = RunToExit(executor, t);
  EXPECT_EQ(exit.kind, TrialExit::Kind::kSucceeded);
  std::vector<core::MetricLog> logs = sink_.logs();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].name, "loss");
  EXPECT_EQ(logs[0].value, "0.5");
  EXPECT_EQ(logs[1].name, "acc");
  EXPECT_EQ(logs[2].value, "0.25");  // a last line without newline counts too
  EXPECT_EQ(ReadAll(executor.LogPath(Ref("t1"))), "loss=0.5 acc=0.7\nother=1\nloss=0.25");
}

TEST_F(LocalExecutorTest, ReportsExitCodesSignalsAndStartErrors) {
  LocalExecutor executor(Options(), sink_);
  TrialExit exit = RunToExit(executor, ShellTrial("t2", "exit 7"));
  EXPECT_EQ(exit.kind, TrialExit::Kind::kFailed);
  EXPECT_THAT(exit.message, HasSubstr("exited with code 7"));
  exit = RunToExit(executor, ShellTrial("t3", "kill -SEGV $$"));
  EXPECT_EQ(exit.kind, TrialExit::Kind::kFailed);
  EXPECT_THAT(exit.message, HasSubstr("SIGSEGV"));
  absl::Status st = executor.Start(
      MakeTrial("t4", JobWith({{"name", "main"}, {"command", {"ktune-no-such-program"}}})),
      [](const TrialExit&) { ADD_FAILURE() << "no exit for a trial that never started"; });
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("\"ktune-no-such-program\" not found"));
  st = executor.Start(
      MakeTrial("t5",
                JobWith({{"name", "main"}, {"command", {"true"}}, {"workingDir", "missing"}})),
      [](const TrialExit&) { ADD_FAILURE() << "no exit for a trial that never started"; });
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("working directory"));
  EXPECT_THAT(st.message(), HasSubstr("does not exist"));
  EXPECT_EQ(executor.Running(), 0);
}

TEST_F(LocalExecutorTest, KillStopsTheWholeProcessGroup) {
  LocalExecutorOptions options = Options();
  options.kill_grace_ms = 500;
  LocalExecutor executor(options, sink_);
  Fifo pid_fifo(dir_ / "grandchild.fifo");
  // The trial starts a grandchild that ignores SIGTERM; Kill must still end everything.
  core::Trial t =
      ShellTrial("t5", "(trap '' TERM; exec sleep 60) & echo $! > grandchild.fifo; wait");
  std::promise<TrialExit> done;
  ASSERT_TRUE(executor.Start(t, [&](const TrialExit& e) { done.set_value(e); }).ok());
  int grandchild = TrackPid(pid_fifo);
  executor.Stop(Ref("t5"), StopReason::kKill);
  TrialExit exit = done.get_future().get();
  EXPECT_EQ(exit.kind, TrialExit::Kind::kKilled);
  // The group is killed before the exit is reported; the pidfd tells when the grandchild
  // ended (a zombie waiting for a reaper counts as ended).
  EXPECT_TRUE(PidfdExited(grandchild, 60000)) << "the grandchild survived";
  EXPECT_EQ(executor.Running(), 0);
}

TEST_F(LocalExecutorTest, EnvironmentAndWorkingDirectory) {
  std::filesystem::create_directories(dir_ / "sub");
  LocalExecutor executor(Options(), sink_);
  core::Trial t = MakeTrial(
      "t6", JobWith({{"name", "main"},
                     {"workingDir", "sub"},
                     {"env", {{{"name", "GREETING"}, {"value", "hi there"}}}},
                     {"command",
                      {"sh", "-c", "echo \"$GREETING|$KATIB_TRIAL_NAME|$(basename $PWD)\""}}}));
  EXPECT_EQ(RunToExit(executor, t).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(ReadAll(executor.LogPath(Ref("t6"))), "hi there|t6|sub\n");
}

TEST_F(LocalExecutorTest, ActiveDeadlineSecondsStopsTheTrialAndFailsIt) {
  // Katib's SDK sets trial_active_deadline_seconds as the Job's activeDeadlineSeconds.
  LocalExecutor executor(Options(), sink_);
  core::Trial t = ShellTrial("dl", "echo started; exec sleep 60");
  t.spec.run_spec["spec"]["activeDeadlineSeconds"] = 1;
  const auto start = std::chrono::steady_clock::now();
  TrialExit exit = RunToExit(executor, t);
  EXPECT_EQ(exit.kind, TrialExit::Kind::kFailed);
  EXPECT_EQ(exit.reason, "DeadlineExceeded");
  EXPECT_THAT(exit.message, ::testing::HasSubstr("activeDeadlineSeconds (1 s)"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(ReadAll(executor.LogPath(Ref("dl"))), "started\n");

  // A trial that ends first is not touched; a deadline that is not a positive integer is
  // refused with its path.
  core::Trial quick = ShellTrial("dl2", "echo loss=1");
  quick.spec.run_spec["spec"]["activeDeadlineSeconds"] = 600;
  EXPECT_EQ(RunToExit(executor, quick).kind, TrialExit::Kind::kSucceeded);
  core::Trial bad = ShellTrial("dl3", "true");
  bad.spec.run_spec["spec"]["activeDeadlineSeconds"] = "soon";
  absl::StatusOr<LocalCommand> cmd = LocalCommandFor(bad);
  ASSERT_FALSE(cmd.ok());
  EXPECT_THAT(cmd.status().message(), ::testing::HasSubstr("activeDeadlineSeconds"));
}

TEST_F(LocalExecutorTest, ServiceEnvAndNamespaceReachTrialsUnlessTheTemplateSetsThem) {
  // `ktune server` tells trials where its DBManager listens, for the SDK's report_metrics.
  LocalExecutor executor(Options(), sink_);
  executor.SetServiceEnv({{"KTUNE_DB_MANAGER_ADDRESS", "127.0.0.1:6789"}, {"MINE", "service"}});
  core::Trial t = MakeTrial(
      "t7",
      JobWith({{"name", "main"},
               {"env", {{{"name", "MINE"}, {"value", "template"}}}},
               {"command",
                {"sh", "-c", "echo \"$KTUNE_DB_MANAGER_ADDRESS|$MINE|$KTUNE_TRIAL_NAMESPACE\""}}}));
  t.metadata.namespace_ = "team-a";
  EXPECT_EQ(RunToExit(executor, t).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(ReadAll(executor.LogPath(Ref("t7"))), "127.0.0.1:6789|template|team-a\n");
}

// REVIEW §2 "Environment inheritance": a service must not hand its own credentials to user
// code; with an allow-list only the listed names (and the template's env) reach the trial.
TEST_F(LocalExecutorTest, Review2_EnvironmentAllowListKeepsSecretsFromTrials) {
  ASSERT_EQ(setenv("KTUNE_TEST_SECRET_DSN", "mysql://root:pw@db/katib", 1), 0);
  ASSERT_EQ(setenv("LC_KTUNE_TEST", "kept", 1), 0);
  LocalExecutorOptions options = Options();
  options.inherited_env = kServerInheritedEnv;
  LocalExecutor executor(options, sink_);
  core::Trial t = MakeTrial(
      "env1",
      JobWith({{"name", "main"},
               {"env", {{{"name", "MINE"}, {"value", "set"}}}},
               {"command",
                {"sh", "-c",
                 "echo \"[$KTUNE_TEST_SECRET_DSN|$LC_KTUNE_TEST|$MINE|${PATH:+path}]\""}}}));
  EXPECT_EQ(RunToExit(executor, t).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(ReadAll(executor.LogPath(Ref("env1"))), "[|kept|set|path]\n");
  // Without a list (ktune run) everything is inherited, as from a shell.
  LocalExecutor inheriting(Options(), sink_);
  core::Trial u = MakeTrial(
      "env2",
      JobWith({{"name", "main"}, {"command", {"sh", "-c", "echo \"[$KTUNE_TEST_SECRET_DSN]\""}}}));
  EXPECT_EQ(RunToExit(inheriting, u).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(ReadAll(inheriting.LogPath(Ref("env2"))), "[mysql://root:pw@db/katib]\n");
  unsetenv("KTUNE_TEST_SECRET_DSN");
  unsetenv("LC_KTUNE_TEST");
  EXPECT_TRUE(EnvNameAllowed("LC_ALL", {"LC_*"}));
  EXPECT_FALSE(EnvNameAllowed("LCX", {"LC_*"}));
  EXPECT_FALSE(EnvNameAllowed("PATHX", {"PATH"}));
}

TEST_F(LocalExecutorTest, TrialGetsACleanProcessState) {
  LocalExecutor executor(Options(), sink_);
  // stdin is /dev/null, the trial leads its own process group, and no signal is blocked or
  // ignored (ktune's signal thread blocks SIGINT/SIGTERM in its own threads).
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  core::Trial t =
      ShellTrial("t7",
                 "readlink /proc/self/fd/0; set -- $(cat /proc/$$/stat);"
                 " test \"$5\" = $$ && echo leader; grep -E '^SigBlk' /proc/self/status");
  EXPECT_EQ(RunToExit(executor, t).kind, TrialExit::Kind::kSucceeded);
  pthread_sigmask(SIG_UNBLOCK, &block, nullptr);
  std::string log = ReadAll(executor.LogPath(Ref("t7")));
  EXPECT_THAT(log, HasSubstr("/dev/null\n"));
  EXPECT_THAT(log, HasSubstr("leader\n"));
  EXPECT_THAT(log, HasSubstr("SigBlk:\t0000000000000000\n"));
}

// ---- REVIEW 1.3: descendants that left the group ------------------------------------------

TEST_F(LocalExecutorTest, Finding1_3_DescendantHoldingStdoutDoesNotHoldTheTrial) {
  LocalExecutor executor(Options(), sink_);
  Fifo gc_fifo(dir_ / "gc.fifo");
  Fifo go_fifo(dir_ / "go.fifo");
  // The setsid grandchild leaves the process group and keeps stdout open until killed; the
  // trial ends once the test knows the grandchild (which has left the group by then).
  core::Trial t = ShellTrial(
      "t", "setsid sh -c 'echo $$ > gc.fifo; exec sleep 1000' & read x < go.fifo; echo loss=1");
  std::promise<bool> grandchild_alive_at_exit;
  int grandchild = -1;
  std::promise<void> tracked;
  ASSERT_TRUE(executor
                  .Start(t,
                         [&](const TrialExit& e) {
                           EXPECT_EQ(e.kind, TrialExit::Kind::kSucceeded);
                           tracked.get_future().wait();
                           grandchild_alive_at_exit.set_value(!PidfdExited(grandchild));
                         })
                  .ok());
  grandchild = TrackPid(gc_fifo);
  tracked.set_value();
  go_fifo.Write("\n");
  auto alive = grandchild_alive_at_exit.get_future();
  if (alive.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    PidfdKill(grandchild);  // the old executor waits for the grandchild: let it finish
  }
  EXPECT_TRUE(alive.get()) << "the exit was reported only after the grandchild ended";
  EXPECT_THAT(sink_.of("t"), ElementsAre("loss=1"));
  // Teardown does not wait for the grandchild either.
  EXPECT_EQ(executor.Running(), 0);
}

// ---- REVIEW 1.7: kill and exit races ------------------------------------------------------

TEST_F(LocalExecutorTest, Finding1_7_KillAfterTheTrialEndedLeavesItSucceeded) {
  LocalExecutorOptions options = Options();
  options.post_exit_drain_ms = 600000;  // a grandchild holds stdout: the supervisor waits
  LocalExecutor executor(options, sink_);
  Fifo leader_fifo(dir_ / "leader.fifo");
  Fifo go_fifo(dir_ / "go.fifo");
  Fifo gc_fifo(dir_ / "gc.fifo");
  core::Trial t = ShellTrial("t",
                             "echo $$ > leader.fifo;"
                             " setsid sh -c 'echo $$ > gc.fifo; exec sleep 1000' &"
                             " read x < go.fifo; echo loss=0.5; exit 0");
  std::promise<TrialExit> done;
  ASSERT_TRUE(executor.Start(t, [&](const TrialExit& e) { done.set_value(e); }).ok());
  int leader = TrackPid(leader_fifo);
  int grandchild = TrackPid(gc_fifo);
  go_fifo.Write("go\n");
  ASSERT_TRUE(PidfdExited(leader, 60000));     // the trial finished on its own...
  executor.Stop(Ref("t"), StopReason::kKill);  // ...and only then ktune stops it
  auto exit_future = done.get_future();
  if (exit_future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    PidfdKill(grandchild);
  }
  TrialExit exit = exit_future.get();
  EXPECT_EQ(exit.kind, TrialExit::Kind::kSucceeded) << exit.reason << ": " << exit.message;
  EXPECT_THAT(sink_.of("t"), ElementsAre("loss=0.5"));
}

TEST_F(LocalExecutorTest, Finding1_7_KillAllNowSkipsTheGracePeriod) {
  LocalExecutorOptions options = Options();
  options.kill_grace_ms = 600000;
  LocalExecutor executor(options, sink_);
  Fifo ready(dir_ / "ready.fifo");
  std::promise<TrialExit> done[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(executor
                    .Start(ShellTrial("t" + std::to_string(i),
                                      "trap '' TERM; echo $$ > ready.fifo; exec sleep 1000"),
                           [&, i](const TrialExit& e) { done[i].set_value(e); })
                    .ok());
    TrackPid(ready);
  }
  // SIGTERM, which the trial ignores; the grace period is long.
  executor.Stop(Ref("t0"), StopReason::kKill);
  executor.KillAllNow();
  // The earlier Stop's reason stays; a trial not stopped before is interrupted.
  const TrialExit::Kind expected[2] = {TrialExit::Kind::kKilled, TrialExit::Kind::kInterrupted};
  for (int i = 0; i < 2; ++i) {
    auto f = done[i].get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    EXPECT_EQ(f.get().kind, expected[i]) << i;
  }
  EXPECT_EQ(executor.Running(), 0);
}

TEST_F(LocalExecutorTest, Finding1_7_GroupIsKilledWhenTheMainProcessEnds) {
  LocalExecutor executor(Options(), sink_);
  Fifo member_fifo(dir_ / "member.fifo");
  std::promise<bool> member_dead_at_exit;
  int member = -1;
  std::promise<void> tracked;
  ASSERT_TRUE(executor
                  .Start(ShellTrial("t", "sleep 1000 & echo $! > member.fifo; exit 0"),
                         [&](const TrialExit& e) {
                           EXPECT_EQ(e.kind, TrialExit::Kind::kSucceeded);
                           tracked.get_future().wait();
                           member_dead_at_exit.set_value(PidfdExited(member, 60000));
                         })
                  .ok());
  member = TrackPid(member_fifo);
  tracked.set_value();
  EXPECT_TRUE(member_dead_at_exit.get_future().get());
}

// A trial leader dies with ktune (PR_SET_PDEATHSIG), so `kill -9 ktune` leaves none running.
TEST_F(LocalExecutorTest, Finding1_7_TrialLeaderDiesWithKtune) {
  if (getenv("KTUNE_TEST_HELPER_DIR") != nullptr) GTEST_SKIP() << "helper run";
  Fifo pid_fifo(dir_ / "pid.fifo");
  pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    std::vector<std::string> args = {std::filesystem::read_symlink("/proc/self/exe").string(),
                                     "--gtest_filter=LocalExecutorHelper.StartATrialAndHang"};
    std::string env = "KTUNE_TEST_HELPER_DIR=" + dir_.string();
    putenv(env.data());
    std::vector<char*> argv = {args[0].data(), args[1].data(), nullptr};
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int trial = TrackPid(pid_fifo);
  kill(helper, SIGKILL);
  waitpid(helper, nullptr, 0);
  EXPECT_TRUE(PidfdExited(trial, 60000)) << "the trial outlived ktune";
}

TEST(LocalExecutorHelper, StartATrialAndHang) {
  const char* dir = getenv("KTUNE_TEST_HELPER_DIR");
  if (dir == nullptr) GTEST_SKIP() << "only run by Finding1_7_TrialLeaderDiesWithKtune";
  RecordingSink sink;
  LocalExecutor executor({.work_dir = dir, .log_dir = std::filesystem::path(dir) / "logs"}, sink);
  ASSERT_TRUE(
      executor
          .Start(ShellTrial("t", "echo $$ > pid.fifo; exec sleep 1000"), [](const TrialExit&) {})
          .ok());
  pause();  // killed by the test
}

TEST_F(LocalExecutorTest, Finding1_7_OutOfDescriptorsFailsStartCleanly) {
  LocalExecutor executor(Options(), sink_);
  ASSERT_EQ(RunToExit(executor, ShellTrial("warm", "true")).kind, TrialExit::Kind::kSucceeded);
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int lowest_free = dup(0);
  ASSERT_GE(lowest_free, 0);
  close(lowest_free);
  // With room for 0, 1, 2, ... more descriptors, Start either fails cleanly (no callback) or
  // runs a trial that Kill can still stop.
  int failures = 0;
  for (int room = 0; room < 12; ++room) {
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(lowest_free + room);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    std::promise<TrialExit> done;
    std::string name = "r" + std::to_string(room);
    absl::Status st = executor.Start(ShellTrial(name, "exec sleep 1000"),
                                     [&](const TrialExit& e) { done.set_value(e); });
    setrlimit(RLIMIT_NOFILE, &saved);
    if (!st.ok()) {
      ++failures;
      EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
      EXPECT_EQ(executor.Running(), 0);
      continue;
    }
    executor.Stop(Ref(name), StopReason::kKill);
    EXPECT_EQ(done.get_future().get().kind, TrialExit::Kind::kKilled);
  }
  EXPECT_GT(failures, 0);
}

// ---- teardown ---------------------------------------------------------------------------------

// The destructor is Shutdown(kInterrupt): the trial is reported interrupted (it runs again).
TEST_F(LocalExecutorTest, DestructorInterruptsWaitsAndRunsNoCallbackAfterwards) {
  std::atomic<int> exits{0};
  std::atomic<bool> destroyed{false};
  Fifo ready(dir_ / "ready.fifo");
  {
    LocalExecutor executor(Options(), sink_);
    // A grandchild that left the group and holds stdout must not hang the teardown.
    ASSERT_TRUE(executor
                    .Start(ShellTrial("t",
                                      "setsid sh -c 'echo $$ > ready.fifo; exec sleep 1000' &"
                                      " exec sleep 1000"),
                           [&](const TrialExit& e) {
                             EXPECT_FALSE(destroyed.load());
                             EXPECT_EQ(e.kind, TrialExit::Kind::kInterrupted);
                             ++exits;
                           })
                    .ok());
    TrackPid(ready);
  }
  destroyed = true;
  EXPECT_EQ(exits.load(), 1);
}

TEST_F(LocalExecutorTest, StartFromAnExitCallback) {
  LocalExecutor executor(Options(), sink_);
  std::promise<TrialExit> second;
  std::promise<absl::Status> second_started;
  ASSERT_TRUE(executor
                  .Start(ShellTrial("a", "echo loss=1"),
                         [&](const TrialExit&) {
                           second_started.set_value(
                               executor.Start(ShellTrial("b", "echo loss=2"),
                                              [&](const TrialExit& e) { second.set_value(e); }));
                         })
                  .ok());
  ASSERT_TRUE(second_started.get_future().get().ok());
  EXPECT_EQ(second.get_future().get().kind, TrialExit::Kind::kSucceeded);
  EXPECT_THAT(sink_.of("b"), ElementsAre("loss=2"));
}

// ---- REVIEW 1.4: the sink fails ------------------------------------------------------------

TEST_F(LocalExecutorTest, Finding1_4_FailedBatchesAreRetriedInOrderBeforeTheExit) {
  LocalExecutorOptions options = Options();
  options.sink_retry_initial_ms = 1;
  options.sink_retry_max_ms = 20;
  LocalExecutor executor(options, sink_);
  sink_.FailNext(5);
  std::vector<std::string> seen_at_exit;
  std::promise<void> done;
  ASSERT_TRUE(executor
                  .Start(ShellTrial("t", "for i in 1 2 3 4 5 6 7 8; do echo loss=$i; done"),
                         [&](const TrialExit& e) {
                           EXPECT_EQ(e.kind, TrialExit::Kind::kSucceeded);
                           seen_at_exit = sink_.of("t");
                           done.set_value();
                         })
                  .ok());
  done.get_future().wait();
  EXPECT_THAT(seen_at_exit, ElementsAre("loss=1", "loss=2", "loss=3", "loss=4", "loss=5", "loss=6",
                                        "loss=7", "loss=8"));
  EXPECT_GE(sink_.calls(), 6);
}

TEST_F(LocalExecutorTest, Finding1_4_BufferIsBoundedAndDropsTheOldestWithATrace) {
  LocalExecutorOptions options = Options();
  options.max_buffered_metrics = 3;
  options.sink_retry_initial_ms = 1;
  options.sink_retry_max_ms = 1;
  options.sink_flush_timeout_ms = 100;
  LocalExecutor executor(options, sink_);
  sink_.FailNext(1000000);  // the sink never recovers
  TrialExit exit =
      RunToExit(executor, ShellTrial("t", "for i in 1 2 3 4 5 6; do echo loss=$i; done"));
  EXPECT_EQ(exit.kind, TrialExit::Kind::kSucceeded);
  // The last attempt offered the newest samples, and no more than the bound.
  EXPECT_THAT(sink_.last_offered(), ElementsAre("loss=4", "loss=5", "loss=6"));
  EXPECT_THAT(ReadAll(executor.LogPath(Ref("t"))),
              HasSubstr("[ktune] warning: 6 metric samples could not be stored"));
}

// ---- REVIEW 1.9: descriptors and over-long lines --------------------------------------------

TEST_F(LocalExecutorTest, Finding1_9_TrialsInheritNoOtherTrialsDescriptors) {
  LocalExecutor executor(Options(), sink_);
  Fifo ready(dir_ / "ready.fifo");
  Fifo go(dir_ / "go.fifo");
  std::promise<TrialExit> first;
  ASSERT_TRUE(executor
                  .Start(ShellTrial("first", "echo $$ > ready.fifo; read x < go.fifo"),
                         [&](const TrialExit& e) { first.set_value(e); })
                  .ok());
  TrackPid(ready);
  int own = open((dir_ / "ktune-open.txt").c_str(), O_WRONLY | O_CREAT, 0644);  // no O_CLOEXEC
  ASSERT_GE(own, 0);
  EXPECT_EQ(RunToExit(executor, ShellTrial("second", "ls -l /proc/self/fd/")).kind,
            TrialExit::Kind::kSucceeded);
  close(own);
  go.Write("\n");
  EXPECT_EQ(first.get_future().get().kind, TrialExit::Kind::kSucceeded);
  std::string listing = ReadAll(executor.LogPath(Ref("second")));
  EXPECT_THAT(listing, Not(HasSubstr("first.log")));
  EXPECT_THAT(listing, Not(HasSubstr("ktune-open.txt")));
  EXPECT_THAT(listing, Not(HasSubstr("eventfd")));
}

TEST_F(LocalExecutorTest, Finding1_9_OverlongLinesLeaveAWarning) {
  LocalExecutor executor(Options(), sink_);
  EXPECT_EQ(RunToExit(executor, ShellTrial("t",
                                           "head -c 2000000 /dev/zero | tr '\\0' x; echo;"
                                           " echo loss=1"))
                .kind,
            TrialExit::Kind::kSucceeded);
  EXPECT_THAT(sink_.of("t"), ElementsAre("loss=1"));
  std::ifstream log(executor.LogPath(Ref("t")));
  std::string line, last;
  while (std::getline(log, line)) {
    if (!line.empty()) last = line;
  }
  EXPECT_THAT(last, HasSubstr("[ktune] warning: 1 line(s) of the trial's output were longer "
                              "than 1 MiB"));
}

// ---- memory ---------------------------------------------------------------------------------

int64_t StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::strlen(field)));
  }
  return -1;
}

// A trial printing 200 MB (one line of 50 MB among them) leaves the executor's memory flat.
TEST_F(LocalExecutorTest, HugeOutputLeavesMemoryFlat) {
  LocalExecutor executor(Options(), sink_);
  {
    std::ofstream reset("/proc/self/clear_refs");
    reset << "5";  // resets VmHWM to the current RSS, where the kernel allows it
  }
  const int64_t before = StatusKb("VmHWM:");
  ASSERT_GT(before, 0);
  core::Trial t =
      ShellTrial("t",
                 "head -c 50000000 /dev/zero | tr '\\0' x; echo; yes abcdefghijklmnopqrstuvwxyz |"
                 " head -c 150000000; echo; echo loss=1");
  EXPECT_EQ(RunToExit(executor, t).kind, TrialExit::Kind::kSucceeded);
  const int64_t after = StatusKb("VmHWM:");
  EXPECT_LT(after - before, 64 * 1024)
      << "peak RSS grew from " << before << " kB to " << after << " kB";
  EXPECT_THAT(sink_.of("t"), ElementsAre("loss=1"));
  EXPECT_EQ(std::filesystem::file_size(executor.LogPath(Ref("t"))),
            50000001u + 150000000u + 1u + 7u +
                std::string("\n[ktune] warning: 1 line(s) of the trial's output were longer than "
                            "1 MiB and were not parsed; metrics on them are lost\n")
                    .size());
}

}  // namespace
}  // namespace ktune::controller
