// REVIEW.md §2 "User input reaching a shell": the wrapped `sh -c` script of a mutated pod,
// run by the real /bin/sh, must pass each parameter value through as one literal argument.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "webhook/pod_mutation.h"

extern char** environ;

namespace ktune::webhook {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct ShellRun {
  int exit_code = -1;
  std::string out;
};

// Runs `argv` with cwd `dir`, stdout and stderr into a pipe, and waits for it.
ShellRun Spawn(const std::vector<std::string>& argv, const fs::path& dir) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  ShellRun run;
  EXPECT_EQ(rc, 0);
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) run.out.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  if (rc == 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  return run;
}

class PodMutationShellTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ktune-shell-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A space in the metrics directory: paths are quoted too.
    fs::create_directories(dir_ / "metrics dir");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The primary container of `command`+`args` after mutation with a File collector.
  std::vector<std::string> Wrapped(const std::vector<std::string>& command,
                                   const std::vector<std::string>& args) {
    json pod = json::parse(R"({"apiVersion": "v1", "kind": "Pod",
      "metadata": {"namespace": "ns", "labels": {}},
      "spec": {"containers": [{"name": "training-container", "image": "busybox"}]}})");
    pod["spec"]["containers"][0]["command"] = command;
    pod["spec"]["containers"][0]["args"] = args;
    PodTrial owner;
    owner.trial.metadata.name = "exp-abc";
    owner.trial.metadata.namespace_ = "ns";
    owner.trial.metadata.labels = {{"katib.kubeflow.org/experiment", "exp"}};
    owner.trial.spec.objective.type = "minimize";
    owner.trial.spec.objective.objective_metric_name = "loss";
    owner.trial.spec.primary_container_name = "training-container";
    owner.trial.spec.metrics_collector.kind = "File";
    owner.trial.spec.metrics_collector.file_system_path =
        core::FileSystemPath{(dir_ / "metrics dir" / "metrics.log").string(), "File", "TEXT"};
    owner.algorithm_name = "random";
    InjectionConfig config;
    config.collectors["File"].image = "collector:v1";
    absl::StatusOr<json> mutated = MutatedPod(pod, owner, config);
    EXPECT_TRUE(mutated.ok()) << mutated.status();
    if (!mutated.ok()) return {};
    const json& c = (*mutated)["spec"]["containers"][0];
    std::vector<std::string> out = c["command"].get<std::vector<std::string>>();
    for (const json& a : c["args"]) out.push_back(a.get<std::string>());
    return out;
  }

  fs::path dir_;
};

TEST_F(PodMutationShellTest, ParameterValuesNeverBecomeShellCodeInTheWrappedCommand) {
  const std::vector<std::string> values = {"a;touch pwned1",
                                           "$(touch pwned2)",
                                           "`touch pwned3`",
                                           "it's | touch pwned4",
                                           "x && touch pwned5",
                                           "\"$HOME\" > pwned6",
                                           "",
                                           "--lr=0.1"};
  std::vector<std::string> args = {"%s|\\n"};
  args.insert(args.end(), values.begin(), values.end());
  const std::vector<std::string> argv = Wrapped({"printf"}, args);
  ASSERT_EQ(argv.size(), 3u);
  EXPECT_EQ(argv[0], "sh");
  EXPECT_EQ(argv[1], "-c");

  const ShellRun run = Spawn(argv, dir_);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  std::string want;
  for (const std::string& v : values) want += v + "|\n";
  EXPECT_EQ(run.out, want) << argv[2];
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename(), "metrics dir") << "the script created " << entry.path();
  }
  // The completion marker still works: the marker-file protocol does not need word splitting.
  bool marker = false;
  for (const auto& entry : fs::directory_iterator(dir_ / "metrics dir")) {
    marker |= entry.path().extension() == ".pid";
  }
  EXPECT_TRUE(marker) << argv[2];
}

TEST_F(PodMutationShellTest, AUsersOwnShDashCScriptIsKeptAsWritten) {
  const std::vector<std::string> argv = Wrapped({"sh", "-c"}, {"echo one; echo two"});
  ASSERT_EQ(argv.size(), 3u);
  EXPECT_THAT(argv[2], ::testing::StartsWith("echo one; echo two && "));
  const ShellRun run = Spawn(argv, dir_);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "one\ntwo\n");
}

}  // namespace
}  // namespace ktune::webhook
