// Experiment text as `ktune run` reads it, through to the local command of its first trials:
// ParseExperiment -> SetDefaults -> ValidateExperiment -> NewTrial -> LocalCommandFor.
// Nothing is started: LocalCommandFor only computes argv, env and working directory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/local/local_executor.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "core/experiment.h"
#include "core/template.h"
#include "core/validation.h"

namespace {

// One value per parameter: the lower bound (or first list entry) when `high` is false, the
// upper bound (or last list entry) otherwise; the trial template decides what they become.
std::vector<ktune::core::ParameterAssignment> Assignments(const ktune::core::Experiment& e,
                                                          bool high) {
  std::vector<ktune::core::ParameterAssignment> out;
  for (const ktune::core::ParameterSpec& p : e.spec.parameters) {
    const ktune::core::FeasibleSpace& fs = p.feasible_space;
    std::string value;
    if (!fs.list.empty()) {
      value = high ? fs.list.back() : fs.list.front();
    } else {
      value = high ? fs.max : fs.min;
    }
    out.push_back({p.name, value});
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ktune::core::Experiment> parsed = ktune::core::ParseExperiment(text, "fuzz");
  if (!parsed.ok()) return 0;
  ktune::core::Experiment experiment = *std::move(parsed);
  ktune::core::SetDefaults(experiment);

  ktune::core::ValidationOptions options;
  options.algorithms = {"random", "grid"};
  options.metrics_collector_kinds = {"StdOut", "File"};
  for (const ktune::core::FieldError& error :
       ktune::core::ValidateExperiment(experiment, options)) {
    (void)error.ToString();
    if (error.blocks_run) return 0;  // `ktune run` refuses it up front.
  }

  for (bool high : {false, true}) {
    absl::StatusOr<ktune::core::Trial> trial = ktune::core::NewTrial(
        experiment, high ? "fuzz-trial-2" : "fuzz-trial-1", Assignments(experiment, high));
    if (!trial.ok()) continue;
    absl::StatusOr<ktune::controller::LocalCommand> command =
        ktune::controller::LocalCommandFor(*trial);
    if (command.ok() && command->argv.empty()) __builtin_trap();  // nothing to exec
  }
  return 0;
}
