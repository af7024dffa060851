// Controller overhead (BENCHMARKS.md §3): N trials whose command does almost nothing, run with
// parallelism P by the real controller, local executor, SQLite store and random plugin.
//
//   overhead per trial = (wall time - N * trial run time / P) / N
//
// where the trial run time is measured in the same run by spawning and reaping the same
// command directly (what the trial itself costs, without ktune). Target: < 5 ms per trial.

#include <spawn.h>
#include <sys/wait.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "controller/experiment_controller.h"
#include "controller/local/local_executor.h"
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

ktune::core::Experiment MakeExperiment(int trials, int parallel) {
  std::string yaml = R"(
metadata: {name: overhead}
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
    ktune::controller::StoreMetricsSink sink(**store);
    ktune::controller::LocalExecutor executor({.work_dir = dir, .log_dir = dir / "logs"}, sink);
    ktune::core::Experiment experiment = MakeExperiment(trials, parallel);
    (void)(*store)->CreateExperiment(experiment);
    ktune::controller::ExperimentController controller(**store, suggestions, executor);
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

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
