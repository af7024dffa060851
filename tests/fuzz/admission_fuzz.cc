// The admission webhook's request handler on arbitrary bodies, for each of its three paths.
// Every answer is a well-formed HTTP reply: 200 with JSON, or 400 with a message.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "webhook/admission.h"

namespace {

const ktune::webhook::AdmissionOptions& Options() {
  static const ktune::webhook::AdmissionOptions* options = [] {
    auto* o = new ktune::webhook::AdmissionOptions;
    o->validation.algorithms = {"random", "grid"};
    o->validation.metrics_collector_kinds = {"StdOut", "File"};
    ktune::webhook::CollectorConfig collector;
    collector.image = "docker.io/kubeflowkatib/file-metrics-collector:latest";
    o->injection.collectors["StdOut"] = collector;
    o->injection.collectors["File"] = collector;
    return o;
  }();
  return *options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const char* path : {ktune::webhook::kValidateExperimentPath,
                           ktune::webhook::kMutateExperimentPath, ktune::webhook::kMutatePodPath}) {
    const ktune::webhook::HttpReply reply = ktune::webhook::HandleAdmission(path, body, Options());
    if (reply.status == 200) {
      // The reply must itself be JSON (the API server parses it).
      if (!nlohmann::json::accept(reply.body)) __builtin_trap();
    } else if (reply.status != 400) {
      __builtin_trap();
    }
  }
  return 0;
}
