#pragma once
// LocalExecutor: runs each trial as a child process of this one.
//
// The trial's primary container (spec.primaryContainerName, searched for in any pod template
// of the runSpec) gives command + args, env and workingDir. The argv is passed to the program
// directly, never through a shell (a parameter value stays one argument); a user command
// that is itself `sh -c ...` is of course run by that shell. Each trial runs in its own
// process group so that Kill stops everything it started. stdout and stderr go, merged, to
// `<log_dir>/<trial>.log` and through the metrics parser (StdOut collector) to the sink.
//
// Thread safety: all methods may be called from any thread.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <string>

#include "absl/status/statusor.h"
#include "controller/executor.h"

namespace ktune::controller {

struct LocalExecutorOptions {
  // Working directory of trials whose container has no workingDir; a relative workingDir is
  // resolved against it.
  std::filesystem::path work_dir = ".";
  // Per-trial output logs go here (created if missing).
  std::filesystem::path log_dir = "ktune-logs";
  // Grace period between SIGTERM and SIGKILL when killing a trial.
  int kill_grace_ms = 3000;
};

class LocalExecutor : public Executor {
 public:
  LocalExecutor(LocalExecutorOptions options, MetricsSink& sink);
  ~LocalExecutor() override;

  absl::Status Start(const core::Trial& trial, ExitCallback on_exit) override;
  void Kill(const std::string& trial_name) override;
  void KillAllAndWait() override;
  void KillAllNow() override;
  int Running() const override;

  // The log file of a trial (whether or not it exists yet).
  std::filesystem::path LogPath(const std::string& trial_name) const;

 private:
  struct Child;
  void Supervise(std::shared_ptr<Child> child);

  const LocalExecutorOptions options_;
  MetricsSink& sink_;
  mutable std::mutex mu_;
  std::condition_variable all_done_;
  std::map<std::string, std::shared_ptr<Child>> running_;
};

// What the local executor will run for a trial: the primary container's argv, env additions
// and working directory. Exposed for tests and `ktune validate`.
struct LocalCommand {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // empty: the executor's default
};
absl::StatusOr<LocalCommand> LocalCommandFor(const core::Trial& trial);

}  // namespace ktune::controller
