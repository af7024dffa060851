// REVIEW.md top finding 3: the admission webhook's cost for 3 MB AdmissionReviews of hostile
// shapes (the API server's request limit). Reports time per review (Google Benchmark) and the
// answer's size; the 64 MB peak-RSS bound is asserted by tests/unit/webhook/webhook_limits_test.
//
// Run: build/bin/webhook_limits_bench [--benchmark_filter=Validate]

#include <benchmark/benchmark.h>

#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "webhook/admission.h"

namespace {

using json = nlohmann::json;
using ktune::webhook::AdmissionOptions;
using ktune::webhook::HandleAdmission;
using ktune::webhook::HttpReply;

constexpr size_t kThreeMiB = 3u << 20;

json Experiment() {
  return json::parse(R"({
    "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
    "metadata": {"name": "bench", "namespace": "default"},
    "spec": {
      "objective": {"type": "minimize", "objectiveMetricName": "loss"},
      "algorithm": {"algorithmName": "random"},
      "parameters": [{"name": "lr", "parameterType": "double",
                      "feasibleSpace": {"min": "0.001", "max": "0.3"}}],
      "trialTemplate": {
        "primaryContainerName": "training-container",
        "trialParameters": [{"name": "learningRate", "reference": "lr"}],
        "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
          "restartPolicy": "Never",
          "containers": [{"name": "training-container", "image": "python:3",
                          "command": ["python3", "train.py",
                                      "--lr=${trialParameters.learningRate}"]}]
        }}}}
      }
    }
  })");
}

std::string Review(const json& object) {
  return json({{"apiVersion", "admission.k8s.io/v1"},
               {"kind", "AdmissionReview"},
               {"request", {{"uid", "u"}, {"operation", "CREATE"}, {"object", object}}}})
      .dump();
}

std::string Body(int shape) {
  json e = Experiment();
  switch (shape) {
    case 0: {  // arrays nested 1.5M deep
      std::string text = Review(e);
      const std::string anchor = R"("restartPolicy":"Never")";
      const size_t depth = kThreeMiB / 2;
      text.replace(text.find(anchor), anchor.size(),
                   "\"x\":" + std::string(depth, '[') + std::string(depth, ']'));
      return text;
    }
    case 1:    // 10k parameters with 240-byte names, each with an error
    case 4: {  // 36k parameters: over the webhook's JSON value limit
      const int count = shape == 1 ? 10'000 : 36'500;
      for (int i = 0; i < count; ++i) {
        std::string name = absl::StrCat("p", i);
        if (shape == 1) name.resize(240, 'n');
        e["spec"]["parameters"].push_back({{"name", name},
                                           {"parameterType", absl::StrCat("bogus", i)},
                                           {"feasibleSpace", {{"min", "1"}, {"max", "2"}}}});
      }
      return Review(e);
    }
    case 2: {  // a 3 MB template with 100k undefined placeholders
      std::string arg;
      for (int i = 0; i < 100'000; ++i) absl::StrAppend(&arg, "${trialParameters.q", i, "} ");
      if (arg.size() < kThreeMiB) arg += std::string(kThreeMiB - arg.size(), 'x');
      e["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"] =
          json::array({arg});
      return Review(e);
    }
    default: {  // a 3 MB name
      e["metadata"]["name"] = std::string(kThreeMiB, 'n');
      return Review(e);
    }
  }
}

const char* kShapeNames[] = {"DeepNesting", "ParameterErrors", "HugeTemplate", "LongName",
                             "TooManyValues"};

void BM_Admission(benchmark::State& state, const char* path) {
  const std::string body = Body(static_cast<int>(state.range(0)));
  AdmissionOptions options;
  options.validation.algorithms = {"random"};
  options.validation.metrics_collector_kinds = {"StdOut"};
  size_t reply_bytes = 0;
  for (auto _ : state) {
    HttpReply reply = HandleAdmission(path, body, options);
    reply_bytes = reply.body.size();
    benchmark::DoNotOptimize(reply);
  }
  state.SetLabel(kShapeNames[state.range(0)]);
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.counters["reply_bytes"] = static_cast<double>(reply_bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

BENCHMARK_CAPTURE(BM_Admission, Validate, ktune::webhook::kValidateExperimentPath)
    ->DenseRange(0, 4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Admission, MutateExperiment, ktune::webhook::kMutateExperimentPath)
    ->DenseRange(0, 4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Admission, MutatePod, ktune::webhook::kMutatePodPath)
    ->DenseRange(0, 4)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
