#pragma once
// LocalExecutor: runs each trial as a child process of this one.
//
// The trial's primary container (spec.primaryContainerName, searched for in any pod template
// of the runSpec) gives command + args, env and workingDir. The argv is passed to the program
// directly, never through a shell (a parameter value stays one argument); a user command
// that is itself `sh -c ...` is of course run by that shell. Each trial runs in its own
// process group so that Kill stops everything it started; when the trial's main process
// ends, what is left of its group is killed too (as a pod's processes end with its main
// container). stdout and stderr go, merged, to `<log_dir>/<trial>.log` and, with the StdOut
// collector, through the metrics parser to the sink while the trial runs.
//
// File collector: the trial writes its metrics file at the configured path
// (fileSystemPath.path, Katib's /var/log/katib/metrics.log by default), and each trial sees
// its own file there, also when trials run in parallel: the trial runs in a private mount
// namespace in which `<log_dir>/<trial>/metrics/` is bound over the file's directory (see
// controller/local/spawn.h). The host follows `<log_dir>/<trial>/metrics/<file>` while the
// trial runs and reads the rest after it ended, in bounded chunks, through the TEXT or JSON
// parser. Where namespaces are unavailable (IsolatesMetricsFiles() is false), the trial
// writes the host's path, which is truncated before the trial starts; such trials must then
// run one at a time (Start refuses a second one on the same path while one runs), and a
// trial that wrote nothing is judged by nothing, never by an earlier trial's file.
//
// Output whose descendants outlive the trial: after the main process has been reaped, its
// output is read for at most `post_exit_drain_ms` more (a descendant that left the group with
// setsid may hold the pipe open forever), then the trial is reported.
//
// Metrics: a batch the sink refuses is kept (at most `max_buffered_metrics` samples; beyond
// that the oldest are dropped, counted and logged) and retried with capped exponential
// backoff; before a trial's exit is reported, everything is handed to the sink, retrying for
// at most `sink_flush_timeout_ms`. Over-long lines (more than 1 MiB) that the parser drops
// are counted in a warning in the log and in the trial's log file.
//
// Threads: one supervisor thread per running trial, which forks the trial (so that the
// trial's PR_SET_PDEATHSIG fires if ktune dies), reads its output and reports its exit. The
// threads are joined, at the latest by the destructor; no callback runs after the destructor
// returns. Every descriptor the executor opens is O_CLOEXEC, and a trial inherits none of
// ktune's descriptors beyond stdin, stdout and stderr.
//
// Exits: as executor.h says; in addition reason "SupervisorError" (kFailed) when ktune could
// not watch the trial (poll failed) and killed it. A trial counts as reported (Running() no
// longer counts it, its name may be started again) from the moment its exit callback begins.
//
// Thread safety: all methods may be called from any thread, and Start and Kill also from an
// exit callback. KillAllAndWait and the destructor must not be called from an exit callback.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "controller/executor.h"
#include "controller/local/spawn.h"
#include "core/mutex.h"

namespace ktune::controller {

struct LocalExecutorOptions {
  // Working directory of trials whose container has no workingDir; a relative workingDir is
  // resolved against it.
  std::filesystem::path work_dir = ".";
  // Per-trial output logs go here (created if missing).
  std::filesystem::path log_dir = "ktune-logs";
  // Grace period between SIGTERM and SIGKILL when killing a trial.
  int kill_grace_ms = 3000;
  // How long the output of a trial whose main process ended is still read (see above).
  int post_exit_drain_ms = 1500;
  // Samples kept while the sink fails; beyond this the oldest are dropped.
  int max_buffered_metrics = 100000;
  // Retry backoff after a failed sink.Report: starts at the first value, doubles, capped.
  int sink_retry_initial_ms = 50;
  int sink_retry_max_ms = 2000;
  // How long the last samples of an ended trial are retried before they are dropped and the
  // exit is reported anyway.
  int sink_flush_timeout_ms = 30000;
  // How File-collector trials get their own metrics file; unset: the best this process can
  // do (local::DetectIsolation()). kNone writes the host's path (one trial at a time).
  std::optional<local::Isolation> isolation = std::nullopt;
  // Which of ktune's own environment variables a trial inherits (the template's env and
  // KATIB_TRIAL_NAME are always set). Unset: all of them, as a shell would (`ktune run`, where
  // the user starts the trials). Set: only the names listed, where a trailing `*` matches a
  // prefix (`LC_*`); a server passes kServerInheritedEnv so that its own credentials (a
  // database DSN, tokens) never reach user code.
  std::optional<std::vector<std::string>> inherited_env = std::nullopt;
};

// The environment a service (`ktune server`) lets trials inherit: what programs need to find
// tools, locales, temp space and GPUs, nothing that carries credentials.
inline const std::vector<std::string> kServerInheritedEnv = {"PATH",
                                                             "HOME",
                                                             "USER",
                                                             "LOGNAME",
                                                             "SHELL",
                                                             "LANG",
                                                             "LANGUAGE",
                                                             "LC_*",
                                                             "TZ",
                                                             "TMPDIR",
                                                             "TERM",
                                                             "LD_LIBRARY_PATH",
                                                             "PYTHONPATH",
                                                             "VIRTUAL_ENV",
                                                             "CONDA_PREFIX",
                                                             "CUDA_VISIBLE_DEVICES",
                                                             "NVIDIA_VISIBLE_DEVICES",
                                                             "OMP_NUM_THREADS"};

// True when `name` matches one of `patterns` (exact, or a prefix ending in `*`).
bool EnvNameAllowed(const std::string& name, const std::vector<std::string>& patterns);

class LocalExecutor : public Executor {
 public:
  LocalExecutor(LocalExecutorOptions options, MetricsSink& sink);
  // Kills every trial, waits for its exit callback, and joins every thread.
  ~LocalExecutor() override;

  // Errors (nothing started, `on_exit` never called): InvalidArgument for a template the
  // local executor cannot run (LocalCommandFor) or an unusable File-collector path;
  // Unimplemented for a collector kind other than StdOut and File; AlreadyExists for a trial
  // of that name still running; FailedPrecondition when isolation is unavailable and another
  // running trial uses the same metrics file, or when the mount namespace cannot be set up;
  // NotFound for a command or working directory that does not exist; ResourceExhausted when
  // out of file descriptors or processes; others from the file system.
  absl::Status Start(const core::Trial& trial, ExitCallback on_exit) override;
  void Kill(const std::string& trial_name) override;
  void KillAllAndWait() override;
  void KillAllNow() override;
  int Running() const override;

  // Whether File-collector trials each see their own metrics file (a private mount
  // namespace is available here). When false, the caller must run File-collector trials
  // one at a time and should tell the user why. Cheap after the first call (detected once
  // per process).
  bool IsolatesMetricsFiles() const;

  // The log file of a trial (whether or not it exists yet).
  std::filesystem::path LogPath(const std::string& trial_name) const;
  // The host file that a File-collector trial's metrics file is, while isolation is
  // available: `<log_dir>/<trial>/metrics/<file name>`.
  std::filesystem::path MetricsPath(const std::string& trial_name,
                                    const std::filesystem::path& metrics_file) const;

 private:
  struct Child;
  void Supervise(std::shared_ptr<Child> child);
  void Finished(const std::shared_ptr<Child>& child);
  void JoinFinishedThreads();

  const LocalExecutorOptions options_;
  MetricsSink& sink_;
  mutable Mutex mu_;
  CondVar all_done_;
  // Trials started and not yet reported.
  std::map<std::string, std::shared_ptr<Child>> running_ ABSL_GUARDED_BY(mu_);
  // Exit callbacks being run.
  int callbacks_running_ ABSL_GUARDED_BY(mu_) = 0;
  // Metrics files of running trials that write the host's path (no isolation).
  std::set<std::string> shared_metrics_files_ ABSL_GUARDED_BY(mu_);
  uint64_t next_thread_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> finished_threads_ ABSL_GUARDED_BY(mu_);
};

// What the local executor will run for a trial: the primary container's argv, env additions
// and working directory. Exposed for tests and for callers that want to check a template
// before starting trials. Never throws: a field of the wrong type is InvalidArgument naming
// its path in the runSpec, e.g.
// `spec.template.spec.containers[0].workingDir: must be a string`.
struct LocalCommand {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // empty: the executor's default
};
absl::StatusOr<LocalCommand> LocalCommandFor(const core::Trial& trial);

}  // namespace ktune::controller
