// The Executor contract of issue 7 on the local executor: trials keyed by TrialRef, KillAll
// scoped by experiment, Stop reasons mapped to exit kinds, Adopt, Shutdown, metric events
// through a FanOutSink, and a thread count that does not grow with the number of trials.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "controller/local/local_executor.h"
#include "local_executor_test_util.h"
#include "metrics-collector/sink.h"

namespace ktune::controller {
namespace {

using ::testing::ElementsAre;
using testing::Fifo;
using ::testing::HasSubstr;
using testing::In;
using testing::MakeTempDir;
using testing::PidfdExited;
using testing::PidfdKill;
using testing::PidfdOpen;
using testing::ReadAll;
using testing::RecordingSink;
using testing::ShellTrial;

int ThreadCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

// Collects exits by trial name; waits for them without sleeping.
class Exits {
 public:
  Executor::ExitCallback For() {
    return [this](const TrialExit& e) {
      MutexLock lock(mu_);
      exits_[e.trial.ns + "/" + e.trial.experiment + "/" + e.trial.name] = e;
      threads_.push_back(std::this_thread::get_id());
      changed_.SignalAll();
    };
  }
  TrialExit Wait(const TrialRef& ref) {
    const std::string key = ref.ns + "/" + ref.experiment + "/" + ref.name;
    MutexLock lock(mu_);
    while (!exits_.count(key)) changed_.Wait(mu_);
    return exits_[key];
  }
  bool Has(const TrialRef& ref) {
    MutexLock lock(mu_);
    return exits_.count(ref.ns + "/" + ref.experiment + "/" + ref.name) > 0;
  }
  std::vector<std::thread::id> threads() {
    MutexLock lock(mu_);
    return threads_;
  }

 private:
  Mutex mu_;
  CondVar changed_;
  std::map<std::string, TrialExit> exits_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
};

class LocalExecutorScopeTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("ktune-scope"); }
  void TearDown() override {
    for (int fd : pidfds_) {
      PidfdKill(fd);
      close(fd);
    }
    std::filesystem::remove_all(dir_);
  }

  LocalExecutorOptions Options() {
    return {.work_dir = dir_,
            .log_dir = dir_ / "logs",
            .log_layout = LocalExecutorOptions::LogLayout::kPerExperiment};
  }

  // A trial in `ns`/`experiment` that tells the test its pid through `fifo` (relative to the
  // working directory), then runs `rest`.
  core::Trial Waiting(const std::string& ns, const std::string& experiment, const std::string& name,
                      const std::string& fifo = "ready.fifo",
                      const std::string& rest = "exec sleep 1000") {
    return In(ShellTrial(name, "echo $$ > " + fifo + "; " + rest), ns, experiment);
  }

  // Starts `trial` and returns a pidfd of its main process once it runs (killed at teardown).
  int StartAndTrack(LocalExecutor& executor, const core::Trial& trial, const Fifo& fifo) {
    absl::Status st = executor.Start(trial, exits_.For());
    EXPECT_TRUE(st.ok()) << st;
    if (!st.ok()) return -1;
    int fd = PidfdOpen(std::stoi(fifo.ReadLine()));
    EXPECT_GE(fd, 0);
    pidfds_.push_back(fd);
    return fd;
  }

  std::filesystem::path dir_;
  RecordingSink sink_;
  // Outlives every executor of a test (exit callbacks run until the executor is destroyed).
  Exits exits_;
  std::vector<int> pidfds_;
};

// REVIEW §5(d)1: one experiment ending must not touch another's trials.
TEST_F(LocalExecutorScopeTest, KillAllStopsOneExperimentAndLeavesAnotherRunning) {
  LocalExecutor executor(Options(), sink_);
  Fifo ready(dir_ / "ready.fifo");
  StartAndTrack(executor, Waiting("ns", "a", "a1"), ready);
  StartAndTrack(executor, Waiting("ns", "a", "a2"), ready);
  int b1 = StartAndTrack(executor, Waiting("ns", "b", "b1"), ready);
  // Same experiment name in another namespace: a different experiment.
  int other_ns = StartAndTrack(executor, Waiting("other", "a", "a3"), ready);
  EXPECT_EQ(executor.Running("ns", "a"), 2);
  EXPECT_EQ(executor.Running("ns", "b"), 1);
  EXPECT_EQ(executor.Running("other", "a"), 1);
  EXPECT_EQ(executor.Running(), 4);

  executor.KillAll("ns", "a", StopReason::kKill, /*wait=*/true);
  // With wait, both exits have been reported when KillAll returns.
  ASSERT_TRUE(exits_.Has({"ns", "a", "a1"}));
  ASSERT_TRUE(exits_.Has({"ns", "a", "a2"}));
  EXPECT_EQ(exits_.Wait({"ns", "a", "a1"}).kind, TrialExit::Kind::kKilled);
  EXPECT_EQ(exits_.Wait({"ns", "a", "a2"}).kind, TrialExit::Kind::kKilled);
  EXPECT_EQ(executor.Running("ns", "a"), 0);
  EXPECT_EQ(executor.Running("ns", "b"), 1);
  EXPECT_EQ(executor.Running("other", "a"), 1);
  EXPECT_FALSE(PidfdExited(b1)) << "another experiment's trial was killed";
  EXPECT_FALSE(PidfdExited(other_ns)) << "another namespace's trial was killed";
  EXPECT_FALSE(exits_.Has({"ns", "b", "b1"}));

  // Without wait, KillAll returns at once; the exit comes through the callback.
  executor.KillAll("ns", "b", StopReason::kKill, /*wait=*/false);
  EXPECT_EQ(exits_.Wait({"ns", "b", "b1"}).kind, TrialExit::Kind::kKilled);
  EXPECT_FALSE(PidfdExited(other_ns));
  EXPECT_EQ(executor.Running(), 1);
}

TEST_F(LocalExecutorScopeTest, SameTrialNameInTwoNamespacesRunsAtOnce) {
  LocalExecutor executor(Options(), sink_);
  Fifo ready(dir_ / "ready.fifo");
  Fifo go1(dir_ / "go1.fifo");
  Fifo go2(dir_ / "go2.fifo");
  core::Trial one =
      In(ShellTrial("t", "echo $$ > ready.fifo; echo loss=1; read x < go1.fifo"), "ns1", "exp");
  core::Trial two =
      In(ShellTrial("t", "echo $$ > ready.fifo; echo loss=2; read x < go2.fifo"), "ns2", "exp");
  StartAndTrack(executor, one, ready);
  StartAndTrack(executor, two, ready);
  EXPECT_EQ(executor.Running(), 2);
  EXPECT_EQ(executor.Start(one, exits_.For()).code(), absl::StatusCode::kAlreadyExists);
  go1.Write("\n");
  go2.Write("\n");
  EXPECT_EQ(exits_.Wait({"ns1", "exp", "t"}).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(exits_.Wait({"ns2", "exp", "t"}).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(ReadAll(executor.LogPath({"ns1", "exp", "t"})), "loss=1\n");
  EXPECT_EQ(ReadAll(executor.LogPath({"ns2", "exp", "t"})), "loss=2\n");
  EXPECT_EQ(executor.LogPath({"ns1", "exp", "t"}), dir_ / "logs/ns1/exp/t.log");
}

// With the flat layout (`ktune run`) files are named by trial only: one name runs once.
TEST_F(LocalExecutorScopeTest, FlatLayoutRefusesASecondTrialOfTheSameName) {
  LocalExecutor executor({.work_dir = dir_, .log_dir = dir_ / "logs"}, sink_);
  Fifo ready(dir_ / "ready.fifo");
  StartAndTrack(executor, Waiting("ns1", "exp", "t"), ready);
  absl::Status st = executor.Start(Waiting("ns2", "exp", "t"), exits_.For());
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists) << st;
  EXPECT_EQ(executor.LogPath({"ns1", "exp", "t"}), dir_ / "logs/t.log");
}

TEST_F(LocalExecutorScopeTest, StopReasonsMapToExitKinds) {
  LocalExecutor executor(Options(), sink_);
  Fifo ready(dir_ / "ready.fifo");
  const struct {
    StopReason reason;
    TrialExit::Kind kind;
    const char* name;
  } cases[] = {{StopReason::kKill, TrialExit::Kind::kKilled, "Killed"},
               {StopReason::kEarlyStop, TrialExit::Kind::kEarlyStopped, "EarlyStopped"},
               {StopReason::kInterrupt, TrialExit::Kind::kInterrupted, "Interrupted"}};
  size_t samples = 0;
  for (const auto& c : cases) {
    const std::string name = std::string("t-") + c.name;
    // Reports a value, then runs until stopped.
    core::Trial t = Waiting("ns", "exp", name, "ready.fifo", "echo loss=0.5; exec sleep 1000");
    StartAndTrack(executor, t, ready);
    ASSERT_TRUE(sink_.WaitForSamples(++samples));
    executor.Stop({"ns", "exp", name}, c.reason);
    TrialExit exit = exits_.Wait({"ns", "exp", name});
    EXPECT_EQ(exit.kind, c.kind) << c.name;
    EXPECT_EQ(exit.reason, c.name);
    EXPECT_EQ(KindName(exit.kind), c.name);
    // What it reported is stored, and a stopped trial gets no "unavailable" log.
    EXPECT_THAT(sink_.of(name), ElementsAre("loss=0.5")) << c.name;
  }
  // Stopping an unknown trial, or one that already ended, does nothing.
  executor.Stop({"ns", "exp", "t-Killed"}, StopReason::kKill);
  executor.Stop({"ns", "nope", "x"}, StopReason::kKill);
  EXPECT_EQ(executor.Running(), 0);
}

// A trial that finished on its own just before the stop reports its own outcome (the exit is
// noticed first here: the stop comes after the process is gone).
TEST_F(LocalExecutorScopeTest, EarlyStopAfterTheEndKeepsTheOwnOutcome) {
  LocalExecutorOptions options = Options();
  options.post_exit_drain_ms = 600000;  // a grandchild holds stdout: the exit waits
  LocalExecutor executor(options, sink_);
  Fifo leader(dir_ / "leader.fifo");
  Fifo gc(dir_ / "gc.fifo");
  Fifo go(dir_ / "go.fifo");
  core::Trial t = In(ShellTrial("t",
                                "echo $$ > leader.fifo; setsid sh -c 'echo $$ > gc.fifo;"
                                " exec sleep 1000' & read x < go.fifo; echo loss=1; exit 3"),
                     "ns", "exp");
  int pid = StartAndTrack(executor, t, leader);
  pidfds_.push_back(PidfdOpen(std::stoi(gc.ReadLine())));
  go.Write("\n");
  ASSERT_TRUE(PidfdExited(pid, 60000));
  executor.Stop({"ns", "exp", "t"}, StopReason::kEarlyStop);
  TrialExit exit = exits_.Wait({"ns", "exp", "t"});
  EXPECT_EQ(exit.kind, TrialExit::Kind::kFailed);
  EXPECT_THAT(exit.message, HasSubstr("exited with code 3"));
}

TEST_F(LocalExecutorScopeTest, AdoptReportsInterruptedFromAnotherThread) {
  LocalExecutor executor(Options(), sink_);
  core::Trial t = In(ShellTrial("t", "true"), "ns", "exp");
  ASSERT_TRUE(executor.Adopt(t, exits_.For()).ok());
  TrialExit exit = exits_.Wait({"ns", "exp", "t"});
  EXPECT_EQ(exit.kind, TrialExit::Kind::kInterrupted);
  EXPECT_EQ(exit.trial, (TrialRef{"ns", "exp", "t"}));
  ASSERT_EQ(exits_.threads().size(), 1u);
  EXPECT_NE(exits_.threads()[0], std::this_thread::get_id());
  EXPECT_EQ(executor.Running(), 0);
  EXPECT_THAT(sink_.of("t"), ::testing::IsEmpty());  // nothing ran, nothing collected

  // A ref that is running cannot be adopted.
  Fifo ready(dir_ / "ready.fifo");
  core::Trial running = Waiting("ns", "exp", "r");
  StartAndTrack(executor, running, ready);
  EXPECT_EQ(executor.Adopt(running, exits_.For()).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(LocalExecutorScopeTest, ShutdownStopsEveryExperimentAndRefusesNewTrials) {
  LocalExecutor executor(Options(), sink_);
  Fifo ready(dir_ / "ready.fifo");
  StartAndTrack(executor, Waiting("ns", "a", "t1"), ready);
  StartAndTrack(executor, Waiting("ns", "b", "t2"), ready);
  executor.Shutdown(StopReason::kInterrupt);
  ASSERT_TRUE(exits_.Has({"ns", "a", "t1"}));
  ASSERT_TRUE(exits_.Has({"ns", "b", "t2"}));
  EXPECT_EQ(exits_.Wait({"ns", "a", "t1"}).kind, TrialExit::Kind::kInterrupted);
  EXPECT_EQ(exits_.Wait({"ns", "b", "t2"}).kind, TrialExit::Kind::kInterrupted);
  EXPECT_EQ(executor.Running(), 0);
  EXPECT_EQ(executor.Start(Waiting("ns", "a", "t3"), exits_.For()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(executor.Adopt(Waiting("ns", "a", "t3"), exits_.For()).code(),
            absl::StatusCode::kFailedPrecondition);
}

// REVIEW §5(d)2: no thread per trial. The executor has three threads (supervisor, metrics
// reporter, exit callbacks), with 64 trials running as with none.
TEST_F(LocalExecutorScopeTest, ThreadCountStaysBoundedWith64Trials) {
  // ThreadSanitizer's runtime starts a thread of its own with the process's first other
  // thread; let that happen before counting.
  std::thread([] {}).join();
  const int before = ThreadCount();
  {
    LocalExecutor executor(Options(), sink_);
    const int idle = ThreadCount();
    EXPECT_LE(idle - before, 3);
    Fifo ready(dir_ / "ready.fifo");
    constexpr int kTrials = 64;
    for (int i = 0; i < kTrials; ++i) {
      const std::string name = "t" + std::to_string(i);
      StartAndTrack(executor,
                    Waiting("ns", i % 2 ? "odd" : "even", name, "ready.fifo",
                            "echo loss=" + std::to_string(i) + "; exec sleep 1000"),
                    ready);
    }
    ASSERT_TRUE(sink_.WaitForSamples(kTrials));
    EXPECT_EQ(executor.Running(), kTrials);
    EXPECT_EQ(ThreadCount(), idle) << "threads grew with the number of trials";
    executor.KillAll("ns", "even", StopReason::kKill, true);
    EXPECT_EQ(executor.Running(), kTrials / 2);
    EXPECT_EQ(ThreadCount(), idle);
    executor.Shutdown(StopReason::kKill);
    for (int i = 0; i < kTrials; ++i) {
      EXPECT_EQ(exits_.Wait({"ns", i % 2 ? "odd" : "even", "t" + std::to_string(i)}).kind,
                TrialExit::Kind::kKilled);
    }
  }
  EXPECT_EQ(ThreadCount(), before) << "the executor left threads behind";
}

// A FanOutSink gives the controller metric events while the trial runs, after the store has
// them.
TEST_F(LocalExecutorScopeTest, MetricEventsReachAListenerWhileTheTrialRuns) {
  Mutex mu;
  CondVar heard_cv;
  std::vector<std::string> heard;
  metrics::FanOutSink fan_out(
      sink_, [&](const std::string& trial, const std::vector<core::MetricLog>& logs) {
        MutexLock lock(mu);
        for (const auto& l : logs) heard.push_back(trial + ":" + l.name + "=" + l.value);
        heard_cv.SignalAll();
      });
  LocalExecutor executor(Options(), fan_out);
  Fifo ready(dir_ / "ready.fifo");
  Fifo go(dir_ / "go.fifo");
  StartAndTrack(executor,
                Waiting("ns", "exp", "t", "ready.fifo", "echo loss=0.5; read x < go.fifo"), ready);
  {
    MutexLock lock(mu);
    while (heard.empty()) heard_cv.Wait(mu);
    EXPECT_THAT(heard, ElementsAre("t:loss=0.5"));
    EXPECT_THAT(sink_.of("t"), ElementsAre("loss=0.5"));  // stored before it was heard of
  }
  EXPECT_EQ(executor.Running(), 1);  // still running
  go.Write("\n");
  EXPECT_EQ(exits_.Wait({"ns", "exp", "t"}).kind, TrialExit::Kind::kSucceeded);
}

// Katib's unavailable rule is the collector's: a trial that succeeded without its objective
// gets the "unavailable" log before its exit is reported; a failed one does not.
TEST_F(LocalExecutorScopeTest, SucceededWithoutTheObjectiveIsUnavailable) {
  LocalExecutor executor(Options(), sink_);
  ASSERT_TRUE(executor.Start(In(ShellTrial("ok", "echo acc=0.9"), "ns", "exp"), exits_.For()).ok());
  ASSERT_TRUE(
      executor.Start(In(ShellTrial("bad", "echo acc=0.9; exit 1"), "ns", "exp"), exits_.For())
          .ok());
  EXPECT_EQ(exits_.Wait({"ns", "exp", "ok"}).kind, TrialExit::Kind::kSucceeded);
  EXPECT_EQ(exits_.Wait({"ns", "exp", "bad"}).kind, TrialExit::Kind::kFailed);
  EXPECT_THAT(sink_.of("ok"), ElementsAre("acc=0.9", "loss=unavailable"));
  EXPECT_THAT(sink_.of("bad"), ElementsAre("acc=0.9"));
  std::vector<core::MetricLog> logs = sink_.logs();
  auto it = std::find_if(logs.begin(), logs.end(),
                         [](const core::MetricLog& l) { return l.value == "unavailable"; });
  ASSERT_NE(it, logs.end());
  EXPECT_EQ(it->time_stamp, "0001-01-01T00:00:00Z");
}

TEST_F(LocalExecutorScopeTest, NamesThatAreNotFileNamesAreRefused) {
  LocalExecutor executor(Options(), sink_);
  for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
           {"ns", "../escape"}, {"..", "t"}, {"ns", ""}}) {
    absl::Status st = executor.Start(In(ShellTrial(name, "true"), ns, "exp"), exits_.For());
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << ns << "/" << name;
  }
}

}  // namespace
}  // namespace ktune::controller
