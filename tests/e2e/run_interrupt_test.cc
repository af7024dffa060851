// `ktune run` end to end: exit codes, interrupts (SIGINT, SIGKILL) and resume, restart with a
// raised budget, and the CLI's log/workdir options. Tests wait on events (inotify on the test
// directory), never on a sleep.

#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.h"

namespace {

namespace fs = std::filesystem;
using ktune::e2e::CountFiles;
using ktune::e2e::Process;
using ktune::e2e::ReadAll;
using ktune::e2e::Result;
using ktune::e2e::WaitInDir;
using nlohmann::json;
using ::testing::HasSubstr;

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("ktune-e2e-run-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A grid over x ∈ {a..f}; the trial runs `sh -c SCRIPT sh <x>`.
  fs::path Write(const std::string& name, const std::string& body, const std::string& script) {
    std::string yaml = R"(apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: )" + name + R"(
spec:
  objective: {type: maximize, objectiveMetricName: score}
  algorithm: {algorithmName: grid}
)" + body + R"(
  parameters:
    - name: x
      parameterType: categorical
      feasibleSpace: {list: [a, b, c, d, e, f]}
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{name: x, reference: x}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                command: ["sh", "-c", )" +
                       json(script).dump() + R"(, "sh", "${trialParameters.x}"]
)";
    fs::path path = dir_ / (name + ".yaml");
    std::ofstream(path) << yaml;
    return path;
  }
  Result Run(const std::vector<std::string>& args) { return Process(args, dir_).Wait(); }

  fs::path dir_;
};

// REVIEW 1.6: 0 only with a best trial; 3 when the experiment completed without one.
TEST_F(RunCliTest, Review16ExitCodeThreeWhenNoTrialHasAResult) {
  fs::path yaml = Write("noresult", "  parallelTrialCount: 2\n  maxTrialCount: 3", "exit 1");
  Result r = Run({"run", yaml.string(), "--db", (dir_ / "n.db").string(), "--output", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("completed without a result"));
  json out = r.result();
  EXPECT_EQ(out["experiment"]["status"]["conditions"].back()["type"], "Succeeded");

  Result help = Run({"run", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Exit status:"));
  EXPECT_THAT(help.out, HasSubstr("  3    the experiment completed without a result"));
  EXPECT_THAT(help.out, HasSubstr("  130  interrupted"));
}

// REVIEW 1.6 acceptance: interrupted three times with SIGINT and once with SIGKILL, the
// experiment still ends with exactly maxTrialCount trials that ran to their end, all distinct.
TEST_F(RunCliTest, Review16ThreeInterruptsAndAKillStillRunExactlyMaxTrialCount) {
  // Each start leaves a marker; without the `go` file a trial waits to be interrupted.
  fs::path yaml = Write("resume", "  parallelTrialCount: 2\n  maxTrialCount: 4",
                        "touch started-$1-$$; if [ ! -f go ]; then sleep 60; fi; echo score=1");
  std::vector<std::string> args{"run",      yaml.string(), "--db", (dir_ / "r.db").string(),
                                "--output", "json"};
  for (int round = 1; round <= 4; ++round) {
    SCOPED_TRACE(round);
    Process p(args, dir_);
    // Both running trials have started (each round re-runs the same two).
    ASSERT_TRUE(WaitInDir(dir_, [&] { return CountFiles(dir_, "started-") >= 2 * round; }));
    if (round < 4) {
      p.Signal(SIGINT);
      Result r = p.Wait();
      EXPECT_EQ(r.exit_code, 130) << r.err;
      EXPECT_THAT(r.err, HasSubstr("resume"));
      json out = r.result();
      ASSERT_EQ(out["trials"].size(), 2u);
      for (const json& t : out["trials"]) {
        EXPECT_NE(t["status"]["conditions"].back()["type"], "Killed");
      }
    } else {
      p.Signal(SIGKILL);
      EXPECT_EQ(p.Wait().exit_code, 128 + SIGKILL);
    }
  }
  std::ofstream(dir_ / "go") << "";
  Result r = Run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json out = r.result();
  ASSERT_EQ(out["trials"].size(), 4u);
  std::set<std::string> points;
  for (const json& t : out["trials"]) {
    EXPECT_EQ(t["status"]["conditions"].back()["type"], "Succeeded");
    points.insert(t["spec"]["parameterAssignments"].dump());
  }
  EXPECT_EQ(points.size(), 4u);
  EXPECT_EQ(out["experiment"]["status"]["trialsSucceeded"], 4);
  EXPECT_EQ(out["experiment"]["status"].value("trialsKilled", 0), 0);
}

// REVIEW 1.7: a second Ctrl-C SIGKILLs every trial, also one that ignores SIGTERM, and ktune
// exits 130 with no trial left behind.
TEST_F(RunCliTest, Review17SecondInterruptKillsATrialThatIgnoresSigterm) {
  fs::path yaml = Write("stubborn", "  parallelTrialCount: 1\n  maxTrialCount: 1",
                        "trap '' TERM; echo $$ > pid.tmp; mv pid.tmp pid; "
                        "while true; do sleep 1; done");
  Process p({"run", yaml.string(), "--db", (dir_ / "s.db").string()}, dir_);
  ASSERT_TRUE(WaitInDir(dir_, [&] { return fs::exists(dir_ / "pid"); }));
  const pid_t trial = std::stoi(ReadAll(dir_ / "pid"));
  p.Signal(SIGINT);
  ASSERT_TRUE(WaitInDir(
      dir_, [&] { return ReadAll(dir_ / "stderr").find("stopping") != std::string::npos; }));
  p.Signal(SIGINT);
  Result r = p.Wait();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_EQ(kill(trial, 0), -1) << "trial " << trial << " survived ktune";
  EXPECT_EQ(errno, ESRCH);
}

// REVIEW 1.8: the same file with a raised maxTrialCount restarts a LongRunning experiment;
// other spec changes are still refused.
TEST_F(RunCliTest, Review18RaisedMaxTrialCountRestartsALongRunningExperiment) {
  std::string db = (dir_ / "l.db").string();
  fs::path yaml =
      Write("long", "  parallelTrialCount: 1\n  maxTrialCount: 2\n  resumePolicy: LongRunning",
            "echo score=1");
  ASSERT_EQ(Run({"run", yaml.string(), "--db", db}).exit_code, 0);
  yaml = Write("long", "  parallelTrialCount: 1\n  maxTrialCount: 4\n  resumePolicy: LongRunning",
               "echo score=1");
  Result r = Run({"run", yaml.string(), "--db", db, "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("restarting experiment \"long\""));
  EXPECT_EQ(r.result()["trials"].size(), 4u);

  yaml = Write("long", "  parallelTrialCount: 1\n  maxTrialCount: 6\n  resumePolicy: LongRunning",
               "echo score=2");
  r = Run({"run", yaml.string(), "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("spec.trialTemplate"));
  EXPECT_THAT(r.err, HasSubstr("--replace"));

  fs::path never = Write("never", "  parallelTrialCount: 1\n  maxTrialCount: 1", "echo score=1");
  ASSERT_EQ(Run({"run", never.string(), "--db", db}).exit_code, 0);
  never = Write("never", "  parallelTrialCount: 1\n  maxTrialCount: 2", "echo score=1");
  r = Run({"run", never.string(), "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("spec.resumePolicy"));
}

// REVIEW 1.9: --log-dir, --replace removing old logs, a missing --workdir, a bad --log-level,
// and a DSN that never becomes a path.
TEST_F(RunCliTest, Review19LogDirReplaceWorkdirAndLogLevel) {
  fs::path yaml = Write("logs", "  parallelTrialCount: 1\n  maxTrialCount: 1", "echo score=1");
  std::string db = (dir_ / "db" / "x.db").string();
  fs::create_directories(dir_ / "db");
  Result r = Run({"run", yaml.string(), "--db", db, "--log-dir", (dir_ / "mylogs").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::is_directory(dir_ / "mylogs" / "logs"));
  EXPECT_FALSE(fs::exists(dir_ / "db" / "ktune-logs"));
  std::ofstream(dir_ / "mylogs" / "logs" / "stale.log") << "old";
  r = Run({"run", yaml.string(), "--db", db, "--log-dir", (dir_ / "mylogs").string(), "--replace"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "mylogs" / "logs" / "stale.log"));

  // Default: beside a SQLite file.
  r = Run({"run", yaml.string(), "--db", db, "--replace"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_directory(dir_ / "db" / "ktune-logs" / "logs"));

  r = Run({"run", yaml.string(), "--db", db, "--workdir", (dir_ / "nope").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--workdir"));
  EXPECT_THAT(r.err, HasSubstr("no such directory"));

  r = Run({"run", yaml.string(), "--db", db, "--log-level", "verbose"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("trace, debug, info, warn, error, critical, off"));

  r = Run({"run", yaml.string(), "--db", "mysql://user:secret@host/db"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "mysql:"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("secret")));
}

}  // namespace
