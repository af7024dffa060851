// Controller overhead (BENCHMARKS.md §3): N trials whose command does almost nothing, run with
// parallelism P by the real controller, local executor, SQLite store and random plugin.
//
//   overhead per trial = (wall time - N * trial run time / P) / N
//
// where the trial run time is measured in the same run by spawning and reaping the same
// command directly (what the trial itself costs, without ktune). Target: < 5 ms per trial.
//
// BM_ManyExperiments (issue 7): E experiments of T trials each, all submitted at once to one
// ControllerManager with a global cap of C running trials (each experiment's parallelTrialCount
// is 3). overhead per trial = (wall - E * T * trial run time / C) / (E * T). It also checks that
// every experiment ended with exactly T trials, and reports the process's peak thread count
// (sampled after reconciles) against the manager's workers.

#include <spawn.h>
#include <sys/wait.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "controller/experiment_controller.h"
#include "controller/local/local_executor.h"
#include "controller/manager.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "db-manager/store.h"
#include "spdlog/spdlog.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* const kCommand[] = {"/bin/echo", "loss=0.5", nullptr};

double DirectRunSeconds() {
  std::vector<double> samples;
  for (int i = 0; i < 50; ++i) {
    auto start = Clock::now();
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", 1, 0);
    posix_spawn(&pid, kCommand[0], &actions, nullptr, const_cast<char* const*>(kCommand), environ);
    posix_spawn_file_actions_destroy(&actions);
    int status;
    waitpid(pid, &status, 0);
    samples.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

ktune::core::Experiment MakeExperiment(int trials, int parallel,
                                       const std::string& name = "overhead") {
  std::string yaml = R"(
metadata: {name: )" + name +
                     R"(}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random, algorithmSettings: [{name: random_state, value: "1"}]}
  parallelTrialCount: )" +
                     std::to_string(parallel) + R"(
  maxTrialCount: )" + std::to_string(trials) +
                     R"(
  parameters: [{name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}]
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{name: x, reference: x}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec: {template: {spec: {containers: [{name: main, command: [/bin/echo, loss=0.5, "${trialParameters.x}"]}]}}}
)";
  auto e = ktune::core::ParseExperiment(yaml);
  ktune::core::SetDefaults(*e);
  return *e;
}

void BM_ControllerOverhead(benchmark::State& state) {
  const int trials = static_cast<int>(state.range(0));
  const int parallel = static_cast<int>(state.range(1));
  const double direct = DirectRunSeconds();
  auto registry = ktune::suggestion::AlgorithmRegistry::CreateDefault();
  ktune::suggestion::InProcessSuggestionService suggestions(*registry);
  std::vector<double> overheads;
  for (auto _ : state) {
    std::random_device rd;
    fs::path dir = fs::temp_directory_path() / ("ktune-bench-" + std::to_string(rd()));
    fs::create_directories(dir);
    auto store = ktune::db::OpenStore((dir / "ktune.db").string());
    ktune::controller::MetricsTap sink(**store);
    ktune::controller::LocalExecutor executor({.work_dir = dir, .log_dir = dir / "logs"}, sink);
    ktune::core::Experiment experiment = MakeExperiment(trials, parallel);
    (void)(*store)->CreateExperiment(experiment);
    ktune::controller::ExperimentController controller(**store, **store, suggestions, executor);
    auto start = Clock::now();
    auto result = controller.Run("default", "overhead");
    double wall = std::chrono::duration<double>(Clock::now() - start).count();
    if (!result.ok() || result->status.trials_succeeded != trials) {
      state.SkipWithError("the experiment did not run all trials");
      break;
    }
    state.SetIterationTime(wall);
    overheads.push_back((wall - trials * direct / parallel) / trials);
    fs::remove_all(dir);
  }
  if (overheads.empty()) return;
  std::sort(overheads.begin(), overheads.end());
  double median = overheads[overheads.size() / 2];
  state.counters["overhead_ms_per_trial"] = median * 1e3;
  state.counters["trial_run_ms"] = direct * 1e3;
  state.counters["trials_per_s"] = benchmark::Counter(
      trials * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_ControllerOverhead)
    ->ArgNames({"trials", "parallel"})
    ->Args({200, 1})
    ->Args({200, 4})
    ->Args({1000, 8})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

void BM_ManyExperiments(benchmark::State& state) {
  const int experiments = static_cast<int>(state.range(0));
  const int trials = static_cast<int>(state.range(1));
  const int cap = static_cast<int>(state.range(2));
  const int workers = 2;
  const double direct = DirectRunSeconds();
  auto registry = ktune::suggestion::AlgorithmRegistry::CreateDefault();
  ktune::suggestion::InProcessSuggestionService suggestions(*registry);
  std::vector<double> overheads;
  int peak_threads = 0;
  const int threads_before = ThreadCount();
  for (auto _ : state) {
    std::random_device rd;
    fs::path dir = fs::temp_directory_path() / ("ktune-bench-" + std::to_string(rd()));
    fs::create_directories(dir);
    auto store = ktune::db::OpenStore((dir / "ktune.db").string());
    ktune::controller::MetricsTap sink(**store);
    ktune::controller::LocalExecutor executor({.work_dir = dir, .log_dir = dir / "logs"}, sink);
    std::atomic<int> peak{0};
    std::atomic<int64_t> reconciles{0};
    ktune::controller::ManagerOptions options;
    options.workers = workers;
    options.max_running_trials = cap;
    options.on_progress = [&](const ktune::core::Experiment&,
                              const std::vector<ktune::core::Trial>&) {
      if (reconciles++ % 64 == 0) peak = std::max(peak.load(), ThreadCount());
    };
    ktune::controller::ControllerManager manager(**store, **store, suggestions, executor,
                                                 std::move(options));
    std::vector<std::string> names;
    for (int i = 0; i < experiments; ++i) {
      names.push_back("exp-" + std::to_string(i));
      (void)(*store)->CreateExperiment(MakeExperiment(trials, 3, names.back()));
    }
    auto start = Clock::now();
    manager.Start();
    for (const std::string& name : names) manager.Enqueue({"default", name});
    bool all_exact = true;
    for (const std::string& name : names) {
      auto result = manager.Wait({"default", name});
      auto stored = (*store)->ListTrials("default", name);
      if (!result.ok() || result->status.trials_succeeded != trials || !stored.ok() ||
          static_cast<int>(stored->size()) != trials) {
        all_exact = false;
      }
    }
    double wall = std::chrono::duration<double>(Clock::now() - start).count();
    manager.Shutdown();
    if (!all_exact) {
      state.SkipWithError("an experiment did not end with exactly its trials");
      break;
    }
    peak_threads = std::max(peak_threads, peak.load());
    const double total = static_cast<double>(experiments) * trials;
    state.SetIterationTime(wall);
    overheads.push_back((wall - total * direct / cap) / total);
    fs::remove_all(dir);
  }
  if (overheads.empty()) return;
  std::sort(overheads.begin(), overheads.end());
  state.counters["overhead_ms_per_trial"] = overheads[overheads.size() / 2] * 1e3;
  state.counters["trial_run_ms"] = direct * 1e3;
  state.counters["threads_before"] = threads_before;
  state.counters["peak_threads"] = peak_threads;
  state.counters["workers"] = workers;
}

BENCHMARK(BM_ManyExperiments)
    ->ArgNames({"experiments", "trials", "cap"})
    ->Args({200, 10, 16})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
