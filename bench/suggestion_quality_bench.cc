// BENCHMARKS.md §1, suggestion quality: drives algorithm plugins through the plugin boundary
// (the registry, serialized api.proto across the C ABI, no processes) on the functions of
// bench/functions.h, and reports the best-so-far regret (best - f*) at budgets 25/50/100.
//
// The requests are what the host sends (ktune_algorithm.h, "Instances and history"): the first
// call carries the full history (empty), later calls only the trials new or changed since the
// previous call; total_request_number counts every assignment asked for, this call included.
// Sequential (--parallel 1): ask one, evaluate it, send it as SUCCEEDED, ask the next.
// Batched (--parallel P): ask P at first; then repeatedly complete the oldest pending trial (in
// suggestion order) and ask one more. Pending trials are sent as RUNNING (no observation) so the
// algorithm can take them into account.
//
// Usage: suggestion_quality_bench --algorithms random --functions branin,mixed --seeds 10
//        --budget 100 --parallel 1,4 --jobs 2 --json out.json
// Any invalid suggestion (unknown or missing parameter, out of bounds, off the step, not in the
// list, an unparsable number, fewer assignments than asked, a repeated point in a finite space)
// stops the run with exit status 1.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/api.pb.h"
#include "bench/functions.h"
#include "core/mutex.h"
#include "cxxopts.hpp"
#include "nlohmann/json.hpp"
#include "suggestion/registry.h"

namespace ktune::bench {
namespace {

namespace api = ::api::v1::beta1;

constexpr char kMetric[] = "loss";

struct Options {
  std::vector<std::string> algorithms;
  std::vector<const Function*> functions;
  int seeds = 10;
  int first_seed = 1;
  int budget = 100;
  std::vector<int> parallel;
  // algorithm -> extra settings, in flag order.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> settings;
  // algorithm -> the setting that carries the seed ("" for none); default "random_state".
  std::map<std::string, std::string> seed_setting;
  int jobs = 1;
  std::string json;
};

std::vector<int> Checkpoints(int budget) {
  std::vector<int> points;
  for (int b : {25, 50, 100}) {
    if (b <= budget) points.push_back(b);
  }
  if (points.empty() || points.back() != budget) points.push_back(budget);
  return points;
}

api::ParameterSpec ToProto(const ParamSpec& p) {
  api::ParameterSpec out;
  out.set_name(p.name);
  auto* space = out.mutable_feasible_space();
  switch (p.type) {
    case ParamSpec::Type::kDouble:
      out.set_parameter_type(api::DOUBLE);
      space->set_min(p.min);
      space->set_max(p.max);
      break;
    case ParamSpec::Type::kInt:
      out.set_parameter_type(api::INT);
      space->set_min(p.min);
      space->set_max(p.max);
      space->set_step(p.step);
      break;
    case ParamSpec::Type::kCategorical:
      out.set_parameter_type(api::CATEGORICAL);
      for (const std::string& v : p.list) space->add_list(v);
      break;
  }
  space->set_distribution(api::UNIFORM);
  return out;
}

api::Experiment BuildExperiment(const Options& o, const Function& f, const std::string& algorithm,
                                int parallel, int seed) {
  api::Experiment e;
  e.set_name(absl::StrCat("quality-", f.name, "-", algorithm, "-p", parallel, "-s", seed));
  auto* spec = e.mutable_spec();
  for (const ParamSpec& p : f.params)
    *spec->mutable_parameter_specs()->add_parameters() = ToProto(p);
  spec->mutable_objective()->set_type(api::MINIMIZE);
  spec->mutable_objective()->set_objective_metric_name(kMetric);
  spec->mutable_algorithm()->set_algorithm_name(algorithm);
  auto seed_it = o.seed_setting.find(algorithm);
  const std::string seed_name = seed_it == o.seed_setting.end() ? "random_state" : seed_it->second;
  if (!seed_name.empty()) {
    auto* s = spec->mutable_algorithm()->add_algorithm_settings();
    s->set_name(seed_name);
    s->set_value(std::to_string(seed));
  }
  if (auto it = o.settings.find(algorithm); it != o.settings.end()) {
    for (const auto& [name, value] : it->second) {
      auto* s = spec->mutable_algorithm()->add_algorithm_settings();
      s->set_name(name);
      s->set_value(value);
    }
  }
  spec->set_parallel_trial_count(parallel);
  spec->set_max_trial_count(o.budget);
  return e;
}

bool FiniteSpace(const Function& f) {
  for (const ParamSpec& p : f.params) {
    if (p.type == ParamSpec::Type::kDouble) return false;
  }
  return true;
}

// Parses and checks one suggested assignment set against the function's space.
absl::StatusOr<Point> CheckAssignment(const Function& f,
                                      const api::GetSuggestionsReply::ParameterAssignments& pa) {
  std::map<std::string, std::string> values;
  for (const api::ParameterAssignment& a : pa.assignments()) {
    if (!values.emplace(a.name(), a.value()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter \"", a.name(), "\" assigned twice"));
    }
  }
  if (values.size() != f.params.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(values.size(), " parameters assigned, the space has ", f.params.size()));
  }
  Point x(f.params.size());
  for (size_t j = 0; j < f.params.size(); ++j) {
    const ParamSpec& p = f.params[j];
    auto it = values.find(p.name);
    if (it == values.end()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter \"", p.name, "\" not assigned"));
    }
    const std::string& v = it->second;
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter \"", p.name, "\" = \"", v, "\": ", why));
    };
    switch (p.type) {
      case ParamSpec::Type::kDouble: {
        double d = 0, lo = 0, hi = 0;
        if (!absl::SimpleAtod(v, &d) || !std::isfinite(d))
          return bad(std::string("not a finite number"));
        if (!absl::SimpleAtod(p.min, &lo) || !absl::SimpleAtod(p.max, &hi))
          return bad(std::string("bad spec"));
        if (d < lo || d > hi) return bad(absl::StrCat("outside [", p.min, ", ", p.max, "]"));
        x[j] = d;
        break;
      }
      case ParamSpec::Type::kInt: {
        int64_t n = 0, lo = 0, hi = 0, step = 1;
        if (!absl::SimpleAtoi(v, &n)) return bad(std::string("not an integer"));
        if (!absl::SimpleAtoi(p.min, &lo) || !absl::SimpleAtoi(p.max, &hi) ||
            (!p.step.empty() && !absl::SimpleAtoi(p.step, &step))) {
          return bad(std::string("bad spec"));
        }
        if (n < lo || n > hi) return bad(absl::StrCat("outside [", p.min, ", ", p.max, "]"));
        if ((n - lo) % step != 0) return bad(absl::StrCat("not on the step ", step, " from ", lo));
        x[j] = static_cast<double>(n);
        break;
      }
      case ParamSpec::Type::kCategorical: {
        auto found = std::find(p.list.begin(), p.list.end(), v);
        if (found == p.list.end()) return bad(std::string("not in the list"));
        x[j] = static_cast<double>(found - p.list.begin());
        break;
      }
    }
  }
  return x;
}

struct RunResult {
  std::vector<double> regret;  // best-so-far regret at each checkpoint
  double suggest_seconds = 0;  // total GetSuggestions time of the run
  int calls = 0;
};

// One trial as the host keeps it: its current status and the status last sent.
struct TrialRecord {
  api::Trial trial;
  bool sent_current = false;  // the instance has its current status
};

absl::StatusOr<RunResult> RunOne(const Options& o, const suggestion::AlgorithmPlugin& plugin,
                                 const Function& f, int parallel, int seed) {
  const api::Experiment experiment = BuildExperiment(o, f, plugin.name(), parallel, seed);
  if (absl::Status s = plugin.ValidateSettings(experiment); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<suggestion::AlgorithmInstance>> created =
      plugin.Create(experiment);
  if (!created.ok()) return created.status();
  suggestion::AlgorithmInstance& instance = **created;

  const bool finite = FiniteSpace(f);
  std::set<std::string> seen;  // keys of suggested points, finite spaces only
  std::vector<TrialRecord> trials;
  std::vector<Point> points;
  size_t next_to_complete = 0;
  int asked = 0;
  RunResult result;

  auto ask = [&](int count) -> absl::Status {
    api::GetSuggestionsRequest request;
    *request.mutable_experiment() = experiment;
    std::vector<size_t> sent;
    for (size_t i = 0; i < trials.size(); ++i) {
      if (trials[i].sent_current) continue;
      *request.add_trials() = trials[i].trial;
      sent.push_back(i);
    }
    request.set_current_request_number(count);
    request.set_total_request_number(asked + count);
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<api::GetSuggestionsReply> reply = instance.GetSuggestions(request);
    result.suggest_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++result.calls;
    if (!reply.ok()) return reply.status();
    for (size_t i : sent) trials[i].sent_current = true;
    if (reply->parameter_assignments_size() != count) {
      return absl::InternalError(absl::StrCat("asked for ", count, " assignments, got ",
                                              reply->parameter_assignments_size(),
                                              " (the space is not exhausted)"));
    }
    for (const auto& pa : reply->parameter_assignments()) {
      absl::StatusOr<Point> x = CheckAssignment(f, pa);
      if (!x.ok()) {
        return absl::InternalError(
            absl::StrCat("invalid suggestion ", asked + 1, ": ", x.status().message()));
      }
      if (finite) {
        std::vector<std::string> parts;
        for (double v : *x) parts.push_back(absl::StrCat(v));
        if (!seen.insert(absl::StrJoin(parts, ",")).second) {
          return absl::InternalError(absl::StrCat("suggestion ", asked + 1,
                                                  " repeats an earlier point in a finite space"));
        }
      }
      TrialRecord record;
      record.trial.set_name(absl::StrCat(experiment.name(), "-", asked));
      *record.trial.mutable_spec()->mutable_objective() = experiment.spec().objective();
      for (const api::ParameterAssignment& a : pa.assignments()) {
        *record.trial.mutable_spec()->mutable_parameter_assignments()->add_assignments() = a;
      }
      record.trial.mutable_status()->set_condition(api::TrialStatus::RUNNING);
      trials.push_back(std::move(record));
      points.push_back(*std::move(x));
      ++asked;
    }
    return absl::OkStatus();
  };

  const std::vector<int> checkpoints = Checkpoints(o.budget);
  double best = std::numeric_limits<double>::infinity();
  if (absl::Status s = ask(std::min(parallel, o.budget)); !s.ok()) return s;
  for (int completed = 1; completed <= o.budget; ++completed) {
    const size_t i = next_to_complete++;
    const double value = f.evaluate(points[i]);
    best = std::min(best, value);
    api::TrialStatus* status = trials[i].trial.mutable_status();
    status->set_condition(api::TrialStatus::SUCCEEDED);
    api::Metric* metric = status->mutable_observation()->add_metrics();
    metric->set_name(kMetric);
    metric->set_value(absl::StrFormat("%.17g", value));
    trials[i].sent_current = false;
    if (std::find(checkpoints.begin(), checkpoints.end(), completed) != checkpoints.end()) {
      result.regret.push_back(best - f.optimum);
    }
    if (asked < o.budget) {
      if (absl::Status s = ask(1); !s.ok()) return s;
    }
  }
  return result;
}

// Linear interpolation between order statistics (numpy's default), so the Python side agrees.
double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return std::nan("");
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(s, ',', absl::SkipEmpty())) out.emplace_back(part);
  return out;
}

std::string Format(double v) { return absl::StrFormat("%.3g", v); }

int Main(int argc, char** argv) {
  cxxopts::Options flags("suggestion_quality_bench",
                         "Suggestion quality (BENCHMARKS.md 1): best-so-far regret of algorithm "
                         "plugins on test functions with known optima.");
  std::string all_functions;
  for (const Function& f : Suite()) all_functions += (all_functions.empty() ? "" : ",") + f.name;
  flags.add_options()("algorithms", "Comma-separated algorithm names",
                      cxxopts::value<std::string>()->default_value("random"))(
      "functions", "Comma-separated functions: " + all_functions,
      cxxopts::value<std::string>()->default_value(all_functions))(
      "seeds", "Seeds per configuration (random_state = first-seed .. first-seed+seeds-1)",
      cxxopts::value<int>()->default_value("10"))("first-seed", "First seed",
                                                  cxxopts::value<int>()->default_value("1"))(
      "budget", "Trials per run", cxxopts::value<int>()->default_value("100"))(
      "parallel", "Comma-separated parallelTrialCount values",
      cxxopts::value<std::string>()->default_value("1,4"))(
      "settings", "alg:key=value, an algorithm setting (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "seed-setting",
      "alg:name, the setting that carries the seed for alg (default random_state; alg: for none)",
      cxxopts::value<std::vector<std::string>>())("jobs", "Runs in parallel (threads)",
                                                  cxxopts::value<int>()->default_value("1"))(
      "json", "Write the results to this JSON file", cxxopts::value<std::string>())(
      "h,help", "Show this help");
  cxxopts::ParseResult args;
  try {
    args = flags.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "suggestion_quality_bench: " << e.what() << "\n" << flags.help();
    return 2;
  }
  if (args.count("help")) {
    std::cout << flags.help();
    return 0;
  }
  Options o;
  o.algorithms = SplitList(args["algorithms"].as<std::string>());
  for (const std::string& name : SplitList(args["functions"].as<std::string>())) {
    const Function* f = FindFunction(name);
    if (f == nullptr) {
      std::cerr << "unknown function \"" << name << "\"; known: " << all_functions << "\n";
      return 2;
    }
    o.functions.push_back(f);
  }
  o.seeds = args["seeds"].as<int>();
  o.first_seed = args["first-seed"].as<int>();
  o.budget = args["budget"].as<int>();
  o.jobs = std::max(1, args["jobs"].as<int>());
  for (const std::string& p : SplitList(args["parallel"].as<std::string>())) {
    int n = 0;
    if (!absl::SimpleAtoi(p, &n) || n < 1) {
      std::cerr << "--parallel: \"" << p << "\" is not a positive integer\n";
      return 2;
    }
    o.parallel.push_back(n);
  }
  if (o.seeds < 1 || o.budget < 1 || o.algorithms.empty() || o.functions.empty() ||
      o.parallel.empty()) {
    std::cerr << "need at least one algorithm, function, parallel value, seed and trial\n";
    return 2;
  }
  if (args.count("settings")) {
    for (const std::string& s : args["settings"].as<std::vector<std::string>>()) {
      const size_t colon = s.find(':'), eq = s.find('=');
      if (colon == std::string::npos || eq == std::string::npos || eq < colon) {
        std::cerr << "--settings: \"" << s << "\" is not alg:key=value\n";
        return 2;
      }
      o.settings[s.substr(0, colon)].emplace_back(s.substr(colon + 1, eq - colon - 1),
                                                  s.substr(eq + 1));
    }
  }
  if (args.count("seed-setting")) {
    for (const std::string& s : args["seed-setting"].as<std::vector<std::string>>()) {
      const size_t colon = s.find(':');
      if (colon == std::string::npos) {
        std::cerr << "--seed-setting: \"" << s << "\" is not alg:name\n";
        return 2;
      }
      o.seed_setting[s.substr(0, colon)] = s.substr(colon + 1);
    }
  }
  if (args.count("json")) o.json = args["json"].as<std::string>();

  std::unique_ptr<suggestion::AlgorithmRegistry> registry =
      suggestion::AlgorithmRegistry::CreateDefault();
  std::vector<const suggestion::AlgorithmPlugin*> plugins;
  for (const std::string& name : o.algorithms) {
    absl::StatusOr<const suggestion::AlgorithmPlugin*> plugin = registry->Find(name);
    if (!plugin.ok()) {
      std::cerr << plugin.status().message() << "\n";
      return 2;
    }
    plugins.push_back(*plugin);
  }

  // Every run, then the runs spread over --jobs threads.
  struct Task {
    const Function* function;
    const suggestion::AlgorithmPlugin* plugin;
    int parallel;
    int seed;
    RunResult result;
  };
  std::vector<Task> tasks;
  for (const Function* f : o.functions) {
    for (const suggestion::AlgorithmPlugin* p : plugins) {
      for (int parallel : o.parallel) {
        for (int s = 0; s < o.seeds; ++s) tasks.push_back({f, p, parallel, o.first_seed + s, {}});
      }
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  struct Failure {
    Mutex mu;
    std::string text ABSL_GUARDED_BY(mu);
  } failure;
  auto worker = [&] {
    for (size_t i; !failed.load() && (i = next.fetch_add(1)) < tasks.size();) {
      Task& t = tasks[i];
      absl::StatusOr<RunResult> r = RunOne(o, *t.plugin, *t.function, t.parallel, t.seed);
      if (!r.ok()) {
        MutexLock lock(failure.mu);
        if (!failed.exchange(true)) {
          failure.text =
              absl::StrCat("FAIL: ", t.plugin->name(), " on ", t.function->name, ", parallel ",
                           t.parallel, ", seed ", t.seed, ": ", r.status().ToString());
        }
        return;
      }
      t.result = *std::move(r);
    }
  };
  const auto wall_start = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> threads;
    for (int j = 0; j < o.jobs; ++j) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (failed.load()) {
    MutexLock lock(failure.mu);
    std::cerr << failure.text << "\n";
    return 1;
  }

  const std::vector<int> checkpoints = Checkpoints(o.budget);
  nlohmann::json results = nlohmann::json::array();
  std::string header = "| function | algorithm | parallel |";
  std::string rule = "|---|---|---|";
  for (int b : checkpoints) {
    header += absl::StrCat(" @", b, " median [q25, q75] |");
    rule += "---|";
  }
  header += " suggest s/run |";
  rule += "---|";
  std::cout << "Best-so-far regret (best - f*), " << o.seeds << " seeds, budget " << o.budget
            << "; suggest s/run = median total GetSuggestions time of one run\n"
            << header << "\n"
            << rule << "\n";
  for (size_t begin = 0; begin < tasks.size(); begin += static_cast<size_t>(o.seeds)) {
    const Task& first = tasks[begin];
    nlohmann::json entry;
    entry["function"] = first.function->name;
    entry["algorithm"] = first.plugin->name();
    entry["parallel"] = first.parallel;
    entry["budgets"] = checkpoints;
    std::string line = absl::StrCat("| ", first.function->name, " | ", first.plugin->name(), " | ",
                                    first.parallel, " |");
    std::vector<double> times;
    nlohmann::json runs = nlohmann::json::array();
    for (int s = 0; s < o.seeds; ++s) {
      const Task& t = tasks[begin + static_cast<size_t>(s)];
      times.push_back(t.result.suggest_seconds);
      runs.push_back({{"seed", t.seed},
                      {"regret", t.result.regret},
                      {"suggest_seconds", t.result.suggest_seconds}});
    }
    for (size_t c = 0; c < checkpoints.size(); ++c) {
      std::vector<double> at;
      for (int s = 0; s < o.seeds; ++s)
        at.push_back(tasks[begin + static_cast<size_t>(s)].result.regret[c]);
      const double median = Quantile(at, 0.5), q25 = Quantile(at, 0.25), q75 = Quantile(at, 0.75);
      entry["median"].push_back(median);
      entry["q25"].push_back(q25);
      entry["q75"].push_back(q75);
      line += absl::StrCat(" ", Format(median), " [", Format(q25), ", ", Format(q75), "] |");
    }
    const double time_median = Quantile(times, 0.5);
    entry["suggest_seconds_median"] = time_median;
    entry["runs"] = runs;
    line += absl::StrCat(" ", absl::StrFormat("%.4f", time_median), " |");
    std::cout << line << "\n";
    results.push_back(entry);
  }
  std::cout << "wall " << absl::StrFormat("%.1f", wall) << " s, " << o.jobs << " job(s)\n";

  if (!o.json.empty()) {
    const std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::vector<std::string> argv_list(argv, argv + argc);
    nlohmann::json doc = {{"tool", "ktune"},
                          {"date", date},
                          {"command", absl::StrJoin(argv_list, " ")},
                          {"seeds", o.seeds},
                          {"first_seed", o.first_seed},
                          {"budget", o.budget},
                          {"hardware_threads", std::thread::hardware_concurrency()},
                          {"results", results}};
    std::ofstream out(o.json);
    out << doc.dump(2) << "\n";
    if (!out) {
      std::cerr << "cannot write " << o.json << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace ktune::bench

int main(int argc, char** argv) { return ktune::bench::Main(argc, argv); }
