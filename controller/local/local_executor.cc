#include "controller/local/local_executor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <deque>
#include <future>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "controller/local/io.h"
#include "core/defaults.h"
#include "core/time_util.h"
#include "metrics-collector/parser.h"
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

// Bytes read from one source (stdout, the metrics file) before the supervisor looks at its
// other duties; keeps a trial that prints without pause from starving kills and flushes.
constexpr size_t kMaxReadPerTurn = size_t{1} << 20;
// How often a followed metrics file is checked for new data.
constexpr int kFollowTickMs = 100;
// Without a pidfd (kernel < 5.3) the exit is noticed by checking this often.
constexpr int kNoPidfdTickMs = 50;

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

int MillisUntil(Clock::time_point t) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
}

// Poll timeout: the smaller of `current` (-1: none) and `candidate` (>= 0).
int MinTimeout(int current, int candidate) {
  return current < 0 ? candidate : std::min(current, candidate);
}

void DrainEventFd(int fd) {
  uint64_t value;
  while (read(fd, &value, sizeof value) > 0) {
  }
}

// Whether the process has exited, leaving it unreaped (so its pid and pgid stay reserved).
// `info` gets the exit status when it has.
bool HasExited(pid_t pid, int pidfd, siginfo_t* info) {
  siginfo_t local_info;
  if (info == nullptr) info = &local_info;
  std::memset(info, 0, sizeof *info);
  int rc;
  do {
    rc = pidfd >= 0 ? waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), info,
                             WEXITED | WNOHANG | WNOWAIT)
                    : waitid(P_PID, static_cast<id_t>(pid), info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && pidfd >= 0 && errno == EINVAL) return HasExited(pid, -1, info);
  return rc == 0 && info->si_pid != 0;
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

// Samples waiting for the sink, in order, with the retry schedule.
class PendingMetrics {
 public:
  PendingMetrics(const LocalExecutorOptions& options, MetricsSink& sink, std::string trial)
      : options_(options), sink_(sink), trial_(std::move(trial)) {}

  void Add(std::vector<core::MetricLog>& fresh) {
    for (auto& log : fresh) logs_.push_back(std::move(log));
    fresh.clear();
    const size_t max = static_cast<size_t>(std::max(1, options_.max_buffered_metrics));
    uint64_t dropped_now = 0;
    while (logs_.size() > max) {
      logs_.pop_front();
      ++dropped_now;
    }
    if (dropped_now > 0) {
      if (dropped_ == 0) {
        spdlog::warn(
            "trial {}: the metrics sink is failing and {} samples are waiting; the "
            "oldest are dropped from now on",
            trial_, max);
      }
      dropped_ += dropped_now;
    }
  }

  bool empty() const { return logs_.empty(); }
  uint64_t dropped() const { return dropped_; }
  // When the next attempt is due (meaningful when !empty()).
  Clock::time_point next_try() const { return next_try_; }

  // Hands everything to the sink if an attempt is due; true when nothing is left.
  bool TryFlush() {
    if (logs_.empty()) return true;
    if (Clock::now() < next_try_) return false;
    std::vector<core::MetricLog> batch(logs_.begin(), logs_.end());
    absl::Status st = sink_.Report(trial_, batch);
    if (st.ok()) {
      if (failures_ > 0) {
        spdlog::info("trial {}: {} metric samples stored after {} failed attempts", trial_,
                     batch.size(), failures_);
      }
      logs_.clear();
      failures_ = 0;
      backoff_ms_ = 0;
      return true;
    }
    ++failures_;
    last_error_ = st;
    if ((failures_ & (failures_ - 1)) == 0) {  // 1st, 2nd, 4th, 8th, ... failure
      spdlog::warn("trial {}: storing {} metric samples failed (attempt {}), will retry: {}",
                   trial_, batch.size(), failures_, st.ToString());
    }
    backoff_ms_ = backoff_ms_ == 0 ? std::max(1, options_.sink_retry_initial_ms)
                                   : std::min(2 * backoff_ms_, options_.sink_retry_max_ms);
    next_try_ = Clock::now() + std::chrono::milliseconds(backoff_ms_);
    return false;
  }

  // Retries until everything is stored or `sink_flush_timeout_ms` has passed.
  void FlushAll() {
    const Clock::time_point deadline =
        Clock::now() + std::chrono::milliseconds(options_.sink_flush_timeout_ms);
    while (!TryFlush()) {
      if (next_try_ >= deadline) {
        spdlog::error("trial {}: {} metric samples could not be stored and are lost: {}", trial_,
                      logs_.size(), last_error_.ToString());
        dropped_ += logs_.size();
        logs_.clear();
        return;
      }
      std::this_thread::sleep_until(next_try_);
    }
  }

 private:
  const LocalExecutorOptions& options_;
  MetricsSink& sink_;
  const std::string trial_;
  std::deque<core::MetricLog> logs_;
  uint64_t dropped_ = 0;
  uint64_t failures_ = 0;
  int backoff_ms_ = 0;
  Clock::time_point next_try_{};
  absl::Status last_error_;
};

}  // namespace

struct LocalExecutor::Child {
  std::string name;
  ExitCallback on_exit;
  uint64_t thread_id = 0;
  local::SpawnRequest request;
  std::optional<local::LogWriter> log;
  UniqueFd out_read;
  UniqueFd out_write;
  UniqueFd wake;                                          // eventfd: Kill() wakes the supervisor
  std::unique_ptr<metrics::MetricsParser> stdout_parser;  // StdOut collector
  std::unique_ptr<metrics::MetricsParser> file_parser;    // File collector
  std::optional<local::FileFollower> follower;            // File collector
  std::string shared_metrics_file;  // set: registered in shared_metrics_files_
  std::promise<absl::Status> started;

  Mutex mu;
  pid_t pid ABSL_GUARDED_BY(mu) = -1;
  int pidfd ABSL_GUARDED_BY(mu) = -1;  // owned by `process`
  local::Process process ABSL_GUARDED_BY(mu);
  bool kill_requested ABSL_GUARDED_BY(mu) = false;
  // A stop signal (SIGTERM or SIGKILL) was sent while the main process had not yet exited.
  bool signalled ABSL_GUARDED_BY(mu) = false;
  // The main process is being or has been reaped: its pgid may be reused, never signal it.
  bool reaping ABSL_GUARDED_BY(mu) = false;

  // Sends `sig` to the trial's group unless its main process has exited (then the exit came
  // first and the trial is not "killed"). Returns whether it was sent.
  bool SignalGroupLocked(int sig) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (pid <= 0 || reaping || HasExited(pid, pidfd, nullptr)) return false;
    killpg(pid, sig);
    signalled = true;
    return true;
  }
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

LocalExecutor::LocalExecutor(LocalExecutorOptions options, MetricsSink& sink)
    : options_(std::move(options)), sink_(sink) {}

LocalExecutor::~LocalExecutor() {
  KillAllAndWait();
  std::map<uint64_t, std::thread> threads;
  {
    MutexLock lock(mu_);
    threads.swap(threads_);
    finished_threads_.clear();
  }
  for (auto& [id, thread] : threads) {
    if (thread.joinable()) thread.join();
  }
}

std::filesystem::path LocalExecutor::LogPath(const std::string& trial_name) const {
  return options_.log_dir / (trial_name + ".log");
}

std::filesystem::path LocalExecutor::MetricsPath(const std::string& trial_name,
                                                 const std::filesystem::path& metrics_file) const {
  return options_.log_dir / trial_name / "metrics" / metrics_file.filename();
}

bool LocalExecutor::IsolatesMetricsFiles() const {
  return options_.isolation.value_or(local::DetectIsolation()) != Isolation::kNone;
}

void LocalExecutor::JoinFinishedThreads() {
  std::vector<std::thread> done;
  {
    MutexLock lock(mu_);
    std::vector<uint64_t> keep;
    for (uint64_t id : finished_threads_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      if (it->second.get_id() == std::this_thread::get_id()) {
        keep.push_back(id);
        continue;
      }
      done.push_back(std::move(it->second));
      threads_.erase(it);
    }
    finished_threads_ = std::move(keep);
  }
  for (auto& t : done) t.join();
}

absl::Status LocalExecutor::Start(const core::Trial& trial, ExitCallback on_exit) {
  JoinFinishedThreads();
  absl::StatusOr<LocalCommand> cmd = LocalCommandFor(trial);
  if (!cmd.ok()) return cmd.status();
  {
    MutexLock lock(mu_);
    if (running_.count(trial.metadata.name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("trial ", trial.metadata.name, " is already running"));
    }
  }
  namespace fs = std::filesystem;

  auto child = std::make_shared<Child>();
  child->name = trial.metadata.name;
  child->on_exit = std::move(on_exit);
  std::vector<std::string> metric_names = {trial.spec.objective.objective_metric_name};
  for (const auto& m : trial.spec.objective.additional_metric_names) metric_names.push_back(m);
  const core::MetricsCollectorSpec& mc = trial.spec.metrics_collector;
  const std::vector<std::string> filters = mc.metrics_format.value_or(std::vector<std::string>{});
  fs::path work_dir = options_.work_dir;
  if (!cmd->working_dir.empty()) work_dir = options_.work_dir / cmd->working_dir;

  std::error_code ec;
  fs::create_directories(options_.log_dir, ec);
  if (ec) {
    return local::ErrnoStatus(
        ec.value(), absl::StrCat("creating the log directory ", options_.log_dir.string()));
  }

  std::string metrics_file;  // File collector: the path as the trial sees it
  if (mc.kind.empty() || mc.kind == "StdOut") {
    auto parser = metrics::NewMetricsParser(metrics::MetricsFormat::kText, metric_names, filters);
    if (!parser.ok()) return parser.status();
    child->stdout_parser = std::move(*parser);
  } else if (mc.kind == "File") {
    std::string path = mc.file_system_path ? mc.file_system_path->path : "";
    if (path.empty()) path = core::kDefaultFilePath;
    const bool json = mc.file_system_path && mc.file_system_path->format == "JSON";
    auto parser = metrics::NewMetricsParser(
        json ? metrics::MetricsFormat::kJson : metrics::MetricsFormat::kText, metric_names,
        filters);
    if (!parser.ok()) return parser.status();
    child->file_parser = std::move(*parser);
    fs::path file =
        fs::absolute(fs::path(path).is_absolute() ? fs::path(path) : work_dir / path, ec)
            .lexically_normal();
    if (ec || file.filename().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec.metricsCollectorSpec.source.fileSystemPath.path \"", path,
                       "\" does not name a file"));
    }
    metrics_file = file.string();
  } else {
    return absl::UnimplementedError(
        absl::StrCat("metrics collector kind ", mc.kind,
                     " is not supported when trials run as local processes; use StdOut or File"));
  }

  local::SpawnRequest& req = child->request;
  req.argv = cmd->argv;
  req.working_dir = work_dir.string();
  {
    std::map<std::string, std::string> overrides(cmd->env.begin(), cmd->env.end());
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
  if (!metrics_file.empty()) {
    const fs::path file(metrics_file);
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
      const fs::path host_dir = fs::absolute(options_.log_dir / child->name / "metrics", ec);
      fs::remove_all(host_dir, ec);  // a rerun of the trial starts with an empty folder
      fs::create_directories(host_dir, ec);
      if (ec) {
        return local::ErrnoStatus(ec.value(), absl::StrCat("creating ", host_dir.string()));
      }
      req.bind_source = host_dir.string();
      req.bind_target = dir.string();
      child->follower.emplace(host_dir / file.filename());
    } else {
      {
        MutexLock lock(mu_);
        if (shared_metrics_files_.count(metrics_file)) {
          return absl::FailedPreconditionError(
              absl::StrCat("cannot start trial ", child->name,
                           ": another running trial writes the metrics "
                           "file ",
                           metrics_file,
                           ", and without mount namespaces trials with the File "
                           "collector must run one at a time"));
        }
        shared_metrics_files_.insert(metrics_file);
      }
      child->shared_metrics_file = metrics_file;
      fs::create_directories(file.parent_path(), ec);
      int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) {
        absl::Status st = local::ErrnoStatus(errno, absl::StrCat("truncating ", metrics_file));
        MutexLock lock(mu_);
        shared_metrics_files_.erase(metrics_file);
        return st;
      }
      close(fd);
      child->follower.emplace(file);
    }
  }
  auto unregister_file = [&] {
    if (child->shared_metrics_file.empty()) return;
    MutexLock lock(mu_);
    shared_metrics_files_.erase(child->shared_metrics_file);
  };

  absl::StatusOr<local::LogWriter> log = local::LogWriter::Open(LogPath(child->name));
  if (!log.ok()) {
    unregister_file();
    return log.status();
  }
  child->log.emplace(std::move(*log));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    unregister_file();
    return local::ErrnoStatus(errno, "creating the output pipe");
  }
  child->out_read.reset(pipe_fds[0]);
  child->out_write.reset(pipe_fds[1]);
  fcntl(child->out_read.get(), F_SETFL, fcntl(child->out_read.get(), F_GETFL) | O_NONBLOCK);
  child->request.output_fd = child->out_write.get();
  child->wake.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!child->wake.valid()) {
    unregister_file();
    return local::ErrnoStatus(errno, "creating an eventfd");
  }

  std::future<absl::Status> started = child->started.get_future();
  {
    MutexLock lock(mu_);
    if (running_.count(child->name)) {
      shared_metrics_files_.erase(child->shared_metrics_file);
      return absl::AlreadyExistsError(absl::StrCat("trial ", child->name, " is already running"));
    }
    running_[child->name] = child;
    child->thread_id = ++next_thread_id_;
    // The thread waits for mu_ before it could finish, so the map holds it before it ends.
    threads_.emplace(child->thread_id, std::thread([this, child] { Supervise(child); }));
  }
  absl::Status st = started.get();
  if (st.ok()) {
    spdlog::debug("trial {} started", child->name);
    return st;
  }
  std::thread thread;
  {
    MutexLock lock(mu_);
    running_.erase(child->name);
    shared_metrics_files_.erase(child->shared_metrics_file);
    auto it = threads_.find(child->thread_id);
    if (it != threads_.end()) {
      thread = std::move(it->second);
      threads_.erase(it);
    }
    all_done_.SignalAll();
  }
  if (thread.joinable()) thread.join();
  return absl::Status(st.code(),
                      absl::StrCat("cannot start trial ", child->name, ": ", st.message()));
}

void LocalExecutor::Supervise(std::shared_ptr<Child> child) {
  absl::StatusOr<local::Process> spawned = local::Spawn(child->request);
  child->out_write.reset();  // the child has it; EOF comes when every writer is gone
  if (!spawned.ok()) {
    child->started.set_value(spawned.status());
    return;
  }
  pid_t pid = spawned->pid;
  int pidfd = spawned->pidfd.get();
  {
    MutexLock lock(child->mu);
    child->pid = pid;
    child->pidfd = pidfd;
    child->process = std::move(*spawned);
  }
  child->started.set_value(absl::OkStatus());
  spdlog::debug("trial {}: pid {}", child->name, pid);

  const int out_fd = child->out_read.get();
  const int wake_fd = child->wake.get();
  PendingMetrics pending(options_, sink_, child->name);
  std::vector<core::MetricLog> fresh;
  bool out_open = true;

  auto feed = [&](metrics::MetricsParser& parser, std::string_view chunk) {
    if (absl::Status st = parser.Feed(chunk, core::Now(), fresh); !st.ok()) {
      spdlog::warn("trial {}: {}", child->name, st.ToString());
    }
  };
  // Reads what stdout has now (at most kMaxReadPerTurn); false at EOF.
  auto read_output = [&]() -> bool {
    char buf[64 * 1024];
    size_t total = 0;
    bool open = true;
    while (total < kMaxReadPerTurn) {
      ssize_t n = read(out_fd, buf, sizeof buf);
      if (n > 0) {
        std::string_view chunk(buf, static_cast<size_t>(n));
        child->log->Append(chunk);
        if (child->stdout_parser) feed(*child->stdout_parser, chunk);
        total += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      open = false;  // EOF, or an error that ends this stream
      break;
    }
    child->log->Flush();  // so that `tail -f` on the trial log follows it live
    pending.Add(fresh);
    return open;
  };
  // Reads what the metrics file has now; true when there may be more.
  auto read_file = [&]() -> bool {
    if (!child->follower) return false;
    size_t n = child->follower->Read(
        kMaxReadPerTurn, [&](std::string_view chunk) { feed(*child->file_parser, chunk); });
    pending.Add(fresh);
    return n >= kMaxReadPerTurn;
  };

  // ---- while the main process runs ------------------------------------------------------
  bool term_sent = false;
  bool sigkill_sent = false;
  Clock::time_point kill_deadline = Clock::time_point::max();
  bool file_more = false;
  int poll_error = 0;
  while (true) {
    {
      MutexLock lock(child->mu);
      if (child->kill_requested && !term_sent) {
        term_sent = true;
        child->SignalGroupLocked(SIGTERM);
        kill_deadline = Clock::now() + std::chrono::milliseconds(options_.kill_grace_ms);
      } else if (term_sent && !sigkill_sent && Clock::now() >= kill_deadline) {
        sigkill_sent = true;
        child->SignalGroupLocked(SIGKILL);
      }
    }
    if (HasExited(pid, pidfd, nullptr)) break;

    pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {wake_fd, POLLIN, 0};
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    const nfds_t out_index = n;
    if (out_open) fds[n++] = {out_fd, POLLIN, 0};
    int timeout = -1;
    if (pidfd < 0) timeout = MinTimeout(timeout, kNoPidfdTickMs);
    if (child->follower) timeout = MinTimeout(timeout, file_more ? 0 : kFollowTickMs);
    if (term_sent && !sigkill_sent) timeout = MinTimeout(timeout, MillisUntil(kill_deadline));
    if (!pending.empty()) timeout = MinTimeout(timeout, MillisUntil(pending.next_try()));
    int ready = poll(fds, n, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      poll_error = errno;
      break;
    }
    if (fds[0].revents & POLLIN) DrainEventFd(wake_fd);
    if (out_open && (fds[out_index].revents & (POLLIN | POLLHUP | POLLERR))) {
      out_open = read_output();
    }
    file_more = read_file();
    pending.TryFlush();
  }

  // ---- the main process has exited (or supervision failed): kill the group, then reap ------
  siginfo_t info;
  bool signalled;
  {
    MutexLock lock(child->mu);
    if (poll_error != 0) child->SignalGroupLocked(SIGKILL);
    // The leader is a zombie until reaped, so its pgid cannot have been reused yet.
    killpg(pid, SIGKILL);
    child->reaping = true;
    signalled = child->signalled;
  }
  Reap(pid, pidfd, &info);

  // ---- what is left of the output, for a bounded time ---------------------------------------
  const Clock::time_point drain_deadline =
      Clock::now() + std::chrono::milliseconds(options_.post_exit_drain_ms);
  while (out_open) {
    out_open = read_output();  // what is there now (non-blocking)
    if (!out_open) break;
    bool stop;
    {
      MutexLock lock(child->mu);
      stop = child->kill_requested;  // Kill and teardown end the wait
    }
    if (stop || Clock::now() >= drain_deadline) break;
    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {out_fd, POLLIN, 0}};
    int timeout = MillisUntil(drain_deadline);
    if (!pending.empty()) timeout = std::min(timeout, MillisUntil(pending.next_try()));
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) DrainEventFd(wake_fd);
    pending.TryFlush();
  }
  if (out_open) {
    spdlog::info(
        "trial {}: a process that left the trial's process group still holds its "
        "output; stopped reading it",
        child->name);
  }
  child->out_read.reset();
  if (child->stdout_parser) {
    if (absl::Status st = child->stdout_parser->Finish(core::Now(), fresh); !st.ok()) {
      spdlog::warn("trial {}: {}", child->name, st.ToString());
    }
    pending.Add(fresh);
  }
  if (child->follower) {
    const Clock::time_point file_deadline =
        Clock::now() + std::chrono::milliseconds(options_.post_exit_drain_ms);
    while (read_file() && Clock::now() < file_deadline) {
    }
    if (!child->follower->seen()) {
      spdlog::warn("trial {}: the trial did not write its metrics file {}", child->name,
                   child->follower->path().string());
    }
    if (absl::Status st = child->file_parser->Finish(core::Now(), fresh); !st.ok()) {
      spdlog::warn("trial {}: {}", child->name, st.ToString());
    }
    pending.Add(fresh);
  }
  for (const auto* parser : {child->stdout_parser.get(), child->file_parser.get()}) {
    if (parser == nullptr || parser->dropped_lines() == 0) continue;
    std::string note =
        absl::StrCat(parser->dropped_lines(), " line(s) of the trial's ",
                     parser == child->stdout_parser.get() ? "output" : "metrics file",
                     " were longer than 1 MiB and were not parsed; metrics on them are lost");
    spdlog::warn("trial {}: {}", child->name, note);
    child->log->Append(absl::StrCat("\n[ktune] warning: ", note, "\n"));
  }
  pending.FlushAll();
  if (pending.dropped() > 0) {
    child->log->Append(absl::StrCat("\n[ktune] warning: ", pending.dropped(),
                                    " metric samples could not be stored and were dropped\n"));
  }
  child->log->Flush();
  if (!child->log->status().ok()) {
    spdlog::warn("trial {}: the trial log is incomplete: {}", child->name,
                 child->log->status().ToString());
  }
  child->log.reset();  // complete on disk before anyone hears the trial ended

  TrialExit exit;
  exit.trial_name = child->name;
  if (poll_error != 0) {
    exit.kind = TrialExit::Kind::kFailed;
    exit.reason = "SupervisorError";
    exit.message = absl::StrCat(
        "ktune could not watch the trial (poll: ", std::strerror(poll_error), ") and killed it");
  } else if (signalled) {
    exit.kind = TrialExit::Kind::kKilled;
    exit.reason = "Killed";
    exit.message = "the trial was stopped by ktune";
  } else if (info.si_code == CLD_EXITED && info.si_status == 0) {
    exit.kind = TrialExit::Kind::kSucceeded;
    exit.reason = "Completed";
  } else if (info.si_code == CLD_EXITED) {
    exit.kind = TrialExit::Kind::kFailed;
    exit.reason = "Error";
    exit.message = absl::StrCat("process exited with code ", info.si_status, "; see ",
                                LogPath(child->name).string());
  } else {
    exit.kind = TrialExit::Kind::kFailed;
    exit.reason = "Signal";
    exit.message = absl::StrCat("process was killed by ", SignalName(info.si_status), "; see ",
                                LogPath(child->name).string());
  }
  spdlog::debug("trial {} ended: {} {}", child->name, exit.reason, exit.message);
  {
    MutexLock lock(child->mu);
    child->process.pidfd.reset();
    child->pidfd = -1;
  }
  {
    // Reported from here on: Running() no longer counts it, and its name may start again.
    MutexLock lock(mu_);
    running_.erase(child->name);
    if (!child->shared_metrics_file.empty()) {
      shared_metrics_files_.erase(child->shared_metrics_file);
    }
    ++callbacks_running_;
  }
  child->on_exit(exit);
  Finished(child);
}

void LocalExecutor::Finished(const std::shared_ptr<Child>& child) {
  MutexLock lock(mu_);
  --callbacks_running_;
  finished_threads_.push_back(child->thread_id);
  all_done_.SignalAll();
}

void LocalExecutor::Kill(const std::string& trial_name) {
  std::shared_ptr<Child> child;
  {
    MutexLock lock(mu_);
    auto it = running_.find(trial_name);
    if (it == running_.end()) return;
    child = it->second;
  }
  {
    MutexLock lock(child->mu);
    child->kill_requested = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t r = write(child->wake.get(), &one, sizeof one);
}

void LocalExecutor::KillAllAndWait() {
  std::vector<std::string> names;
  {
    MutexLock lock(mu_);
    for (const auto& [name, child] : running_) names.push_back(name);
  }
  for (const auto& name : names) Kill(name);
  {
    MutexLock lock(mu_);
    while (!running_.empty() || callbacks_running_ > 0) all_done_.Wait(mu_);
  }
  JoinFinishedThreads();
}

void LocalExecutor::KillAllNow() {
  std::vector<std::shared_ptr<Child>> children;
  {
    MutexLock lock(mu_);
    for (const auto& [name, child] : running_) children.push_back(child);
  }
  for (const auto& child : children) {
    {
      MutexLock lock(child->mu);
      child->kill_requested = true;
      child->SignalGroupLocked(SIGKILL);
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = write(child->wake.get(), &one, sizeof one);
  }
}

int LocalExecutor::Running() const {
  MutexLock lock(mu_);
  return static_cast<int>(running_.size());
}

}  // namespace ktune::controller
