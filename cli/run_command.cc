// `ktune run FILE`: the whole experiment in this process, on a SQLite file, trials as local
// processes.

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "controller/experiment_controller.h"
#include "controller/local/local_executor.h"
#include "core/codec.h"
#include "core/conditions.h"
#include "core/configmap.h"
#include "core/defaults.h"
#include "core/template.h"
#include "core/time_util.h"
#include "cxxopts.hpp"
#include "db-manager/retrying_store.h"
#include "db-manager/store.h"
#include "server/grpc_server.h"
#include "spdlog/spdlog.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"

namespace ktune::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoResult = 3;
constexpr int kExitInterrupted = 130;

constexpr char kExitCodesHelp[] =
    "\nExit status:\n"
    "  0    the experiment Succeeded and has a best trial\n"
    "  1    the experiment Failed (the reason is on stderr), or the store failed\n"
    "  2    usage error or invalid Experiment\n"
    "  3    the experiment completed without a result: no trial reported the objective metric\n"
    "  130  interrupted (Ctrl-C, SIGTERM); run the same command again to resume\n"
    "\nResume: trials cut short by an interrupt or a crash run again with the same\n"
    "parameters, so every trial counted toward maxTrialCount ran to its end.\n";

constexpr char kLogLevels[] = "trace, debug, info, warn, error, critical, off";

// Watches SIGINT and SIGTERM on its own thread (blocked in every other thread, so that the
// terminal's Ctrl-C reaches only this one): the first asks the controller to stop cleanly,
// the second SIGKILLs every trial at once. Joined by the destructor, which must run before
// the controller and the executor are destroyed.
class SignalWatcher {
 public:
  SignalWatcher(controller::ExperimentController& controller, controller::Executor& executor)
      : controller_(controller), executor_(executor) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    signal_fd_ = signalfd(-1, &signals, SFD_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC);
    if (signal_fd_ < 0 || wake_fd_ < 0) {
      std::fprintf(stderr, "ktune run: warning: cannot watch for Ctrl-C (%s)\n",
                   std::strerror(errno));
      // Then Ctrl-C keeps its default action rather than being ignored.
      pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
      return;
    }
    thread_ = std::thread([this] { Watch(); });
  }
  ~SignalWatcher() {
    if (thread_.joinable()) {
      uint64_t one = 1;
      while (write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
      }
      thread_.join();
    }
    if (signal_fd_ >= 0) close(signal_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Blocks SIGINT and SIGTERM in the calling thread and in every thread it creates later.
  static void BlockInThisProcess() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }

 private:
  void Watch() {
    int received = 0;
    while (true) {
      pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      if (!fds[0].revents) continue;
      signalfd_siginfo info;
      if (read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
      if (++received == 1) {
        std::fprintf(stderr,
                     "\nktune run: stopping (killing running trials; they run again on resume; "
                     "press Ctrl-C again to kill them at once)\n");
        controller_.Stop();
      } else {
        std::fprintf(stderr, "\nktune run: killing every trial now\n");
        executor_.KillAllNow();
      }
    }
  }

  controller::ExperimentController& controller_;
  controller::Executor& executor_;
  int signal_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
};

std::string BestSummary(const core::Experiment& e) {
  const auto& best = e.status.current_optimal_trial;
  if (best.best_trial_name.empty() || !e.spec.objective) return "no result yet";
  auto value = core::ObjectiveValue(*e.spec.objective, best.observation);
  return absl::StrCat(e.spec.objective->objective_metric_name, "=", value.value_or("?"), " (",
                      best.best_trial_name, ")");
}

// One progress line on stderr: rewritten in place on a terminal, a new line on change otherwise.
class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO)) {}
  void Update(const core::Experiment& e) {
    const auto& s = e.status;
    int done = s.trials_succeeded + s.trials_failed + s.trials_killed + s.trials_early_stopped +
               s.trial_metrics_unavailable;
    std::string total = e.spec.max_trial_count ? std::to_string(*e.spec.max_trial_count) : "?";
    std::string line =
        absl::StrCat(e.metadata.name, ": ", done, "/", total, " trials done, ", s.trials_running,
                     " running, ", s.trials_succeeded, " succeeded, ", s.trials_failed, " failed");
    if (s.trial_metrics_unavailable > 0) {
      absl::StrAppend(&line, ", ", s.trial_metrics_unavailable, " without metrics");
    }
    absl::StrAppend(&line, " | best ", BestSummary(e));
    if (line == last_) return;
    last_ = line;
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }
  void End() {
    if (tty_ && !last_.empty()) std::fprintf(stderr, "\n");
  }

 private:
  bool tty_;
  std::string last_;
};

nlohmann::json ResultJson(const core::Experiment& e, const std::vector<core::Trial>& trials) {
  nlohmann::json out;
  out["experiment"] = core::ExperimentToJson(e);
  out["trials"] = nlohmann::json::array();
  for (const auto& t : trials) out["trials"].push_back(core::TrialToJson(t));
  return out;
}

void PrintText(const core::Experiment& e, const fs::path& log_dir) {
  const auto& s = e.status;
  const core::Condition* last = s.conditions.empty() ? nullptr : &s.conditions.back();
  std::cout << "Experiment " << e.metadata.name << " "
            << (core::IsConditionTrue(s.conditions, core::kSucceeded) ? "Succeeded"
                : core::IsConditionTrue(s.conditions, core::kFailed)  ? "Failed"
                                                                      : "Running");
  if (last) std::cout << " (" << last->reason << "): " << last->message;
  std::cout << "\nTrials: " << s.trials << " total, " << s.trials_succeeded << " succeeded, "
            << s.trials_failed << " failed, " << s.trials_killed << " killed, "
            << s.trial_metrics_unavailable << " metrics unavailable\n";
  const auto& best = s.current_optimal_trial;
  if (best.best_trial_name.empty()) {
    std::cout << "Best trial: none (no trial reported the objective metric)\n";
  } else {
    std::cout << "Best trial: " << best.best_trial_name << "\n  parameters:\n";
    for (const auto& p : best.parameter_assignments) {
      std::cout << "    " << p.name << " = " << p.value << "\n";
    }
    std::cout << "  metrics (min / max / latest):\n";
    for (const auto& m : best.observation.metrics) {
      std::cout << "    " << m.name << " = " << m.min << " / " << m.max << " / " << m.latest
                << "\n";
    }
  }
  std::cout << "Trial logs: " << log_dir.string() << "\n";
}

std::string ReadFile(const fs::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = absl::StrCat(path.string(), ": cannot read file");
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The default --log-dir: `ktune-logs` beside the store when the store is a SQLite file (a plain
// path or sqlite://PATH, exactly the locations db::OpenStore reads as a file), else
// `ktune-logs` in the current directory. Any other location (a DSN) is never turned into a
// path: it may hold a host name or a password.
fs::path DefaultLogDir(const std::string& db) {
  absl::StatusOr<std::string> path = db::StoreFilePath(db);
  if (!path.ok()) return "ktune-logs";
  fs::path parent = fs::path(*path).parent_path();
  return (parent.empty() ? fs::path(".") : parent) / "ktune-logs";
}

// The --db location as messages show it: a file path as given, anything else by its scheme
// only (a DSN may hold a password).
std::string ShownDb(const std::string& db) {
  if (db.rfind("sqlite://", 0) == 0) return db;
  size_t scheme = db.find("://");
  return scheme == std::string::npos ? db : db.substr(0, scheme + 3) + "...";
}

bool IsValidLogLevel(const std::string& level) {
  for (const char* valid : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (level == valid) return true;
  }
  return false;
}

// `ktune run` refuses what Katib denies and what can never run, and warns about the rest.
bool Refuses(const core::FieldError& e) {
  return e.severity == core::FieldError::Severity::kError || e.blocks_run;
}

}  // namespace

// What the local executor would run for a trial with the first value of every parameter.
absl::Status CheckRunsLocally(const core::Experiment& experiment) {
  std::vector<core::ParameterAssignment> assignments;
  for (const core::ParameterSpec& p : experiment.spec.parameters) {
    const core::FeasibleSpace& fs = p.feasible_space;
    assignments.push_back({p.name, fs.list.empty() ? fs.min : fs.list.front()});
  }
  absl::StatusOr<core::Trial> probe =
      core::NewTrial(experiment, experiment.metadata.name + "-probe", assignments, {});
  if (!probe.ok()) return probe.status();
  return controller::LocalCommandFor(*probe).status();
}

int RunCommand(int argc, char** argv) {
  cxxopts::Options options(
      "ktune run",
      "Run a Katib Experiment locally: trials as processes, results in a SQLite file.");
  options.positional_help("FILE");
  options.add_options()("db", "Store: a SQLite file path or sqlite://PATH",
                        cxxopts::value<std::string>()->default_value("ktune.db"))(
      "log-dir",
      "Trial logs go to LOG_DIR/<experiment>/ (default: ktune-logs beside a SQLite --db file, else "
      "./ktune-logs)",
      cxxopts::value<std::string>())(
      "workdir", "Working directory of the trials; must exist (default: the directory of FILE)",
      cxxopts::value<std::string>())("output", "Result format on stdout: text or json",
                                     cxxopts::value<std::string>()->default_value("text"))(
      "configmap",
      "A ConfigMap YAML/JSON file holding trial templates, for trialTemplate.configMap "
      "(repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "replace",
      "Delete a stored experiment of the same name, and its trial logs, first, instead of resuming "
      "it")("log-level", "trace, debug, info, warn, error, critical, off",
            cxxopts::value<std::string>()->default_value("warn"))("h,help", "Show this help")(
      "file", "Experiment YAML or JSON", cxxopts::value<std::string>());
  options.parse_positional({"file"});
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "ktune run: " << e.what() << "\n" << options.help() << std::flush;
    return kExitUsage;
  }
  if (args.count("help")) {
    std::cout << options.help() << kExitCodesHelp;
    return 0;
  }
  if (!args.count("file")) {
    std::cerr << "ktune run: missing FILE\n" << options.help() << std::flush;
    return kExitUsage;
  }
  const std::string log_level = args["log-level"].as<std::string>();
  if (!IsValidLogLevel(log_level)) {
    std::cerr << "ktune run: --log-level must be one of " << kLogLevels << ", not \"" << log_level
              << "\"\n";
    return kExitUsage;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  const std::string output = args["output"].as<std::string>();
  if (output != "text" && output != "json") {
    std::cerr << "ktune run: --output must be text or json, not \"" << output << "\"\n";
    return kExitUsage;
  }

  const fs::path file = args["file"].as<std::string>();
  std::string error;
  std::string text = ReadFile(file, error);
  if (!error.empty()) {
    std::cerr << "ktune run: " << error << "\n";
    return kExitUsage;
  }
  absl::StatusOr<core::Experiment> parsed = core::ParseExperiment(text, file.string());
  if (!parsed.ok()) {
    std::cerr << "ktune run: " << parsed.status().message() << "\n";
    return kExitUsage;
  }
  core::Experiment experiment = std::move(*parsed);
  core::SetDefaults(experiment);
  std::unique_ptr<suggestion::AlgorithmRegistry> registry =
      suggestion::AlgorithmRegistry::CreateDefault();
  core::ValidationOptions validation = ValidationOptionsFor(*registry);
  if (args.count("configmap")) {
    absl::StatusOr<std::vector<core::ConfigMap>> maps =
        core::LoadConfigMapFiles(args["configmap"].as<std::vector<std::string>>());
    if (!maps.ok()) {
      std::cerr << "ktune run: --configmap: " << maps.status().message() << "\n";
      return kExitUsage;
    }
    validation.load_config_map_template = core::ConfigMapTemplateLoader(std::move(*maps));
  } else {
    validation.load_config_map_template =
        [](const core::ConfigMapSource& source) -> absl::StatusOr<std::string> {
      return absl::NotFoundError(absl::StrCat("the trial template is in ConfigMap ",
                                              source.config_map_namespace, "/",
                                              source.config_map_name, ", which was not given"));
    };
  }
  // The document as written, so that what Katib's typed decoding rejects is reported too.
  absl::StatusOr<nlohmann::json> raw = core::ParseYamlDocument(text);
  if (raw.ok()) validation.raw_experiment = &*raw;
  {
    std::vector<core::FieldError> errors = core::ValidateExperiment(experiment, validation);
    if (std::any_of(errors.begin(), errors.end(), Refuses)) {
      std::cerr << "ktune run: " << file.string() << " is not a valid Experiment:\n";
      for (const auto& e : errors) {
        if (Refuses(e)) std::cerr << "  " << e.ToString() << "\n";
      }
      return kExitUsage;
    }
    for (const auto& e : errors) std::cerr << "ktune run: warning: " << e.ToString() << "\n";
  }
  validation.raw_experiment = nullptr;
  if (absl::Status st =
          core::ResolveConfigMapTemplate(experiment, validation.load_config_map_template);
      !st.ok()) {
    std::cerr << "ktune run: spec.trialTemplate.configMap: " << st.message() << "\n";
    return kExitUsage;
  }
  // The template must give the local executor something to run, whatever its kind: checked
  // once on a trial rendered from the first value of every parameter, so that a wrong shape
  // is refused here instead of failing every trial.
  if (absl::Status st = CheckRunsLocally(experiment); !st.ok()) {
    std::cerr << "ktune run: " << file.string()
              << " cannot run as local processes: " << st.message() << "\n";
    return kExitUsage;
  }
  const fs::path work_dir = args.count("workdir") ? fs::path(args["workdir"].as<std::string>())
                                                  : fs::absolute(file).parent_path();
  if (std::error_code ec; !fs::is_directory(work_dir, ec)) {
    std::cerr << "ktune run: --workdir " << work_dir.string()
              << ": no such directory; create it first, or leave --workdir out to run the "
                 "trials in the directory of "
              << file.string() << "\n";
    return kExitUsage;
  }

  suggestion::InProcessSuggestionService suggestions(*registry);
  if (absl::Status st = suggestions.ValidateAlgorithmSettings(experiment); !st.ok()) {
    std::cerr << "ktune run: spec.algorithm: " << st.message() << "\n";
    return kExitUsage;
  }

  const std::string db = args["db"].as<std::string>();
  absl::StatusOr<std::unique_ptr<db::Store>> opened = db::OpenStore(db);
  if (!opened.ok()) {
    std::cerr << "ktune run: --db " << ShownDb(db) << ": " << opened.status().message() << "\n";
    return kExitFailed;
  }
  // A busy SQLite file (another ktune, a reader holding a lock) is retried, not fatal.
  db::RetryingStore store(**opened);
  const std::string& ns = experiment.metadata.namespace_;
  const std::string& name = experiment.metadata.name;
  const fs::path log_dir =
      (args.count("log-dir") ? fs::path(args["log-dir"].as<std::string>()) : DefaultLogDir(db)) /
      name;
  absl::StatusOr<core::Experiment> existing = store.GetExperiment(ns, name);
  if (existing.ok() && args.count("replace")) {
    if (absl::Status st = store.DeleteExperiment(ns, name); !st.ok()) {
      std::cerr << "ktune run: " << st.message() << "\n";
      return kExitFailed;
    }
    std::error_code ec;
    fs::remove_all(log_dir, ec);
    if (ec) {
      std::cerr << "ktune run: warning: removing the old trial logs in " << log_dir.string() << ": "
                << ec.message() << "\n";
    }
    existing = absl::NotFoundError("replaced");
  }
  if (existing.ok()) {
    if (core::ExperimentToJson(*existing)["spec"] != core::ExperimentToJson(experiment)["spec"]) {
      // Katib's update rules: only the budget (parallelTrialCount, maxTrialCount,
      // maxFailedTrialCount) may change, and a completed experiment only by a raised
      // maxTrialCount with resumePolicy LongRunning or FromVolume (a restart).
      core::ValidationOptions update = ValidationOptionsFor(*registry);
      update.old_experiment = &*existing;
      std::vector<core::FieldError> errors = core::ValidateExperiment(experiment, update);
      if (std::any_of(errors.begin(), errors.end(), Refuses)) {
        std::cerr << "ktune run: experiment \"" << name << "\" already exists in " << ShownDb(db)
                  << " with a different spec that cannot be applied to it:\n";
        for (const auto& e : errors) {
          if (Refuses(e)) std::cerr << "  " << e.ToString() << "\n";
        }
        std::cerr << "pass --replace to start it afresh, or rename it (metadata.name)\n";
        return kExitUsage;
      }
      const bool restart = core::IsExperimentCompleted(*existing);
      existing->spec = experiment.spec;
      if (absl::Status st = store.UpdateExperimentSpec(*existing).status(); !st.ok()) {
        std::cerr << "ktune run: " << st.message() << "\n";
        return kExitFailed;
      }
      std::cerr << "ktune run: " << (restart ? "restarting" : "updating") << " experiment \""
                << name << "\" in " << ShownDb(db) << " with the new trial budget\n";
    } else if (core::IsExperimentCompleted(*existing) &&
               existing->status.trials_pending + existing->status.trials_running == 0) {
      std::cerr << "ktune run: experiment \"" << name << "\" already finished in " << ShownDb(db)
                << "; showing its result (pass --replace to run it again)\n";
    } else {
      std::cerr << "ktune run: resuming experiment \"" << name << "\" from " << ShownDb(db) << " ("
                << existing->status.trials << " trials so far)\n";
    }
  } else if (absl::IsNotFound(existing.status())) {
    experiment.metadata.creation_timestamp = core::NowRfc3339();
    if (absl::Status st = store.CreateExperiment(experiment).status(); !st.ok()) {
      std::cerr << "ktune run: " << st.message() << "\n";
      return kExitFailed;
    }
  } else {
    std::cerr << "ktune run: " << existing.status().message() << "\n";
    return kExitFailed;
  }

  // Declaration order is destruction order in reverse: the signal watcher is joined first,
  // then the controller (which waits for its trials' exits), then the executor, then the sink
  // and the store they both use.
  SignalWatcher::BlockInThisProcess();
  controller::MetricsTap sink(store);
  controller::LocalExecutorOptions executor_options;
  executor_options.work_dir = work_dir;
  executor_options.log_dir = log_dir;
  controller::LocalExecutor executor(executor_options, sink);
  // A Push collector's trials report their metrics themselves (the SDK's report_metrics):
  // they get a DBManager on a free loopback port for the run.
  std::unique_ptr<server::GrpcServer> db_manager;
  if (experiment.spec.metrics_collector_spec &&
      experiment.spec.metrics_collector_spec->kind == "Push") {
    server::GrpcServerOptions grpc_options;
    grpc_options.address = "127.0.0.1";
    grpc_options.port = 0;
    absl::StatusOr<std::unique_ptr<server::GrpcServer>> started =
        server::GrpcServer::Start(grpc_options, *registry, store, nullptr);
    if (!started.ok()) {
      std::cerr << "ktune run: starting the DBManager the Push collector's trials report to: "
                << started.status().message() << "\n";
      return kExitFailed;
    }
    db_manager = *std::move(started);
    executor.SetServiceEnv(
        {{"KTUNE_DB_MANAGER_ADDRESS", absl::StrCat("127.0.0.1:", db_manager->port())}});
  }
  controller::ControllerOptions controller_options;
  Progress progress;
  controller_options.on_progress = [&](const core::Experiment& e, const std::vector<core::Trial>&) {
    progress.Update(e);
  };
  const auto& collector = experiment.spec.metrics_collector_spec;
  if (collector && collector->kind == "File" &&
      experiment.spec.parallel_trial_count.value_or(1) > 1 && !executor.IsolatesMetricsFiles()) {
    std::cerr << "ktune run: warning: every trial writes its metrics to the same file ("
              << (collector->file_system_path ? collector->file_system_path->path : "")
              << ") and this system cannot give each trial its own (no unprivileged mount "
                 "namespaces), so trials run one at a time instead of "
              << *experiment.spec.parallel_trial_count << "\n";
    controller_options.max_parallel_trials = 1;
  }
  controller::ExperimentController controller(store, store, suggestions, executor,
                                              std::move(controller_options));
  SignalWatcher watcher(controller, executor);

  absl::StatusOr<core::Experiment> result = controller.Run(ns, name);
  progress.End();
  bool interrupted = absl::IsCancelled(result.status());
  if (!result.ok() && !interrupted) {
    std::cerr << "ktune run: " << result.status().message() << "\n";
    return kExitFailed;
  }
  absl::StatusOr<core::Experiment> final_experiment = store.GetExperiment(ns, name);
  absl::StatusOr<std::vector<core::Trial>> trials = store.ListTrials(ns, name);
  if (!final_experiment.ok() || !trials.ok()) {
    std::cerr << "ktune run: reading the result back failed: "
              << (final_experiment.ok() ? trials.status() : final_experiment.status()).message()
              << "\n";
    return kExitFailed;
  }
  if (output == "json") {
    std::cout << ResultJson(*final_experiment, *trials).dump(2) << "\n";
  } else {
    PrintText(*final_experiment, log_dir);
  }
  if (interrupted) {
    std::cerr << "ktune run: interrupted; run the same command again to resume\n";
    return kExitInterrupted;
  }
  if (core::IsConditionTrue(final_experiment->status.conditions, core::kFailed)) {
    const core::Condition* failed =
        core::FindCondition(final_experiment->status.conditions, core::kFailed);
    std::cerr << "ktune run: experiment failed (" << failed->reason << "): " << failed->message
              << "\n";
    return kExitFailed;
  }
  if (final_experiment->status.current_optimal_trial.best_trial_name.empty()) {
    std::cerr << "ktune run: the experiment completed without a result: no trial reported the "
                 "objective metric \""
              << (final_experiment->spec.objective
                      ? final_experiment->spec.objective->objective_metric_name
                      : "")
              << "\" (see the trial logs in " << log_dir.string() << ")\n";
    return kExitNoResult;
  }
  return 0;
}

}  // namespace ktune::cli
