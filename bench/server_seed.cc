// ktune_server_seed: fills a store with finished experiments for the `ktune server` benchmark
// (bench/server_bench.sh, BENCHMARKS.md §7): N experiments of M trials each, every trial
// Succeeded with parameter assignments, a rendered runSpec, an observation and a few
// observation logs per metric, every experiment Succeeded (maxTrialCount reached) with its
// counters, trial lists and currentOptimalTrial computed by core/conditions.h, as the
// controller (controller/manager.cc) leaves them. Only the timestamps are simulated: trial j
// of an experiment runs 30 s in batches of parallelTrialCount.
//
//   ktune_server_seed --db FILE [--experiments 1000] [--trials 100] [--logs 3]
//                     [--namespace default] [--experiment YAML] [--seed 1]
//
// The experiment defaults to a copy of examples/quickstart/experiment.yaml named
// `seed-00000`, `seed-00001`, ... (`--experiment` takes another one; its name is the prefix).
// Writes go through db::OpenStore's public API, one transaction per call as the controller's:
// per experiment one CreateExperiment (with its final status), M CreateTrial (with their final
// status), M ReportObservationLog and one PutSuggestionState. It prints what it wrote and how
// long each kind of call took on stderr, one line per kind, and the totals on stdout.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/codec.h"
#include "core/conditions.h"
#include "core/defaults.h"
#include "core/experiment.h"
#include "core/template.h"
#include "core/time_util.h"
#include "db-manager/store.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace core = ktune::core;

// examples/quickstart/experiment.yaml (the trial command runs train.py).
constexpr char kQuickstart[] = R"(apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: seed
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
    additionalMetricNames:
      - accuracy
  algorithm:
    algorithmName: random
    algorithmSettings:
      - name: random_state
        value: "7"
  parallelTrialCount: 3
  maxTrialCount: 12
  maxFailedTrialCount: 3
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace:
        min: "0.001"
        max: "0.3"
        distribution: logUniform
    - name: momentum
      parameterType: double
      feasibleSpace:
        min: "0.5"
        max: "0.99"
    - name: num-layers
      parameterType: int
      feasibleSpace:
        min: "1"
        max: "5"
    - name: optimizer
      parameterType: categorical
      feasibleSpace:
        list: ["sgd", "adam", "rmsprop"]
  trialTemplate:
    primaryContainerName: training-container
    trialParameters:
      - name: learningRate
        description: Learning rate for the training model
        reference: lr
      - name: momentum
        description: Momentum of the optimizer
        reference: momentum
      - name: numberLayers
        description: Number of layers
        reference: num-layers
      - name: optimizer
        description: Training optimizer
        reference: optimizer
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: training-container
                image: docker.io/library/python:3.11-slim
                command:
                  - python3
                  - train.py
                  - "--lr=${trialParameters.learningRate}"
                  - "--momentum=${trialParameters.momentum}"
                  - "--num-layers=${trialParameters.numberLayers}"
                  - "--optimizer=${trialParameters.optimizer}"
            restartPolicy: Never
)";

constexpr char kNameAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

// Wall time spent in one kind of store call.
struct CallTimer {
  const char* name;
  int64_t calls = 0;
  double seconds = 0;
  template <typename F>
  auto Time(F&& f) {
    const auto start = Clock::now();
    auto result = f();
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    ++calls;
    return result;
  }
  void Print() const {
    if (calls == 0) return;
    std::cerr << absl::StrFormat("  %-22s %8d calls  %8.2f s  %7.1f us/call\n", name, calls,
                                 seconds, 1e6 * seconds / calls);
  }
};

// A value inside a parameter's feasible space, formatted as Katib's suggestion services do.
std::string Sample(const core::ParameterSpec& p, std::mt19937_64& rng) {
  const core::FeasibleSpace& fs = p.feasible_space;
  if (p.parameter_type == "categorical" || p.parameter_type == "discrete") {
    std::uniform_int_distribution<size_t> pick(0, fs.list.empty() ? 0 : fs.list.size() - 1);
    return fs.list.empty() ? "" : fs.list[pick(rng)];
  }
  const double lo = std::stod(fs.min);
  const double hi = std::stod(fs.max);
  if (p.parameter_type == "int") {
    std::uniform_int_distribution<long long> pick(static_cast<long long>(lo),
                                                  static_cast<long long>(hi));
    return std::to_string(pick(rng));
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double v = lo + (hi - lo) * unit(rng);
  if (fs.distribution == "logUniform" && lo > 0) {
    v = std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * unit(rng));
  }
  return absl::StrFormat("%.6g", v);
}

std::string TrialName(const std::string& experiment, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> pick(0, sizeof(kNameAlphabet) - 2);
  std::string name = experiment + "-";
  for (int i = 0; i < 8; ++i) name += kNameAlphabet[pick(rng)];
  return name;
}

// Observation logs of one trial: `count` samples of every metric of the objective, the
// objective falling and the others rising towards values that depend on the trial's luck.
std::vector<core::MetricLog> TrialLogs(const core::ObjectiveSpec& objective, core::Timestamp start,
                                       std::chrono::seconds run, int count, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double final_loss = 0.05 + 0.9 * unit(rng);
  std::vector<core::MetricLog> logs;
  const std::vector<std::string> names = core::MetricNames(objective);
  for (int k = 1; k <= count; ++k) {
    const core::Timestamp at = start + run * k / count;
    const double progress = static_cast<double>(k) / count;
    for (size_t m = 0; m < names.size(); ++m) {
      const double loss = final_loss + (1.0 - progress) * (1.0 - final_loss) * (1 + 0.1 * m);
      const double value = m == 0 ? loss : std::max(0.0, 1.0 - loss) * (0.9 + 0.1 * unit(rng));
      logs.push_back({core::FormatRfc3339Micros(at), names[m], absl::StrFormat("%.6f", value)});
    }
  }
  return logs;
}

int Fail(const std::string& what, const absl::Status& status) {
  std::cerr << "ktune_server_seed: " << what << ": " << status.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options options("ktune_server_seed",
                           "Fills a ktune store with finished experiments for the server bench");
  options.add_options()("db", "Store location (a SQLite file; created if missing)",
                        cxxopts::value<std::string>())(
      "experiments", "Number of experiments", cxxopts::value<int>()->default_value("1000"))(
      "trials", "Trials per experiment (its maxTrialCount)",
      cxxopts::value<int>()->default_value("100"))("logs", "Observation logs per metric per trial",
                                                   cxxopts::value<int>()->default_value("3"))(
      "namespace", "Namespace of the experiments",
      cxxopts::value<std::string>()->default_value("default"))(
      "experiment", "Experiment YAML to copy (default: the quickstart example)",
      cxxopts::value<std::string>())(
      "seed", "Random seed", cxxopts::value<uint64_t>()->default_value("1"))("h,help",
                                                                             "Print this help");
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ktune_server_seed: " << e.what() << "\n";
    return 2;
  }
  if (args.count("help") || !args.count("db")) {
    std::cout << options.help() << "\n";
    return args.count("help") ? 0 : 2;
  }
  const int n_experiments = args["experiments"].as<int>();
  const int n_trials = args["trials"].as<int>();
  const int n_logs = args["logs"].as<int>();
  if (n_experiments < 0 || n_trials < 1 || n_logs < 1) {
    std::cerr << "ktune_server_seed: --experiments must be >= 0, --trials and --logs >= 1\n";
    return 2;
  }

  std::string yaml = kQuickstart;
  if (args.count("experiment")) {
    std::ifstream in(args["experiment"].as<std::string>());
    if (!in) {
      std::cerr << "ktune_server_seed: cannot read " << args["experiment"].as<std::string>()
                << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    yaml = text.str();
  }
  absl::StatusOr<core::Experiment> parsed = core::ParseExperiment(yaml, "experiment");
  if (!parsed.ok()) return Fail("parsing the experiment", parsed.status());
  core::Experiment base = std::move(*parsed);
  core::SetDefaults(base);
  base.metadata.namespace_ = args["namespace"].as<std::string>();
  base.spec.max_trial_count = n_trials;
  const std::string prefix = base.metadata.name;
  const int parallel = std::max(1, base.spec.parallel_trial_count.value_or(3));
  const core::ObjectiveSpec objective = base.spec.objective.value_or(core::ObjectiveSpec{});

  absl::StatusOr<std::unique_ptr<ktune::db::Store>> opened =
      ktune::db::OpenStore(args["db"].as<std::string>());
  if (!opened.ok()) return Fail("opening the store", opened.status());
  ktune::db::Store& store = **opened;

  std::mt19937_64 rng(args["seed"].as<uint64_t>());
  CallTimer create_experiment{"CreateExperiment"}, create_trial{"CreateTrial"},
      report_logs{"ReportObservationLog"}, put_state{"PutSuggestionState"};
  const std::chrono::seconds run(30);
  // Experiment i ran in the past, one after another, ending about now.
  const auto per_experiment = run * ((n_trials + parallel - 1) / parallel);
  core::Timestamp clock = core::Now() - per_experiment * n_experiments;
  int64_t log_rows = 0;
  const auto start = Clock::now();

  for (int i = 0; i < n_experiments; ++i) {
    core::Experiment e = base;
    e.metadata.name = absl::StrFormat("%s-%05d", prefix, i);
    const std::string created = core::FormatRfc3339(clock);
    e.metadata.creation_timestamp = created;
    e.status.start_time = created;
    core::MarkExperimentCreated(e, created);
    core::MarkExperimentRunning(e, created);

    std::vector<core::Trial> trials;
    std::vector<std::vector<core::MetricLog>> logs;
    trials.reserve(n_trials);
    for (int j = 0; j < n_trials; ++j) {
      std::vector<core::ParameterAssignment> assignments;
      for (const core::ParameterSpec& p : e.spec.parameters) {
        assignments.push_back({p.name, Sample(p, rng)});
      }
      absl::StatusOr<core::Trial> t =
          core::NewTrial(e, TrialName(e.metadata.name, rng), assignments);
      if (!t.ok()) return Fail("rendering a trial", t.status());
      const core::Timestamp began = clock + run * (j / parallel);
      const std::string t0 = core::FormatRfc3339(began);
      const std::string t1 = core::FormatRfc3339(began + run);
      t->metadata.creation_timestamp = t0;
      core::SetCondition(t->status.conditions, core::kCreated, "True", "TrialCreated",
                         "Trial is created", t0);
      t->status.start_time = t0;
      core::SetCondition(t->status.conditions, core::kRunning, "True", "TrialRunning",
                         "Trial is running", t0);
      std::vector<core::MetricLog> trial_logs = TrialLogs(objective, began, run, n_logs, rng);
      t->status.observation = core::ComputeObservation(core::MetricNames(objective), trial_logs);
      // The controller flips Running to False keeping its reason, then sets Succeeded.
      core::SetCondition(t->status.conditions, core::kRunning, "False", "TrialRunning",
                         "Trial is running", t1);
      core::SetCondition(t->status.conditions, core::kSucceeded, "True", "TrialSucceeded",
                         "Trial has succeeded", t1);
      t->status.completion_time = t1;
      t->status.last_reconcile_time = t1;
      trials.push_back(std::move(*t));
      logs.push_back(std::move(trial_logs));
    }
    clock += per_experiment;
    const std::string done = core::FormatRfc3339(clock);
    core::UpdateTrialsSummary(e, trials);
    core::MarkExperimentSucceeded(e, core::kReasonMaxTrialsReached, core::kMessageMaxTrialsReached,
                                  done);
    e.status.completion_time = done;
    e.status.last_reconcile_time = done;

    absl::Status st = create_experiment.Time([&] { return store.CreateExperiment(e).status(); });
    if (!st.ok()) return Fail(absl::StrCat("creating experiment ", e.metadata.name), st);
    for (size_t j = 0; j < trials.size(); ++j) {
      st = create_trial.Time([&] { return store.CreateTrial(trials[j]).status(); });
      if (!st.ok()) return Fail(absl::StrCat("creating trial ", trials[j].metadata.name), st);
      st = report_logs.Time(
          [&] { return store.ReportObservationLog(trials[j].metadata.name, logs[j]); });
      if (!st.ok()) return Fail(absl::StrCat("reporting logs of ", trials[j].metadata.name), st);
      log_rows += static_cast<int64_t>(logs[j].size());
    }
    // What the controller persists for the random plugin (controller/manager.cc,
    // SaveSuggestionState), without plugin state.
    st = put_state.Time([&] {
      return store.PutSuggestionState(e.metadata.namespace_, e.metadata.name,
                                      R"({"algorithmSettings":[],"exhausted":false})");
    });
    if (!st.ok()) return Fail(absl::StrCat("saving suggestion state of ", e.metadata.name), st);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::cerr << "store calls:\n";
  for (const CallTimer* t : {&create_experiment, &create_trial, &report_logs, &put_state}) {
    t->Print();
  }
  std::cout << absl::StrFormat(
      "seeded %d experiments, %d trials, %d observation log rows in %.1f s (%s)\n", n_experiments,
      static_cast<int64_t>(n_experiments) * n_trials, log_rows, seconds,
      args["db"].as<std::string>());
  return 0;
}
