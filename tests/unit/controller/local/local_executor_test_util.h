#pragma once
// Helpers for the LocalExecutor tests: a recording metrics sink, trials built from a command,
// fifos and pidfds to wait on events of real processes (no sleeps), temp directories, and
// re-running this test binary as a helper process.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "controller/executor.h"
#include "core/experiment.h"
#include "core/mutex.h"
#include "metrics-collector/sink.h"

extern char** environ;

namespace ktune::controller::testing {

inline std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Records every batch, per trial; Report fails while `failures_left` > 0.
class RecordingSink : public metrics::MetricsSink {
 public:
  absl::Status Report(const std::string& trial, const std::vector<core::MetricLog>& logs) override {
    MutexLock lock(mu_);
    ++calls_;
    last_offered_.clear();
    for (const auto& log : logs) last_offered_.push_back(log.name + "=" + log.value);
    if (failures_left_ > 0) {
      --failures_left_;
      return absl::UnavailableError("database is locked (test)");
    }
    for (const auto& log : logs) {
      logs_.push_back(log);
      by_trial_[trial].push_back(log.name + "=" + log.value);
    }
    changed_.SignalAll();
    return absl::OkStatus();
  }
  void FailNext(int n) {
    MutexLock lock(mu_);
    failures_left_ = n;
  }
  std::vector<core::MetricLog> logs() {
    MutexLock lock(mu_);
    return logs_;
  }
  // "name=value" for each sample of `trial`, in order.
  std::vector<std::string> of(const std::string& trial) {
    MutexLock lock(mu_);
    return by_trial_[trial];
  }
  int calls() {
    MutexLock lock(mu_);
    return calls_;
  }
  // The batch of the last Report call, stored or not.
  std::vector<std::string> last_offered() {
    MutexLock lock(mu_);
    return last_offered_;
  }
  // Waits until `count` samples have been stored in all; false after `limit` (a test
  // failure guard, not a timing assertion).
  bool WaitForSamples(size_t count, std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    MutexLock lock(mu_);
    while (logs_.size() < count) {
      if (!changed_.WaitUntil(mu_, deadline) && logs_.size() < count) return false;
    }
    return true;
  }

 private:
  Mutex mu_;
  CondVar changed_;
  int failures_left_ ABSL_GUARDED_BY(mu_) = 0;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> last_offered_ ABSL_GUARDED_BY(mu_);
  std::vector<core::MetricLog> logs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> by_trial_ ABSL_GUARDED_BY(mu_);
};

inline nlohmann::json JobWith(nlohmann::json container) {
  return {{"kind", "Job"}, {"spec", {{"template", {{"spec", {{"containers", {container}}}}}}}}};
}

inline core::Trial MakeTrial(const std::string& name, nlohmann::json run_spec,
                             const std::string& primary = "main") {
  core::Trial t;
  t.metadata.name = name;
  t.metadata.namespace_ = "default";
  t.metadata.labels[core::kExperimentLabel] = "exp";
  t.spec.run_spec = std::move(run_spec);
  t.spec.primary_container_name = primary;
  t.spec.objective.objective_metric_name = "loss";
  t.spec.objective.additional_metric_names = {"acc"};
  t.spec.metrics_collector.kind = "StdOut";
  return t;
}

// A trial running `sh -c script` (extra words become $0, $1, ...).
inline core::Trial ShellTrial(const std::string& name, const std::string& script,
                              std::vector<std::string> extra = {}) {
  std::vector<std::string> command = {"sh", "-c", script};
  for (auto& e : extra) command.push_back(std::move(e));
  return MakeTrial(name, JobWith({{"name", "main"}, {"command", command}}));
}

// `trial` moved to namespace `ns` and experiment `experiment`.
inline core::Trial In(core::Trial trial, const std::string& ns, const std::string& experiment) {
  trial.metadata.namespace_ = ns;
  trial.metadata.labels[core::kExperimentLabel] = experiment;
  return trial;
}

// A named pipe; opening it blocks until the other side opens, which orders events between
// the test and a trial without sleeping.
class Fifo {
 public:
  explicit Fifo(std::filesystem::path path) : path_(std::move(path)) {
    EXPECT_EQ(mkfifo(path_.c_str(), 0666), 0) << path_;
  }
  const std::filesystem::path& path() const { return path_; }
  // Reads one line (blocks until a writer opened and wrote it). An open can return at once
  // while the previous line's writer still holds the FIFO, and then see its close as an end
  // with nothing to read: such an empty read is not a line, the FIFO is opened again. A
  // writer's line (one small write) arrives whole.
  std::string ReadLine() const {
    while (true) {
      int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno == EINTR) continue;
      if (fd < 0) return "";
      std::string line;
      char c;
      ssize_t n;
      while ((n = read(fd, &c, 1)) == 1 && c != '\n') line.push_back(c);
      const bool ended_empty = n == 0 && line.empty();
      close(fd);
      if (!ended_empty) return line;
    }
  }
  // Writes `text` (blocks until a reader opened).
  void Write(const std::string& text) const {
    int fd = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
  }

 private:
  std::filesystem::path path_;
};

// A pidfd on any process (not only a child); -1 if it is gone.
inline int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Whether the process of `pidfd` has exited, waiting at most `wait_ms`.
inline bool PidfdExited(int pidfd, int wait_ms = 0) {
  pollfd p = {pidfd, POLLIN, 0};
  return poll(&p, 1, wait_ms) == 1;
}

inline void PidfdKill(int pidfd) { syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0); }

// Runs this test binary with `--gtest_filter=filter` and `env` added, optionally as the
// unprivileged user `nobody` through setpriv; returns its wait status, output in `output`.
inline int RunSelf(const std::string& filter, const std::vector<std::string>& env, bool as_nobody,
                   const std::filesystem::path& output) {
  std::vector<std::string> args;
  if (as_nobody) {
    args = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  args.push_back(std::filesystem::read_symlink("/proc/self/exe").string());
  args.push_back("--gtest_filter=" + filter);
  std::vector<std::string> env_strings = env;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

}  // namespace ktune::controller::testing
