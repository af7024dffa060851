// Suggestion latency (BENCHMARKS.md §2) through `ktune suggestion`'s service over real gRPC on
// loopback: the time of one GetSuggestions round trip (client serialization, transport, the
// service's diff against the experiment's instance, the plugin, the reply) with 1 and 8
// assignments at 100, 1000 and 5000 finished trials, 6-D continuous (Hartmann6's space: six
// doubles in [0, 1]), per algorithm.
//
// As Katib does, every call carries the whole history (finished trials with their objective
// values). Before timing, one untimed call builds the experiment's instance from the full
// history; each timed call then adds one new finished trial to the history, so the service's
// diff sends the plugin one trial and the plugin updates its model with it.
//
//   suggestion_latency_bench [--algorithms=random,grid] [--call_budget_s=1] [benchmark flags]
//
// Default: every algorithm the registry has. An algorithm that refuses the continuous space
// (grid needs a step for doubles) runs on the same space on a lattice of step 0.01 (101^6
// points, the history on it too), labelled so; one that refuses that too is skipped with its
// message. Each benchmark makes at least 5
// and at most max(20, history / 10) timed calls (so the history grows by at most a tenth), for
// about --call_budget_s seconds; the Time column is the median round trip, p90_ms the 90th
// percentile, request_kb the size of the last request.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "api/api.grpc.pb.h"
#include "bench/functions.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "spdlog/spdlog.h"
#include "suggestion/grpc_service.h"
#include "suggestion/registry.h"

namespace {

namespace api = ::api::v1::beta1;
using Clock = std::chrono::steady_clock;

constexpr int kDims = 6;

// `step` empty: continuous; else every double on that lattice (for algorithms that need one).
api::Experiment MakeExperiment(const std::string& name, const std::string& algorithm,
                               const std::string& step) {
  api::Experiment e;
  e.set_name(name);
  auto* spec = e.mutable_spec();
  for (int i = 0; i < kDims; ++i) {
    auto* p = spec->mutable_parameter_specs()->add_parameters();
    p->set_name(absl::StrCat("x", i));
    p->set_parameter_type(api::DOUBLE);
    p->mutable_feasible_space()->set_min("0");
    p->mutable_feasible_space()->set_max("1");
    if (!step.empty()) p->mutable_feasible_space()->set_step(step);
  }
  spec->mutable_objective()->set_type(api::MINIMIZE);
  spec->mutable_objective()->set_objective_metric_name("loss");
  spec->mutable_algorithm()->set_algorithm_name(algorithm);
  spec->set_parallel_trial_count(8);
  spec->set_max_trial_count(100000);
  return e;
}

// A finished (Succeeded) trial at a uniform point (on the lattice of `step` when not 0), with
// its Hartmann6 value.
void AddFinishedTrial(std::mt19937_64& rng, double step, api::GetSuggestionsRequest* request) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  api::Trial* t = request->add_trials();
  t->set_name(absl::StrCat(request->experiment().name(), "-", request->trials_size()));
  double x[kDims];
  for (int i = 0; i < kDims; ++i) {
    x[i] = u(rng);
    if (step > 0) x[i] = std::round(x[i] / step) * step;
    auto* a = t->mutable_spec()->mutable_parameter_assignments()->add_assignments();
    a->set_name(absl::StrCat("x", i));
    a->set_value(step > 0 ? absl::StrFormat("%.6g", x[i]) : absl::StrCat(x[i]));
  }
  t->mutable_spec()->mutable_objective()->set_type(api::MINIMIZE);
  t->mutable_spec()->mutable_objective()->set_objective_metric_name("loss");
  auto* status = t->mutable_status();
  status->set_start_time("2026-12-01T00:00:00Z");
  status->set_completion_time("2026-12-01T00:01:00Z");
  status->set_condition(api::TrialStatus::SUCCEEDED);
  auto* m = status->mutable_observation()->add_metrics();
  m->set_name("loss");
  m->set_value(absl::StrCat(ktune::bench::detail::Hartmann6(ktune::bench::Point(x, x + kDims))));
}

// --call_budget_s: how long one benchmark keeps calling (default 1 s).
double& CallBudget() {
  static double budget = 1.0;
  return budget;
}
double CallBudgetSeconds() { return CallBudget(); }

struct Fixture {
  std::unique_ptr<ktune::suggestion::AlgorithmRegistry> registry;
  std::unique_ptr<ktune::suggestion::SuggestionServer> server;
  std::unique_ptr<api::Suggestion::Stub> stub;
};

Fixture& Shared() {
  static Fixture* fixture = [] {
    auto* f = new Fixture();
    f->registry = ktune::suggestion::AlgorithmRegistry::CreateDefault();
    ktune::suggestion::SuggestionServer::Options options;
    options.port = 0;
    options.service.algorithm = "all";
    absl::StatusOr<std::unique_ptr<ktune::suggestion::SuggestionServer>> server =
        ktune::suggestion::SuggestionServer::Start(*f->registry, options);
    if (!server.ok()) {
      spdlog::error("cannot start the suggestion service: {}",
                    std::string(server.status().message()));
      std::exit(1);
    }
    f->server = *std::move(server);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    f->stub = api::Suggestion::NewStub(
        grpc::CreateCustomChannel(f->server->target(), grpc::InsecureChannelCredentials(), args));
    return f;
  }();
  return *fixture;
}

void BM_GetSuggestions(benchmark::State& state, const std::string& algorithm) {
  const int history = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  Fixture& f = Shared();
  std::mt19937_64 rng(42);
  api::GetSuggestionsRequest request;
  double step = 0;
  int64_t total = 0;
  auto call = [&](api::GetSuggestionsReply* reply) {
    total += batch;
    request.set_current_request_number(batch);
    request.set_total_request_number(static_cast<int32_t>(total));
    grpc::ClientContext context;
    return f.stub->GetSuggestions(&context, request, reply);
  };
  // The continuous space first; an algorithm that refuses it (grid needs a step for doubles)
  // gets the same space on a lattice of step 0.01 (101^6 points).
  for (const char* lattice : {"", "0.01"}) {
    step = *lattice ? 0.01 : 0;
    request.Clear();
    *request.mutable_experiment() = MakeExperiment(
        absl::StrCat(algorithm, "-h", history, "-b", batch, *lattice ? "-lattice" : ""), algorithm,
        lattice);
    for (int i = 0; i < history; ++i) AddFinishedTrial(rng, step, &request);
    total = 0;
    api::GetSuggestionsReply reply;
    grpc::Status status = call(&reply);  // builds the instance from the full history
    if (status.ok() && reply.parameter_assignments_size() == batch) {
      if (*lattice) state.SetLabel(absl::StrCat(algorithm, " (lattice, step ", lattice, ")"));
      break;
    }
    if (status.error_code() != grpc::INVALID_ARGUMENT || *lattice) {
      state.SkipWithError(absl::StrCat(algorithm, ": ",
                                       status.ok() ? "fewer assignments than asked for" : "",
                                       status.error_message())
                              .c_str());
      return;
    }
  }

  // Our own loop in one benchmark iteration: the history may grow by at most a tenth (at
  // least 20 calls' worth) during the measurement, and a slow algorithm stops after the time
  // budget (at least 5 calls).
  const int max_calls = std::max(20, history / 10);
  std::vector<double> ms;
  for (auto _ : state) {
    const Clock::time_point begin = Clock::now();
    while (static_cast<int>(ms.size()) < max_calls &&
           (ms.size() < 5 ||
            std::chrono::duration<double>(Clock::now() - begin).count() < CallBudgetSeconds())) {
      AddFinishedTrial(rng, step, &request);
      api::GetSuggestionsReply reply;
      const Clock::time_point start = Clock::now();
      grpc::Status status = call(&reply);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (!status.ok() || reply.parameter_assignments_size() != batch) {
        state.SkipWithError(absl::StrCat(algorithm, ": ", status.error_message()).c_str());
        return;
      }
      ms.push_back(seconds * 1e3);
    }
    std::sort(ms.begin(), ms.end());
    // The Time column is the median round trip.
    state.SetIterationTime(ms[ms.size() / 2] / 1e3);
  }
  state.counters["median_ms"] = ms[ms.size() / 2];
  state.counters["p90_ms"] = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  state.counters["calls"] = static_cast<double>(ms.size());
  state.counters["request_kb"] = static_cast<double>(request.ByteSizeLong()) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::vector<std::string> algorithms;
  bool chosen = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("--algorithms=")) {
      chosen = true;
      for (absl::string_view name : absl::StrSplit(arg.substr(std::string("--algorithms=").size()),
                                                   ',', absl::SkipEmpty())) {
        algorithms.emplace_back(name);
      }
    } else if (arg.starts_with("--call_budget_s=")) {
      CallBudget() = std::atof(arg.c_str() + std::string("--call_budget_s=").size());
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (!chosen) algorithms = Shared().registry->Names();
  for (const std::string& algorithm : algorithms) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_GetSuggestions/", algorithm).c_str(),
                                 BM_GetSuggestions, algorithm)
        ->ArgNames({"history", "batch"})
        ->ArgsProduct({{100, 1000, 5000}, {1, 8}})
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
