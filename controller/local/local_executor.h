#pragma once
// LocalExecutor: runs each trial as a child process of this one.
//
// The trial's primary container (spec.primaryContainerName, searched for in any pod template
// of the runSpec) gives command + args, env and workingDir. The argv is passed to the program
// directly, never through a shell (a parameter value stays one argument); a user command
// that is itself `sh -c ...` is of course run by that shell. Each trial runs in its own
// process group so that a stop ends everything it started; when the trial's main process
// ends, what is left of its group is killed too (as a pod's processes end with its main
// container). stdout and stderr go, merged, to LogPath(trial) and, with the StdOut collector,
// through the metrics collector (metrics-collector/collector.h) to the sink while the trial
// runs. A trial inherits no descriptor of ktune's beyond stdin (/dev/null), stdout and stderr
// (every descriptor the executor opens is O_CLOEXEC), no signal handler or mask, and only the
// environment LocalExecutorOptions::inherited_env allows. Its main process dies with ktune,
// also on `kill -9` (PR_SET_PDEATHSIG; the process is forked by the supervisor thread, which
// lives as long as the executor).
//
// File collector: the trial writes its metrics file at the configured path
// (fileSystemPath.path, Katib's /var/log/katib/metrics.log by default), and each trial sees
// its own file there, also when trials run in parallel: the trial runs in a private mount
// namespace in which MetricsPath()'s directory is bound over the file's directory (see
// controller/local/spawn.h). The collector follows that file while the trial runs and reads
// the rest after it ended, in bounded chunks. Where namespaces are unavailable
// (IsolatesMetricsFiles() is false), the trial writes the host's path, which is truncated
// before the trial starts; such trials must then run one at a time (Start refuses a second
// one on the same path while one runs), and a trial that wrote nothing is judged by nothing,
// never by an earlier trial's file.
//
// Output whose descendants outlive the trial: after the main process has been reaped, its
// output is read for at most `post_exit_drain_ms` more (a descendant that left the group with
// setsid may hold the pipe open forever; a stop request ends that wait at once), then the
// trial is reported. Memory per trial is bounded (64 KiB chunks, 1 MiB lines, the metrics
// buffer), whatever the trial prints.
//
// Metrics: every trial has a MetricsCollector on the executor's MetricsReporter (batching, a
// bounded buffer of `max_buffered_metrics` samples per trial, retry with capped backoff,
// `sink_flush_timeout_ms` to flush after the exit; collector.h states the rules). Samples lost
// to a failing sink and lines over 1 MiB are counted in a `[ktune] warning:` line at the end
// of the trial's log. Katib's unavailable rule is the collector's: a trial that succeeded
// without ever reporting its objective gets {0001-01-01T00:00:00Z, objective, "unavailable"}.
//
// Threads: three, whatever the number of trials: the supervisor (one epoll loop over every
// trial's pidfd and output pipe, with the timers of kill grace periods, post-exit drains and
// metrics-file polling; it forks every trial), the metrics reporter (sink calls), and the
// callback thread (exit callbacks, in the order the trials were flushed). All are joined by
// the destructor; no callback runs after it returns.
//
// Exits, as executor.h says: a stop is reported with the kind of its StopReason (kKill:
// kKilled "Killed", kEarlyStop: kEarlyStopped "EarlyStopped", kInterrupt: kInterrupted
// "Interrupted") only when its signal was sent before the main process ended; the first stop
// sent decides. KillAllNow without an earlier stop reports kInterrupted. Otherwise exit 0 is
// kSucceeded "Completed", another code kFailed "Error", a signal kFailed "Signal"; and
// "SupervisorError" (kFailed) when ktune could not watch the trial (epoll failed) and killed
// it. Adopt reports kInterrupted "ControllerRestarted" from the callback thread: a local trial
// never survives the ktune that started it. A trial counts as reported (Running() no longer
// counts it, its ref may be started again) from the moment its exit callback begins.
//
// Thread safety: all methods may be called from any thread, and Start, Adopt, Stop,
// KillAll(wait=false) and KillAllNow also from an exit callback or a sink. KillAll with wait,
// Shutdown and the destructor must not be called from an exit callback or a sink (they wait
// for them).

#include <cstdint>
#include <deque>
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
#include "metrics-collector/collector.h"

namespace ktune::controller {

struct LocalExecutorOptions {
  // Working directory of trials whose container has no workingDir; a relative workingDir is
  // resolved against it.
  std::filesystem::path work_dir = ".";
  // Per-trial output logs and metrics folders go here (created if missing); see log_layout.
  std::filesystem::path log_dir = "ktune-logs";
  // kFlat: `<log_dir>/<trial>.log` and `<log_dir>/<trial>/metrics/`, for an executor whose
  // trials have unique names (`ktune run`, whose log_dir is `<log-dir>/<experiment>`): a
  // trial is refused (AlreadyExists) while one of the same name runs in any namespace.
  // kPerExperiment: `<log_dir>/<namespace>/<experiment>/<trial>.log` and
  // `.../<trial>/metrics/` (a server running many experiments).
  enum class LogLayout { kFlat, kPerExperiment };
  LogLayout log_layout = LogLayout::kFlat;
  // Grace period between SIGTERM and SIGKILL when killing a trial.
  int kill_grace_ms = 3000;
  // How long the output of a trial whose main process ended is still read (see above).
  int post_exit_drain_ms = 1500;
  // Samples of one trial kept while the sink fails; beyond this the oldest are dropped.
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
  // Which of ktune's own environment variables a trial inherits (the template's env,
  // KATIB_TRIAL_NAME, KTUNE_TRIAL_NAMESPACE and the service env are always set). Unset: all of
  // them, as a shell would (`ktune run`, where the user starts the trials). Set: only the names
  // listed, where a trailing `*` matches a prefix (`LC_*`); a server passes kServerInheritedEnv so
  // that its own credentials (a database DSN, tokens) never reach user code.
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
  // Borrows `sink`, which must outlive the executor. Starts the executor's threads.
  LocalExecutor(LocalExecutorOptions options, MetricsSink& sink);
  // Shutdown(StopReason::kInterrupt), then joins every thread.
  ~LocalExecutor() override;

  // Errors (nothing started, `on_exit` never called): InvalidArgument for a template the
  // local executor cannot run (LocalCommandFor), an unusable File-collector path or a name
  // that cannot be a file name; Unimplemented for a collector kind other than StdOut and
  // File; AlreadyExists for a trial with this ref (kFlat: this name) still running;
  // FailedPrecondition after Shutdown, when isolation is unavailable and another running
  // trial uses the same metrics file, or when the mount namespace cannot be set up; NotFound
  // for a command or working directory that does not exist; ResourceExhausted when out of
  // file descriptors or processes; Internal when the supervisor failed; others from the file
  // system.
  absl::Status Start(const core::Trial& trial, ExitCallback on_exit) override;
  // Local runs never survive their controller: reports kInterrupted (see above). Errors:
  // AlreadyExists, FailedPrecondition after Shutdown.
  absl::Status Adopt(const core::Trial& trial, ExitCallback on_exit) override;
  // SIGTERM to the trial's process group, SIGKILL after `kill_grace_ms`.
  void Stop(const TrialRef& trial, StopReason reason) override;
  void KillAll(const std::string& ns, const std::string& experiment, StopReason reason,
               bool wait) override;
  // Also makes every later Start and Adopt fail (FailedPrecondition).
  void Shutdown(StopReason reason) override;
  void KillAllNow() override;
  int Running(const std::string& ns, const std::string& experiment) const override;
  int Running() const override;

  // Whether File-collector trials each see their own metrics file (a private mount
  // namespace is available here). When false, the caller must run File-collector trials
  // one at a time and should tell the user why. Cheap after the first call (detected once
  // per process).
  bool IsolatesMetricsFiles() const;

  // Variables every trial started from now on gets, unless its template sets the same name:
  // what a service knows only once it listens (`ktune server`: KTUNE_DB_MANAGER_ADDRESS, its
  // gRPC DBManager, where the SDK's report_metrics pushes). Replaces what was set before.
  void SetServiceEnv(std::vector<std::pair<std::string, std::string>> env);

  // The log file of a trial (whether or not it exists yet).
  std::filesystem::path LogPath(const TrialRef& trial) const;
  // The host file that a File-collector trial's metrics file is, while isolation is
  // available: `<trial folder>/metrics/<file name>` (see LocalExecutorOptions::log_layout).
  std::filesystem::path MetricsPath(const TrialRef& trial,
                                    const std::filesystem::path& metrics_file) const;

 private:
  struct Run;
  struct Command;
  class Supervisor;

  std::filesystem::path TrialDir(const TrialRef& trial) const;
  absl::Status Prepare(const core::Trial& trial, const TrialRef& ref, Run& run);
  // Registers `run` (running from now on for Running() and Stop).
  absl::Status Register(const std::shared_ptr<Run>& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unregister(const Run& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Post(Command command) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Called once per run (any thread): hands the exit to the callback thread.
  void Report(std::shared_ptr<Run> run, TrialExit exit);
  void StopMatching(const std::string* ns, const std::string* experiment, StopReason reason,
                    bool wait);
  void CallbackLoop();

  const LocalExecutorOptions options_;
  // Declared before everything that holds collectors, so that it is destroyed after them.
  metrics::MetricsReporter reporter_;
  mutable Mutex mu_;
  CondVar changed_;  // a spawn answered, a callback returned, a callback queued
  // Trials started or adopted and not yet reported.
  std::map<TrialRef, std::shared_ptr<Run>> runs_ ABSL_GUARDED_BY(mu_);
  // kFlat: names of runs_.
  std::set<std::string> names_ ABSL_GUARDED_BY(mu_);
  // Runs whose exit callback has not returned yet, with their trials (KillAll with wait and
  // Shutdown wait for these, also for a run already out of runs_ whose callback is running).
  std::map<uint64_t, TrialRef> live_ ABSL_GUARDED_BY(mu_);
  // Metrics files of running trials that write the host's path (no isolation).
  std::set<std::string> shared_metrics_files_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> service_env_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  // The supervisor's answers to spawn requests, by run id, until Start takes them.
  std::map<uint64_t, absl::Status> spawned_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_threads_ ABSL_GUARDED_BY(mu_) = false;
  // Exits waiting for the callback thread, in order.
  std::deque<std::pair<std::shared_ptr<Run>, TrialExit>> exits_ ABSL_GUARDED_BY(mu_);
  std::thread::id callback_thread_id_;
  std::unique_ptr<Supervisor> supervisor_;
  std::thread callback_thread_;
};

// What the local executor will run for a trial: the primary container's argv, env additions
// and working directory. Exposed for `ktune run`, which checks a template before starting
// trials, and for tests. Never throws: a field of the wrong type is InvalidArgument naming
// its path in the runSpec, e.g.
// `spec.template.spec.containers[0].workingDir: must be a string`.
struct LocalCommand {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // empty: the executor's default
  // The Job's spec.activeDeadlineSeconds (or a training job's spec.runPolicy's): the run is
  // stopped (SIGTERM, then SIGKILL after the grace period) that long after it started, and
  // reported Failed with reason DeadlineExceeded, as Kubernetes reports such a Job.
  std::optional<int64_t> active_deadline_seconds;
};
absl::StatusOr<LocalCommand> LocalCommandFor(const core::Trial& trial);

}  // namespace ktune::controller
