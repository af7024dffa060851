#include "controller/local/local_executor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/defaults.h"
#include "core/time_util.h"
#include "metrics-collector/parser.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace ktune::controller {
namespace {

using nlohmann::json;

// Depth-first search for pod specs (objects with a "containers" list) anywhere in the runSpec:
// a Job's spec.template.spec, a TFJob's replica templates, an Argo step, ...
void CollectContainers(const json& node, std::vector<const json*>& out) {
  if (node.is_object()) {
    auto it = node.find("containers");
    if (it != node.end() && it->is_array()) {
      for (const auto& c : *it) {
        if (c.is_object()) out.push_back(&c);
      }
    }
    for (const auto& [key, value] : node.items()) {
      if (key != "containers") CollectContainers(value, out);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) CollectContainers(item, out);
  }
}

std::vector<std::string> StringList(const json& container, const char* key) {
  std::vector<std::string> out;
  auto it = container.find(key);
  if (it == container.end() || !it->is_array()) return out;
  for (const auto& v : *it) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

absl::StatusOr<LocalCommand> LocalCommandFor(const core::Trial& trial) {
  std::vector<const json*> containers;
  CollectContainers(trial.spec.run_spec, containers);
  const std::string& primary = trial.spec.primary_container_name;
  const json* chosen = nullptr;
  std::vector<std::string> names;
  for (const json* c : containers) {
    std::string name = c->value("name", "");
    names.push_back(name);
    if (name == primary && !chosen) chosen = c;
  }
  if (!chosen) {
    if (containers.empty()) {
      return absl::InvalidArgumentError(
          "the trial template has no pod template with containers; the local executor runs the "
          "primary container's command, so give the template a pod spec with containers");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.trialTemplate.primaryContainerName \"", primary,
        "\" does not name a container of the trial template; containers: [",
        absl::StrJoin(names, ", "), "]"));
  }
  LocalCommand cmd;
  cmd.argv = StringList(*chosen, "command");
  for (auto& a : StringList(*chosen, "args")) cmd.argv.push_back(std::move(a));
  if (StringList(*chosen, "command").empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "container \"", primary,
        "\" has no command; the local executor cannot read an image's entrypoint, so set "
        "command (and args) in the trial template"));
  }
  auto env = chosen->find("env");
  if (env != chosen->end() && env->is_array()) {
    for (const auto& e : *env) {
      if (!e.is_object() || !e.contains("name")) continue;
      std::string name = e.value("name", "");
      if (e.contains("value")) {
        const json& v = e["value"];
        cmd.env.emplace_back(name, v.is_string() ? v.get<std::string>() : v.dump());
      } else if (e.contains("valueFrom")) {
        // The only fieldRef a trial can resolve locally is its own name.
        std::string path = e["valueFrom"].value("fieldRef", json::object()).value("fieldPath", "");
        if (path == "metadata.name" || path == "metadata.labels['katib.kubeflow.org/trial']") {
          cmd.env.emplace_back(name, trial.metadata.name);
        } else {
          spdlog::warn("trial {}: env {} uses valueFrom, which the local executor cannot resolve; "
                       "it is left unset", trial.metadata.name, name);
        }
      }
    }
  }
  cmd.env.emplace_back("KATIB_TRIAL_NAME", trial.metadata.name);
  cmd.working_dir = chosen->value("workingDir", "");
  return cmd;
}

struct LocalExecutor::Child {
  std::string name;
  pid_t pid = -1;
  int out_fd = -1;    // read end of the stdout/stderr pipe
  int wake_fd = -1;   // eventfd: Kill() wakes the supervisor
  std::atomic<bool> kill_requested{false};
  std::unique_ptr<metrics::MetricsParser> parser;  // StdOut collector; null otherwise
  std::string metrics_file;                        // File collector: parsed after exit
  std::string metrics_format;                      // TEXT | JSON
  std::vector<std::string> metric_names;
  std::vector<std::string> filters;
  ExitCallback on_exit;
};

LocalExecutor::LocalExecutor(LocalExecutorOptions options, MetricsSink& sink)
    : options_(std::move(options)), sink_(sink) {}

LocalExecutor::~LocalExecutor() { KillAllAndWait(); }

std::filesystem::path LocalExecutor::LogPath(const std::string& trial_name) const {
  return options_.log_dir / (trial_name + ".log");
}

absl::Status LocalExecutor::Start(const core::Trial& trial, ExitCallback on_exit) {
  absl::StatusOr<LocalCommand> cmd = LocalCommandFor(trial);
  if (!cmd.ok()) return cmd.status();

  auto child = std::make_shared<Child>();
  child->name = trial.metadata.name;
  child->on_exit = std::move(on_exit);
  child->metric_names.push_back(trial.spec.objective.objective_metric_name);
  for (const auto& m : trial.spec.objective.additional_metric_names) child->metric_names.push_back(m);
  const core::MetricsCollectorSpec& mc = trial.spec.metrics_collector;
  child->filters = mc.metrics_format.value_or(std::vector<std::string>{});
  std::filesystem::path work_dir = options_.work_dir;
  if (!cmd->working_dir.empty()) work_dir = options_.work_dir / cmd->working_dir;

  if (mc.kind.empty() || mc.kind == "StdOut") {
    auto parser = metrics::TextMetricsParser::Create(child->metric_names, child->filters);
    if (!parser.ok()) return parser.status();
    child->parser = std::move(*parser);
  } else if (mc.kind == "File") {
    std::string path = mc.file_system_path ? mc.file_system_path->path : core::kDefaultFilePath;
    child->metrics_file = std::filesystem::path(path).is_absolute() ? path : (work_dir / path).string();
    child->metrics_format = mc.file_system_path ? mc.file_system_path->format : "TEXT";
  } else {
    return absl::UnimplementedError(absl::StrCat(
        "metrics collector kind ", mc.kind,
        " is not supported when trials run as local processes; use StdOut or File"));
  }

  std::error_code ec;
  std::filesystem::create_directories(options_.log_dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create log directory ",
                                               options_.log_dir.string(), ": ", ec.message()));
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }

  std::vector<std::string> env_strings;
  std::map<std::string, std::string> overrides(cmd->env.begin(), cmd->env.end());
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    std::string key(kv.substr(0, kv.find('=')));
    if (!overrides.count(key)) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : cmd->env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& a : cmd->argv) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  std::string dir = work_dir.string();
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    std::string why = std::strerror(rc);
    if (rc == ENOENT) {
      std::error_code dir_ec;
      why = std::filesystem::is_directory(work_dir, dir_ec)
                ? absl::StrCat("command \"", cmd->argv[0], "\" not found (PATH and working directory ",
                               dir, ")")
                : absl::StrCat("working directory ", dir, " does not exist");
    }
    return absl::FailedPreconditionError(absl::StrCat("cannot start trial ", child->name, ": ", why));
  }
  child->pid = pid;
  child->out_fd = pipe_fds[0];
  child->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_[child->name] = child;
  }
  spdlog::debug("trial {} started: pid {}", child->name, pid);
  std::thread([this, child] { Supervise(child); }).detach();
  return absl::OkStatus();
}

void LocalExecutor::Supervise(std::shared_ptr<Child> child) {
  std::ofstream log(LogPath(child->name), std::ios::app | std::ios::binary);
  int pidfd = PidfdOpen(child->pid);
  fcntl(child->out_fd, F_SETFL, fcntl(child->out_fd, F_GETFL) | O_NONBLOCK);
  std::vector<core::MetricLog> logs;
  auto report = [&] {
    if (logs.empty()) return;
    if (absl::Status st = sink_.Report(child->name, logs); !st.ok()) {
      spdlog::warn("trial {}: storing {} metric samples failed: {}", child->name, logs.size(),
                   st.ToString());
    }
    logs.clear();
  };
  auto drain = [&]() -> bool {  // false at EOF
    char buf[65536];
    while (true) {
      ssize_t n = read(child->out_fd, buf, sizeof buf);
      if (n > 0) {
        log.write(buf, n);
        log.flush();  // so that `tail -f` on the trial log follows it live
        if (child->parser) {
          if (absl::Status st = child->parser->Feed(std::string_view(buf, n), core::Now(), logs); !st.ok()) {
            spdlog::warn("trial {}: {}", child->name, st.ToString());
          }
        }
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      return true;  // EAGAIN: nothing more for now
    }
  };

  bool out_open = true;
  bool exited = false;
  int wait_status = 0;
  std::optional<std::chrono::steady_clock::time_point> kill_deadline;
  while (!exited) {
    pollfd fds[3];
    int n = 0;
    fds[n++] = {child->wake_fd, POLLIN, 0};
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    int out_index = -1;
    if (out_open) {
      out_index = n;
      fds[n++] = {child->out_fd, POLLIN, 0};
    }
    int timeout = -1;
    if (pidfd < 0) timeout = 50;  // no pidfd (old kernel): fall back to checking periodically
    if (kill_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*kill_deadline -
                                                                        std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    int ready = poll(fds, n, timeout);
    if (ready < 0 && errno != EINTR) break;
    if (child->kill_requested && !kill_deadline) {
      uint64_t v;
      [[maybe_unused]] ssize_t r = read(child->wake_fd, &v, sizeof v);
      killpg(child->pid, SIGTERM);
      kill_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.kill_grace_ms);
    } else if (kill_deadline && std::chrono::steady_clock::now() >= *kill_deadline) {
      killpg(child->pid, SIGKILL);
      kill_deadline = std::chrono::steady_clock::now() + std::chrono::hours(24);
    }
    if (out_open && out_index >= 0 && (fds[out_index].revents & (POLLIN | POLLHUP | POLLERR))) {
      out_open = drain();
      report();
    }
    pid_t r = waitpid(child->pid, &wait_status, WNOHANG);
    if (r == child->pid) exited = true;
  }
  // The main process is gone: anything it left behind in its group goes too (as a pod's
  // processes end with its main container), then the rest of its output is read.
  killpg(child->pid, SIGKILL);
  if (out_open) {
    fcntl(child->out_fd, F_SETFL, fcntl(child->out_fd, F_GETFL) & ~O_NONBLOCK);
    drain();
  }
  if (child->parser) {
    if (absl::Status st = child->parser->Finish(core::Now(), logs); !st.ok()) {
      spdlog::warn("trial {}: {}", child->name, st.ToString());
    }
  }
  report();
  if (!child->metrics_file.empty()) {
    std::ifstream in(child->metrics_file, std::ios::binary);
    if (!in) {
      spdlog::warn("trial {}: metrics file {} was not written", child->name, child->metrics_file);
    } else {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      absl::StatusOr<std::unique_ptr<metrics::MetricsParser>> parser;
      if (child->metrics_format == "JSON") {
        auto p = metrics::JsonMetricsParser::Create(child->metric_names);
        if (p.ok()) parser = std::unique_ptr<metrics::MetricsParser>(std::move(*p)); else parser = p.status();
      } else {
        auto p = metrics::TextMetricsParser::Create(child->metric_names, child->filters);
        if (p.ok()) parser = std::unique_ptr<metrics::MetricsParser>(std::move(*p)); else parser = p.status();
      }
      if (parser.ok()) {
        auto now = core::Now();
        if (absl::Status st = (*parser)->Feed(text, now, logs); !st.ok()) {
          spdlog::warn("trial {}: {}", child->name, st.ToString());
        }
        (void)(*parser)->Finish(now, logs);
        report();
      }
    }
  }
  close(child->out_fd);
  if (pidfd >= 0) close(pidfd);
  log.close();  // complete on disk before anyone hears the trial ended

  TrialExit exit;
  exit.trial_name = child->name;
  if (child->kill_requested) {
    exit.kind = TrialExit::Kind::kKilled;
    exit.reason = "Killed";
    exit.message = "the trial was stopped by ktune";
  } else if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    exit.kind = TrialExit::Kind::kSucceeded;
    exit.reason = "Completed";
  } else if (WIFEXITED(wait_status)) {
    exit.kind = TrialExit::Kind::kFailed;
    exit.reason = "Error";
    exit.message = absl::StrCat("process exited with code ", WEXITSTATUS(wait_status),
                                "; see ", LogPath(child->name).string());
  } else {
    exit.kind = TrialExit::Kind::kFailed;
    exit.reason = "Signal";
    exit.message = absl::StrCat("process was killed by ", SignalName(WTERMSIG(wait_status)),
                                "; see ", LogPath(child->name).string());
  }
  spdlog::debug("trial {} ended: {} {}", child->name, exit.reason, exit.message);
  child->on_exit(exit);
  std::lock_guard<std::mutex> lock(mu_);
  running_.erase(child->name);
  close(child->wake_fd);  // only now: Kill() writes to it under mu_ while the child is listed
  all_done_.notify_all();
}

void LocalExecutor::Kill(const std::string& trial_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(trial_name);
  if (it == running_.end()) return;
  it->second->kill_requested = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t r = write(it->second->wake_fd, &one, sizeof one);
}

void LocalExecutor::KillAllAndWait() {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, child] : running_) names.push_back(name);
  }
  for (const auto& name : names) Kill(name);
  std::unique_lock<std::mutex> lock(mu_);
  all_done_.wait(lock, [&] { return running_.empty(); });
}

void LocalExecutor::KillAllNow() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, child] : running_) {
    child->kill_requested = true;
    killpg(child->pid, SIGKILL);
  }
}

int LocalExecutor::Running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(running_.size());
}

}  // namespace ktune::controller
