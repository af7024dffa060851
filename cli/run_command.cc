// `ktune run FILE`: the whole experiment in this process, on a SQLite file, trials as local
// processes.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
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
#include "core/defaults.h"
#include "core/status.h"
#include "core/time_util.h"
#include "cxxopts.hpp"
#include "db-manager/store.h"
#include "spdlog/spdlog.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"

namespace ktune::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

std::string BestSummary(const core::Experiment& e) {
  const auto& best = e.status.current_optimal_trial;
  if (best.best_trial_name.empty() || !e.spec.objective) return "no result yet";
  core::Trial probe;
  probe.status.observation = best.observation;
  auto value = core::ObjectiveValue(*e.spec.objective, probe);
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
    std::string line = absl::StrCat(e.metadata.name, ": ", done, "/", total, " trials done, ",
                                     s.trials_running, " running, ", s.trials_succeeded,
                                     " succeeded, ", s.trials_failed + s.trial_metrics_unavailable,
                                     " failed | best ", BestSummary(e));
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
      std::cout << "    " << m.name << " = " << m.min << " / " << m.max << " / " << m.latest << "\n";
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

std::string StoreDir(const std::string& db) {
  std::string path = db.rfind("sqlite://", 0) == 0 ? db.substr(9) : db;
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

int RunCommand(int argc, char** argv) {
  cxxopts::Options options("ktune run", "Run a Katib Experiment locally: trials as processes, results in a SQLite file.");
  options.positional_help("FILE");
  options.add_options()
      ("db", "Store: a SQLite file path or sqlite://PATH", cxxopts::value<std::string>()->default_value("ktune.db"))
      ("workdir", "Working directory of the trials (default: the directory of FILE)", cxxopts::value<std::string>())
      ("output", "Result format on stdout: text or json", cxxopts::value<std::string>()->default_value("text"))
      ("replace", "Delete a stored experiment of the same name first, instead of resuming it")
      ("log-level", "trace, debug, info, warn, error", cxxopts::value<std::string>()->default_value("warn"))
      ("h,help", "Show this help")
      ("file", "Experiment YAML or JSON", cxxopts::value<std::string>());
  options.parse_positional({"file"});
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "ktune run: " << e.what() << "\n" << options.help() << std::flush;
    return kExitUsage;
  }
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  if (!args.count("file")) {
    std::cerr << "ktune run: missing FILE\n" << options.help() << std::flush;
    return kExitUsage;
  }
  spdlog::set_level(spdlog::level::from_str(args["log-level"].as<std::string>()));
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
  if (auto errors = core::ValidateExperiment(experiment, DefaultValidationOptions()); !errors.empty()) {
    std::cerr << "ktune run: " << file.string() << " is not a valid Experiment:\n";
    for (const auto& e : errors) std::cerr << "  " << e.ToString() << "\n";
    return kExitUsage;
  }

  const auto& collector = experiment.spec.metrics_collector_spec;
  if (collector && collector->kind == "File" && experiment.spec.parallel_trial_count.value_or(1) > 1) {
    // In a cluster each pod has its own filesystem; local processes share one.
    std::cerr << "ktune run: warning: every trial writes its metrics to the same file ("
              << (collector->file_system_path ? collector->file_system_path->path : "")
              << "), and " << *experiment.spec.parallel_trial_count
              << " run at once here, so they may read each other's metrics; use the StdOut "
                 "collector, or parallelTrialCount: 1, for exact results locally\n";
  }

  std::unique_ptr<suggestion::AlgorithmRegistry> registry = suggestion::AlgorithmRegistry::CreateDefault();
  suggestion::InProcessSuggestionService suggestions(*registry);
  if (absl::Status st = suggestions.ValidateAlgorithmSettings(experiment); !st.ok()) {
    std::cerr << "ktune run: spec.algorithm: " << st.message() << "\n";
    return kExitUsage;
  }

  const std::string db = args["db"].as<std::string>();
  absl::StatusOr<std::unique_ptr<db::Store>> store = db::OpenStore(db);
  if (!store.ok()) {
    std::cerr << "ktune run: --db " << db << ": " << store.status().message() << "\n";
    return kExitFailed;
  }
  const std::string& ns = experiment.metadata.namespace_;
  const std::string& name = experiment.metadata.name;
  absl::StatusOr<core::Experiment> existing = (*store)->GetExperiment(ns, name);
  if (existing.ok() && args.count("replace")) {
    if (absl::Status st = (*store)->DeleteExperiment(ns, name); !st.ok()) {
      std::cerr << "ktune run: " << st.message() << "\n";
      return kExitFailed;
    }
    existing = absl::NotFoundError("replaced");
  }
  if (existing.ok()) {
    if (core::ExperimentToJson(*existing)["spec"] != core::ExperimentToJson(experiment)["spec"]) {
      std::cerr << "ktune run: experiment \"" << name << "\" already exists in " << db
                << " with a different spec; pass --replace to start it afresh, or rename it "
                   "(metadata.name)\n";
      return kExitUsage;
    }
    if (core::IsExperimentCompleted(*existing)) {
      std::cerr << "ktune run: experiment \"" << name << "\" already finished in " << db
                << "; showing its result (pass --replace to run it again)\n";
    } else {
      std::cerr << "ktune run: resuming experiment \"" << name << "\" from " << db << " ("
                << existing->status.trials << " trials so far)\n";
    }
  } else if (absl::IsNotFound(existing.status())) {
    experiment.metadata.creation_timestamp = core::NowRfc3339();
    if (absl::Status st = (*store)->CreateExperiment(experiment); !st.ok()) {
      std::cerr << "ktune run: " << st.message() << "\n";
      return kExitFailed;
    }
  } else {
    std::cerr << "ktune run: " << existing.status().message() << "\n";
    return kExitFailed;
  }

  const fs::path work_dir = args.count("workdir") ? fs::path(args["workdir"].as<std::string>())
                                                  : fs::absolute(file).parent_path();
  const fs::path log_dir = fs::path(StoreDir(db)) / "ktune-logs" / name;
  controller::StoreMetricsSink sink(**store);
  controller::LocalExecutor executor({.work_dir = work_dir, .log_dir = log_dir}, sink);
  Progress progress;
  controller::ExperimentController controller(
      **store, suggestions, executor,
      {.on_progress = [&](const core::Experiment& e, const std::vector<core::Trial>&) { progress.Update(e); }});

  // Ctrl-C / SIGTERM: stop cleanly (running trials Killed, store consistent); a second one
  // exits at once.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([&controller, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "\nktune run: stopping (killing running trials; press Ctrl-C again to quit at once)\n");
    controller.Stop();
    sigwait(&signals, &sig);
    _exit(kExitInterrupted);
  }).detach();

  absl::StatusOr<core::Experiment> result = controller.Run(ns, name);
  progress.End();
  bool interrupted = absl::IsCancelled(result.status());
  if (!result.ok() && !interrupted) {
    std::cerr << "ktune run: " << result.status().message() << "\n";
    return kExitFailed;
  }
  absl::StatusOr<core::Experiment> final_experiment = (*store)->GetExperiment(ns, name);
  absl::StatusOr<std::vector<core::Trial>> trials = (*store)->ListTrials(ns, name);
  if (!final_experiment.ok() || !trials.ok()) {
    std::cerr << "ktune run: reading the result back failed: "
              << (final_experiment.ok() ? trials.status() : final_experiment.status()).message() << "\n";
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
    const core::Condition* failed = core::FindCondition(final_experiment->status.conditions, core::kFailed);
    std::cerr << "ktune run: experiment failed (" << failed->reason << "): " << failed->message << "\n";
    return kExitFailed;
  }
  return 0;
}

}  // namespace ktune::cli
