#include "controller/local/local_executor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "controller/local/io.h"
#include "core/defaults.h"
#include "spdlog/spdlog.h"

extern char** environ;

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace ktune::controller {
namespace {

using Clock = std::chrono::steady_clock;
using local::Isolation;
using local::UniqueFd;
using metrics::MetricsCollector;

// How often a followed metrics file is checked for new data.
constexpr std::chrono::milliseconds kFollowTick(100);
// Without a pidfd (kernel < 5.3), or a descriptor epoll refused, it is checked this often.
constexpr std::chrono::milliseconds kFallbackTick(50);
// Events taken from epoll per wakeup.
constexpr int kMaxEvents = 64;

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

// Whether the process has exited, leaving it unreaped (so its pid and pgid stay reserved).
bool HasExited(pid_t pid, int pidfd) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  int rc;
  do {
    rc = pidfd >= 0 ? waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info,
                             WEXITED | WNOHANG | WNOWAIT)
                    : waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && pidfd >= 0 && errno == EINVAL) return HasExited(pid, -1);
  return rc == 0 && info.si_pid != 0;
}

// Reaps the process; its status in `info`.
void Reap(pid_t pid, int pidfd, siginfo_t* info) {
  std::memset(info, 0, sizeof *info);
  int rc;
  do {
    rc = pidfd >= 0
             ? waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), info, WEXITED)
             : waitid(P_PID, static_cast<id_t>(pid), info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && pidfd >= 0 && errno == EINVAL) Reap(pid, -1, info);
}

int MillisUntil(Clock::time_point now, Clock::time_point t) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count();
  // Round up, so that a wakeup never comes just before the deadline.
  if (t > now && left == 0) left = 1;
  return static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
}

bool IsFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// epoll data: 0 is the wake eventfd; otherwise run id * 2 + which descriptor.
constexpr uint64_t kWakeTag = 0;
uint64_t Tag(uint64_t id, bool output) { return id * 2 + (output ? 1 : 0); }

}  // namespace

struct LocalExecutor::Command {
  enum class Kind { kSpawn, kStop, kKillNow };
  Kind kind;
  std::shared_ptr<Run> run;
  StopReason reason = StopReason::kKill;
};

struct LocalExecutor::Run {
  uint64_t id = 0;
  TrialRef ref;
  ExitCallback on_exit;
  std::string shared_metrics_file;  // set: registered in shared_metrics_files_
  std::filesystem::path log_path;

  // Prepared by Start; from the spawn on used by the supervisor only, and at the end (log)
  // by the reporter's Finish callback.
  local::SpawnRequest request;
  UniqueFd out_write;
  std::unique_ptr<local::LogWriter> log;
  std::unique_ptr<MetricsCollector> collector;

  // The supervisor's state of the run.
  pid_t pid = -1;
  UniqueFd pidfd;
  bool pid_polled = false;  // the pidfd is in epoll
  bool pid_ready = false;   // epoll said the pidfd is readable (the process exited)
  bool out_polled = false;  // the output is in epoll
  bool out_open = false;
  Clock::time_point next_tick{};  // fallback checks (no pidfd, output not in epoll)
  std::optional<StopReason> requested;
  bool kill_now = false;
  // Set when a stop signal reached the trial before its main process ended: the reason.
  std::optional<StopReason> sent;
  bool term_sent = false;
  bool sigkill_sent = false;
  Clock::time_point kill_deadline{};
  bool exited = false;  // reaped
  siginfo_t info{};
  Clock::time_point drain_deadline{};
  bool file_more = false;
  Clock::time_point next_file_read{};
  int supervisor_error = 0;
  // activeDeadlineSeconds: how long it may run, and when that ends once spawned.
  std::optional<std::chrono::seconds> active_deadline;
  Clock::time_point deadline{};
  bool deadline_hit = false;  // the deadline's SIGTERM reached the running trial
};

// The one thread that forks, watches and reaps every trial: an epoll loop over the pidfds and
// output pipes of the running trials and an eventfd that wakes it for commands.
class LocalExecutor::Supervisor {
 public:
  explicit Supervisor(LocalExecutor& executor) : ex_(executor) {
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) {
      init_ = local::ErrnoStatus(errno, "creating the supervisor's epoll descriptor");
      return;
    }
    wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_.valid()) {
      init_ = local::ErrnoStatus(errno, "creating the supervisor's eventfd");
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0) {
      init_ = local::ErrnoStatus(errno, "watching the supervisor's eventfd");
      return;
    }
    thread_ = std::thread([this] { Loop(); });
  }

  ~Supervisor() {
    {
      MutexLock lock(mu_);
      quit_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  // OK, or why the supervisor cannot run trials.
  absl::Status status() {
    MutexLock lock(mu_);
    return init_;
  }

  // Queues a command; false (and nothing queued) when the supervisor has failed.
  bool Post(Command command) {
    {
      MutexLock lock(mu_);
      if (!init_.ok()) return false;
      commands_.push_back(std::move(command));
    }
    Wake();
    return true;
  }

 private:
  void Wake() {
    if (!wake_.valid()) return;
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_.get(), &one, sizeof one);
  }

  void Answer(uint64_t id, const absl::Status& status) {
    // A copy of its own (not a second reference to this thread's status): absl::Status counts
    // references with atomics in libabsl, which ThreadSanitizer does not see, so a status
    // shared across threads reads as a race when the last reference goes.
    absl::Status own =
        status.ok() ? absl::OkStatus() : absl::Status(status.code(), std::string(status.message()));
    MutexLock lock(ex_.mu_);
    ex_.spawned_[id] = std::move(own);
    ex_.changed_.SignalAll();
  }

  void Loop() {
    epoll_event events[kMaxEvents];
    while (true) {
      std::deque<Command> commands;
      bool quit;
      {
        MutexLock lock(mu_);
        commands.swap(commands_);
        quit = quit_;
      }
      for (Command& c : commands) Handle(c);
      // Quitting with nothing left to watch: return now, even when this turn handled commands.
      // (Waiting instead would sleep for good: the wake-up that said "quit" may already have
      // been read with the one that brought those commands.)
      if (quit && active_.empty()) return;

      const Clock::time_point now = Clock::now();
      std::vector<std::shared_ptr<Run>> runs;
      runs.reserve(active_.size());
      for (const auto& [id, run] : active_) runs.push_back(run);
      for (const auto& run : runs) Advance(run, now);

      const int n = epoll_wait(epoll_.get(), events, kMaxEvents, Timeout(Clock::now()));
      if (n < 0) {
        if (errno == EINTR) continue;
        Fail(errno);
        return;
      }
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        if (tag == kWakeTag) {
          uint64_t value;
          while (read(wake_.get(), &value, sizeof value) > 0) {
          }
          continue;
        }
        auto it = active_.find(tag / 2);
        if (it == active_.end()) continue;
        Run& run = *it->second;
        if (tag % 2 == 0) {
          run.pid_ready = true;
        } else if (run.out_open) {
          ReadOutput(run);
        }
      }
    }
  }

  void Handle(Command& c) {
    switch (c.kind) {
      case Command::Kind::kSpawn:
        Spawn(c.run);
        return;
      case Command::Kind::kStop:
        if (!c.run->requested) c.run->requested = c.reason;
        return;
      case Command::Kind::kKillNow:
        c.run->kill_now = true;
        return;
    }
  }

  void Spawn(const std::shared_ptr<Run>& run) {
    absl::StatusOr<local::Process> process = local::Spawn(run->request);
    run->out_write.reset();  // the child has it; EOF comes when every writer is gone
    if (!process.ok()) {
      Answer(run->id, process.status());
      return;
    }
    run->pid = process->pid;
    run->pidfd = std::move(process->pidfd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (run->pidfd.valid()) {
      ev.data.u64 = Tag(run->id, false);
      run->pid_polled = epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, run->pidfd.get(), &ev) == 0;
    }
    run->out_open = true;
    ev.data.u64 = Tag(run->id, true);
    run->out_polled = epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, run->collector->output_fd(), &ev) == 0;
    if (!run->pid_polled || !run->out_polled) {
      spdlog::debug("trial {}: watched by polling every {} ms", run->ref.name,
                    kFallbackTick.count());
    }
    run->next_tick = Clock::now() + kFallbackTick;
    run->next_file_read = Clock::now();
    if (run->active_deadline) run->deadline = Clock::now() + *run->active_deadline;
    active_[run->id] = run;
    spdlog::debug("trial {}: pid {}", run->ref.name, run->pid);
    Answer(run->id, absl::OkStatus());
  }

  // Sends `sig` to the trial's group unless its main process has exited (then the exit came
  // first and the trial is not "stopped"). Returns whether it was sent.
  bool SignalGroup(Run& run, int sig) {
    if (run.exited || HasExited(run.pid, run.pidfd.get())) return false;
    killpg(run.pid, sig);
    if (!run.sent) run.sent = run.requested.value_or(StopReason::kInterrupt);
    return true;
  }

  void ReadOutput(Run& run) {
    const MetricsCollector::ReadState state = run.collector->ReadOutput();
    run.log->Flush();  // after every read, so that `tail -f` on the trial log follows it live
    if (state == MetricsCollector::ReadState::kEnded) CloseOutput(run);
  }

  void CloseOutput(Run& run) {
    if (!run.out_open) return;
    if (run.out_polled) {
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, run.collector->output_fd(), nullptr);
    }
    run.collector->CloseOutput();
    run.out_open = false;
  }

  // The main process has exited: kill what is left of its group, reap it.
  void OnExited(Run& run, Clock::time_point now) {
    // The leader is a zombie until reaped, so its pgid cannot have been reused yet.
    killpg(run.pid, SIGKILL);
    Reap(run.pid, run.pidfd.get(), &run.info);
    run.exited = true;
    if (run.pid_polled) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, run.pidfd.get(), nullptr);
    run.pidfd.reset();
    run.drain_deadline = now + std::chrono::milliseconds(ex_.options_.post_exit_drain_ms);
    run.file_more = run.collector->follows_file();  // the rest of the file, after the exit
  }

  void Advance(const std::shared_ptr<Run>& run_ptr, Clock::time_point now) {
    Run& run = *run_ptr;
    const bool tick = now >= run.next_tick;
    if (tick) run.next_tick = now + kFallbackTick;
    if (!run.exited) {
      if (run.active_deadline && !run.term_sent && !run.requested && now >= run.deadline) {
        run.term_sent = true;
        run.deadline_hit = SignalGroup(run, SIGTERM);
        run.kill_deadline = now + std::chrono::milliseconds(ex_.options_.kill_grace_ms);
        if (run.deadline_hit) {
          spdlog::info("trial {}: stopped at its activeDeadlineSeconds ({} s)", run.ref.name,
                       run.active_deadline->count());
        }
      }
      if (run.requested && !run.term_sent) {
        run.term_sent = true;
        SignalGroup(run, SIGTERM);
        run.kill_deadline = now + std::chrono::milliseconds(ex_.options_.kill_grace_ms);
      }
      if (!run.sigkill_sent && (run.kill_now || (run.term_sent && now >= run.kill_deadline))) {
        run.sigkill_sent = true;
        SignalGroup(run, SIGKILL);
      }
      if (run.out_open && !run.out_polled && tick) ReadOutput(run);
      if (run.collector->follows_file() && (run.file_more || now >= run.next_file_read)) {
        run.file_more = run.collector->ReadFile();
        run.next_file_read = now + kFollowTick;
      }
      if (run.pid_ready || (!run.pid_polled && tick)) {
        run.pid_ready = false;
        if (HasExited(run.pid, run.pidfd.get())) OnExited(run, now);
      }
      if (!run.exited) return;
    }
    if (run.out_open && (now >= run.drain_deadline || run.requested || run.kill_now)) {
      ReadOutput(run);  // what is there now
      if (run.out_open) {
        spdlog::info(
            "trial {}: a process that left the trial's process group still holds its "
            "output; stopped reading it",
            run.ref.name);
        CloseOutput(run);
      }
    } else if (run.out_open && !run.out_polled && tick) {
      ReadOutput(run);
    }
    if (run.file_more) {
      run.file_more = now < run.drain_deadline && run.collector->ReadFile();
    }
    if (!run.out_open && !run.file_more) Finish(run_ptr);
  }

  int Timeout(Clock::time_point now) const {
    int timeout = -1;
    auto at = [&](Clock::time_point t) {
      const int ms = MillisUntil(now, t);
      timeout = timeout < 0 ? ms : std::min(timeout, ms);
    };
    for (const auto& [id, run_ptr] : active_) {
      const Run& run = *run_ptr;
      if ((!run.exited && !run.pid_polled) || (run.out_open && !run.out_polled)) {
        at(run.next_tick);
      }
      if (!run.exited) {
        if (run.term_sent && !run.sigkill_sent) at(run.kill_deadline);
        if (run.active_deadline && !run.term_sent) at(run.deadline);
        if (run.collector->follows_file()) at(run.file_more ? now : run.next_file_read);
      } else {
        if (run.out_open) at(run.drain_deadline);
        if (run.file_more) at(now);
      }
    }
    return timeout;
  }

  TrialExit ExitOf(const Run& run) const {
    TrialExit exit;
    exit.trial = run.ref;
    const std::string log = run.log_path.string();
    if (run.supervisor_error != 0) {
      exit.kind = TrialExit::Kind::kFailed;
      exit.reason = "SupervisorError";
      exit.message = absl::StrCat("ktune could not watch the trial (epoll: ",
                                  std::strerror(run.supervisor_error), ") and killed it");
    } else if (run.deadline_hit) {
      exit.kind = TrialExit::Kind::kFailed;
      exit.reason = "DeadlineExceeded";
      exit.message = absl::StrCat("the trial ran longer than its activeDeadlineSeconds (",
                                  run.active_deadline->count(), " s) and was stopped; see ", log);
    } else if (run.sent == StopReason::kKill) {
      exit.kind = TrialExit::Kind::kKilled;
      exit.reason = "Killed";
      exit.message = "the trial was stopped by ktune";
    } else if (run.sent == StopReason::kEarlyStop) {
      exit.kind = TrialExit::Kind::kEarlyStopped;
      exit.reason = "EarlyStopped";
      exit.message = "the trial was stopped by an early-stopping rule";
    } else if (run.sent == StopReason::kInterrupt) {
      exit.kind = TrialExit::Kind::kInterrupted;
      exit.reason = "Interrupted";
      exit.message =
          "the trial was interrupted by ktune; it runs again when the experiment resumes";
    } else if (run.info.si_code == CLD_EXITED && run.info.si_status == 0) {
      exit.kind = TrialExit::Kind::kSucceeded;
      exit.reason = "Completed";
    } else if (run.info.si_code == CLD_EXITED) {
      exit.kind = TrialExit::Kind::kFailed;
      exit.reason = "Error";
      exit.message = absl::StrCat("process exited with code ", run.info.si_status, "; see ", log);
    } else {
      exit.kind = TrialExit::Kind::kFailed;
      exit.reason = "Signal";
      exit.message =
          absl::StrCat("process was killed by ", SignalName(run.info.si_status), "; see ", log);
    }
    return exit;
  }

  // The run is over on this side: the collector flushes, then the exit is reported.
  void Finish(std::shared_ptr<Run> run) {
    CloseOutput(*run);
    TrialExit exit = ExitOf(*run);
    spdlog::debug("trial {} ended: {} {}", run->ref.name, exit.reason, exit.message);
    const bool succeeded = exit.kind == TrialExit::Kind::kSucceeded;
    LocalExecutor& ex = ex_;
    active_.erase(run->id);
    std::unique_ptr<MetricsCollector> collector = std::move(run->collector);
    collector->Finish(succeeded, [&ex, run, exit = std::move(exit)](
                                     const metrics::CollectorResult& result) mutable {
      for (const std::string& warning : result.Warnings()) {
        spdlog::warn("trial {}: {}", run->ref.name, warning);
        run->log->Append(absl::StrCat("\n[ktune] warning: ", warning, "\n"));
      }
      run->log->Flush();
      if (!run->log->status().ok()) {
        spdlog::warn("trial {}: the trial log is incomplete: {}", run->ref.name,
                     run->log->status().ToString());
      }
      run->log.reset();  // complete on disk before anyone hears the trial ended
      ex.Report(run, std::move(exit));
    });
  }

  // epoll failed: nothing can be watched any more. Kill every trial, report each as a
  // supervisor error, and refuse new ones.
  void Fail(int err) {
    spdlog::error("the local executor's supervisor failed (epoll_wait: {}); killing every trial",
                  std::strerror(err));
    std::deque<Command> commands;
    {
      MutexLock lock(mu_);
      init_ = local::ErrnoStatus(err, "the local executor's supervisor failed (epoll_wait)");
      commands.swap(commands_);
    }
    for (Command& c : commands) {
      if (c.kind == Command::Kind::kSpawn) {
        Answer(c.run->id, absl::InternalError("the local executor's supervisor failed"));
      }
    }
    std::vector<std::shared_ptr<Run>> runs;
    for (const auto& [id, run] : active_) runs.push_back(run);
    for (const auto& run : runs) {
      run->supervisor_error = err;
      if (!run->exited) {
        killpg(run->pid, SIGKILL);
        OnExited(*run, Clock::now());
      }
      if (run->out_open) ReadOutput(*run);
      run->file_more = false;
      Finish(run);
    }
  }

  LocalExecutor& ex_;
  UniqueFd epoll_;
  UniqueFd wake_;
  Mutex mu_;
  absl::Status init_ ABSL_GUARDED_BY(mu_);
  std::deque<Command> commands_ ABSL_GUARDED_BY(mu_);
  bool quit_ ABSL_GUARDED_BY(mu_) = false;
  // Spawned and not yet finished; the supervisor thread's own.
  std::map<uint64_t, std::shared_ptr<Run>> active_;
  std::thread thread_;
};

bool EnvNameAllowed(const std::string& name, const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (name.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0) return true;
    } else if (name == p) {
      return true;
    }
  }
  return false;
}

namespace {
metrics::ReporterOptions ReporterOptionsOf(const LocalExecutorOptions& o) {
  metrics::ReporterOptions r;
  r.max_buffered_samples = static_cast<size_t>(std::max(1, o.max_buffered_metrics));
  r.retry_initial = std::chrono::milliseconds(o.sink_retry_initial_ms);
  r.retry_max = std::chrono::milliseconds(o.sink_retry_max_ms);
  r.flush_timeout = std::chrono::milliseconds(o.sink_flush_timeout_ms);
  return r;
}
}  // namespace

LocalExecutor::LocalExecutor(LocalExecutorOptions options, MetricsSink& sink)
    : options_(std::move(options)), reporter_(sink, ReporterOptionsOf(options_)) {
  supervisor_ = std::make_unique<Supervisor>(*this);
  callback_thread_ = std::thread([this] { CallbackLoop(); });
  callback_thread_id_ = callback_thread_.get_id();
}

LocalExecutor::~LocalExecutor() {
  Shutdown(StopReason::kInterrupt);
  supervisor_.reset();
  {
    MutexLock lock(mu_);
    stopping_threads_ = true;
    changed_.SignalAll();
  }
  callback_thread_.join();
}

std::filesystem::path LocalExecutor::TrialDir(const TrialRef& trial) const {
  if (options_.log_layout == LocalExecutorOptions::LogLayout::kFlat) return options_.log_dir;
  return options_.log_dir / trial.ns / trial.experiment;
}

std::filesystem::path LocalExecutor::LogPath(const TrialRef& trial) const {
  return TrialDir(trial) / (trial.name + ".log");
}

std::filesystem::path LocalExecutor::MetricsPath(const TrialRef& trial,
                                                 const std::filesystem::path& metrics_file) const {
  return TrialDir(trial) / trial.name / "metrics" / metrics_file.filename();
}

void LocalExecutor::SetServiceEnv(std::vector<std::pair<std::string, std::string>> env) {
  MutexLock lock(mu_);
  service_env_ = std::move(env);
}

bool LocalExecutor::IsolatesMetricsFiles() const {
  return options_.isolation.value_or(local::DetectIsolation()) != Isolation::kNone;
}

absl::Status LocalExecutor::Prepare(const core::Trial& trial, const TrialRef& ref, Run& run) {
  namespace fs = std::filesystem;
  absl::StatusOr<LocalCommand> cmd = LocalCommandFor(trial);
  if (!cmd.ok()) return cmd.status();
  absl::StatusOr<metrics::CollectorSpec> spec = metrics::CollectorSpecFor(trial);
  if (!spec.ok()) return spec.status();
  fs::path work_dir = options_.work_dir;
  if (!cmd->working_dir.empty()) work_dir = options_.work_dir / cmd->working_dir;

  std::error_code ec;
  const fs::path trial_dir = TrialDir(ref);
  fs::create_directories(trial_dir, ec);
  if (ec) {
    return local::ErrnoStatus(ec.value(),
                              absl::StrCat("creating the log directory ", trial_dir.string()));
  }

  local::SpawnRequest& req = run.request;
  req.argv = cmd->argv;
  if (cmd->active_deadline_seconds) {
    run.active_deadline = std::chrono::seconds(*cmd->active_deadline_seconds);
  }
  req.working_dir = work_dir.string();
  {
    std::map<std::string, std::string> overrides(cmd->env.begin(), cmd->env.end());
    {
      MutexLock lock(mu_);
      for (const auto& [k, v] : service_env_) {
        if (overrides.emplace(k, v).second) cmd->env.emplace_back(k, v);
      }
    }
    for (char** e = environ; *e; ++e) {
      std::string_view kv(*e);
      std::string key(kv.substr(0, kv.find('=')));
      if (overrides.count(key)) continue;
      if (options_.inherited_env && !EnvNameAllowed(key, *options_.inherited_env)) continue;
      req.env.emplace_back(kv);
    }
    for (const auto& [k, v] : cmd->env) req.env.push_back(k + "=" + v);
  }

  // The metrics file: a per-trial folder bound over its directory, or the host's file.
  fs::path follow;
  if (spec->source == metrics::CollectorSpec::Source::kFile) {
    const std::string& path = spec->file_path;
    fs::path file =
        fs::absolute(fs::path(path).is_absolute() ? fs::path(path) : work_dir / path, ec)
            .lexically_normal();
    if (ec || file.filename().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec.metricsCollectorSpec.source.fileSystemPath.path \"", path,
                       "\" does not name a file"));
    }
    const std::string metrics_file = file.string();
    req.isolation = options_.isolation.value_or(local::DetectIsolation());
    if (req.isolation != Isolation::kNone) {
      const fs::path dir = file.parent_path();
      fs::path wd = fs::absolute(work_dir, ec).lexically_normal();
      auto [dir_end, wd_it] = std::mismatch(dir.begin(), dir.end(), wd.begin(), wd.end());
      if (dir == dir.root_path() || dir_end == dir.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("spec.metricsCollectorSpec.source.fileSystemPath.path ", metrics_file,
                         ": each trial gets a folder of its own bound over ", dir.string(),
                         ", which would hide the trial's working directory ", wd.string(),
                         "; put the metrics file in a directory of its own (Katib's default is ",
                         core::kDefaultFilePath, ")"));
      }
      const fs::path host_file = fs::absolute(MetricsPath(ref, file), ec);
      const fs::path host_dir = host_file.parent_path();
      fs::remove_all(host_dir, ec);  // a rerun of the trial starts with an empty folder
      fs::create_directories(host_dir, ec);
      if (ec) {
        return local::ErrnoStatus(ec.value(), absl::StrCat("creating ", host_dir.string()));
      }
      req.bind_source = host_dir.string();
      req.bind_target = dir.string();
      follow = host_file;
    } else {
      {
        MutexLock lock(mu_);
        if (shared_metrics_files_.count(metrics_file)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cannot start trial ", ref.name, ": another running trial writes the metrics file ",
              metrics_file,
              ", and without mount namespaces trials with the File collector must run one at "
              "a time"));
        }
        shared_metrics_files_.insert(metrics_file);
      }
      run.shared_metrics_file = metrics_file;
      fs::create_directories(file.parent_path(), ec);
      int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) return local::ErrnoStatus(errno, absl::StrCat("truncating ", metrics_file));
      close(fd);
      follow = file;
    }
  }

  run.log_path = LogPath(ref);
  absl::StatusOr<local::LogWriter> log = local::LogWriter::Open(run.log_path);
  if (!log.ok()) return log.status();
  run.log = std::make_unique<local::LogWriter>(std::move(*log));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return local::ErrnoStatus(errno, "creating the output pipe");
  }
  run.out_write.reset(pipe_fds[1]);
  req.output_fd = run.out_write.get();
  local::LogWriter* writer = run.log.get();
  absl::StatusOr<std::unique_ptr<MetricsCollector>> collector =
      MetricsCollector::Create(*std::move(spec),
                               {.output_fd = pipe_fds[0],
                                .tee = [writer](std::string_view chunk) { writer->Append(chunk); },
                                .file = follow},
                               reporter_);
  if (!collector.ok()) return collector.status();
  run.collector = *std::move(collector);
  return absl::OkStatus();
}

absl::Status LocalExecutor::Register(const std::shared_ptr<Run>& run) {
  if (shutting_down_) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start trial ", run->ref.name, ": the executor is shutting down"));
  }
  const bool flat = options_.log_layout == LocalExecutorOptions::LogLayout::kFlat;
  if (runs_.count(run->ref) || (flat && names_.count(run->ref.name))) {
    return absl::AlreadyExistsError(absl::StrCat("trial ", run->ref.name, " is already running"));
  }
  runs_[run->ref] = run;
  if (flat) names_.insert(run->ref.name);
  run->id = ++next_id_;
  live_.emplace(run->id, run->ref);
  return absl::OkStatus();
}

void LocalExecutor::Unregister(const Run& run) {
  auto it = runs_.find(run.ref);
  if (it != runs_.end() && it->second.get() == &run) {
    runs_.erase(it);
    if (options_.log_layout == LocalExecutorOptions::LogLayout::kFlat) names_.erase(run.ref.name);
  }
  if (!run.shared_metrics_file.empty()) shared_metrics_files_.erase(run.shared_metrics_file);
}

absl::Status LocalExecutor::Start(const core::Trial& trial, ExitCallback on_exit) {
  const TrialRef ref = TrialRef::Of(trial);
  if (!IsFileName(ref.name) ||
      (options_.log_layout == LocalExecutorOptions::LogLayout::kPerExperiment &&
       ((!ref.ns.empty() && !IsFileName(ref.ns)) ||
        (!ref.experiment.empty() && !IsFileName(ref.experiment))))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trial \"", ref.name, "\" (namespace \"", ref.ns, "\", experiment \"", ref.experiment,
        "\"): names must be usable as file names (no '/', not '.' or '..')"));
  }
  {
    MutexLock lock(mu_);
    if (absl::Status st = supervisor_->status(); !st.ok()) return st;
    if (shutting_down_) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot start trial ", ref.name, ": the executor is shutting down"));
    }
    const bool flat = options_.log_layout == LocalExecutorOptions::LogLayout::kFlat;
    if (runs_.count(ref) || (flat && names_.count(ref.name))) {
      return absl::AlreadyExistsError(absl::StrCat("trial ", ref.name, " is already running"));
    }
  }
  auto run = std::make_shared<Run>();
  run->ref = ref;
  run->on_exit = std::move(on_exit);
  absl::Status st = Prepare(trial, ref, *run);
  MutexLock lock(mu_);
  if (st.ok()) st = Register(run);
  if (!st.ok()) {
    if (!run->shared_metrics_file.empty()) shared_metrics_files_.erase(run->shared_metrics_file);
    return st;
  }
  if (!supervisor_->Post({Command::Kind::kSpawn, run})) {
    st = supervisor_->status();
  } else {
    while (!spawned_.count(run->id)) changed_.Wait(mu_);
    st = std::move(spawned_[run->id]);
    spawned_.erase(run->id);
    if (st.ok()) {
      spdlog::debug("trial {} started", ref.name);
      return st;
    }
  }
  Unregister(*run);
  live_.erase(run->id);
  changed_.SignalAll();
  return absl::Status(st.code(), absl::StrCat("cannot start trial ", ref.name, ": ", st.message()));
}

absl::Status LocalExecutor::Adopt(const core::Trial& trial, ExitCallback on_exit) {
  auto run = std::make_shared<Run>();
  run->ref = TrialRef::Of(trial);
  run->on_exit = std::move(on_exit);
  MutexLock lock(mu_);
  if (absl::Status st = Register(run); !st.ok()) return st;
  TrialExit exit;
  exit.trial = run->ref;
  exit.kind = TrialExit::Kind::kInterrupted;
  exit.reason = "ControllerRestarted";
  exit.message = "a local trial does not survive the ktune process that started it; it runs again";
  exits_.emplace_back(std::move(run), std::move(exit));
  changed_.SignalAll();
  return absl::OkStatus();
}

void LocalExecutor::Report(std::shared_ptr<Run> run, TrialExit exit) {
  MutexLock lock(mu_);
  exits_.emplace_back(std::move(run), std::move(exit));
  changed_.SignalAll();
}

// Locks by hand: the lock is let go around every exit callback.
void LocalExecutor::CallbackLoop() {
  mu_.Lock();
  while (true) {
    while (exits_.empty() && !stopping_threads_) changed_.Wait(mu_);
    if (exits_.empty()) break;
    auto [run, exit] = std::move(exits_.front());
    exits_.pop_front();
    // Reported from here on: Running() no longer counts it, and its ref may start again.
    Unregister(*run);
    mu_.Unlock();
    run->on_exit(exit);
    mu_.Lock();
    live_.erase(run->id);
    changed_.SignalAll();
  }
  mu_.Unlock();
}

void LocalExecutor::Stop(const TrialRef& trial, StopReason reason) {
  MutexLock lock(mu_);
  auto it = runs_.find(trial);
  if (it == runs_.end()) return;
  supervisor_->Post({Command::Kind::kStop, it->second, reason});
}

void LocalExecutor::StopMatching(const std::string* ns, const std::string* experiment,
                                 StopReason reason, bool wait) {
  MutexLock lock(mu_);
  if (ns == nullptr) shutting_down_ = true;
  std::vector<uint64_t> ids;
  auto it = ns == nullptr ? runs_.begin() : runs_.lower_bound(TrialRef{*ns, *experiment, ""});
  for (; it != runs_.end(); ++it) {
    if (ns != nullptr && (it->first.ns != *ns || it->first.experiment != *experiment)) break;
    supervisor_->Post({Command::Kind::kStop, it->second, reason});
    ids.push_back(it->second->id);
  }
  if (!wait) return;
  if (std::this_thread::get_id() == callback_thread_id_) {
    spdlog::error(
        "LocalExecutor: KillAll with wait or Shutdown called from an exit callback; "
        "not waiting (it would wait for itself)");
    return;
  }
  // Every run of the match whose callback has not returned: those stopped above, and those
  // already reported whose callback is running now (out of runs_, so not among them), which
  // the caller may be about to destroy the target of.
  for (const auto& [id, ref] : live_) {
    if (ns == nullptr || (ref.ns == *ns && ref.experiment == *experiment)) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    while (live_.count(id) > 0) changed_.Wait(mu_);
  }
}

void LocalExecutor::KillAll(const std::string& ns, const std::string& experiment, StopReason reason,
                            bool wait) {
  StopMatching(&ns, &experiment, reason, wait);
}

void LocalExecutor::Shutdown(StopReason reason) { StopMatching(nullptr, nullptr, reason, true); }

void LocalExecutor::KillAllNow() {
  MutexLock lock(mu_);
  for (const auto& [ref, run] : runs_) supervisor_->Post({Command::Kind::kKillNow, run});
}

int LocalExecutor::Running(const std::string& ns, const std::string& experiment) const {
  MutexLock lock(mu_);
  int n = 0;
  for (auto it = runs_.lower_bound(TrialRef{ns, experiment, ""});
       it != runs_.end() && it->first.ns == ns && it->first.experiment == experiment; ++it) {
    ++n;
  }
  return n;
}

int LocalExecutor::Running() const {
  MutexLock lock(mu_);
  return static_cast<int>(runs_.size());
}

}  // namespace ktune::controller
