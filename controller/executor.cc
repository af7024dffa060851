#include "controller/executor.h"

namespace ktune::controller {

TrialRef TrialRef::Of(const core::Trial& trial) {
  auto it = trial.metadata.labels.find(core::kExperimentLabel);
  return TrialRef{trial.metadata.namespace_,
                  it == trial.metadata.labels.end() ? std::string() : it->second,
                  trial.metadata.name};
}

std::string_view KindName(TrialExit::Kind kind) {
  switch (kind) {
    case TrialExit::Kind::kSucceeded:
      return "Succeeded";
    case TrialExit::Kind::kFailed:
      return "Failed";
    case TrialExit::Kind::kKilled:
      return "Killed";
    case TrialExit::Kind::kEarlyStopped:
      return "EarlyStopped";
    case TrialExit::Kind::kInterrupted:
      return "Interrupted";
  }
  return "Unknown";
}

}  // namespace ktune::controller
