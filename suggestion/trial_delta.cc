#include "suggestion/trial_delta.h"

#include <utility>

#include "core/number.h"

namespace ktune::suggestion {

namespace api = ::api::v1::beta1;

bool IsSentToAlgorithm(const api::Trial& trial) {
  switch (trial.status().condition()) {
    case api::TrialStatus::METRICSUNAVAILABLE:
      return false;
    case api::TrialStatus::EARLYSTOPPED: {
      const std::string& objective = trial.spec().objective().objective_metric_name();
      for (const api::Metric& metric : trial.status().observation().metrics()) {
        if (metric.name() == objective) {
          return core::ParseFiniteNumber(metric.value()).has_value();
        }
      }
      return false;
    }
    default:
      return true;
  }
}

bool TrialDelta::Offer(const api::Trial& trial) {
  if (trial.name().empty() || !IsSentToAlgorithm(trial)) return false;
  std::string fingerprint = trial.status().SerializeAsString();
  if (auto it = pending_.find(trial.name()); it != pending_.end()) {
    if (it->second == fingerprint) return false;
    it->second = std::move(fingerprint);  // a later entry of the same name wins, as in a plugin
    return true;
  }
  if (auto it = accepted_.find(trial.name()); it != accepted_.end() && it->second == fingerprint) {
    return false;
  }
  pending_.emplace(trial.name(), std::move(fingerprint));
  return true;
}

void TrialDelta::Select(const google::protobuf::RepeatedPtrField<api::Trial>& history,
                        google::protobuf::RepeatedPtrField<api::Trial>* out) {
  for (const api::Trial& trial : history) {
    if (Offer(trial)) *out->Add() = trial;
  }
}

void TrialDelta::Commit() {
  for (auto& [name, fingerprint] : pending_) accepted_[name] = std::move(fingerprint);
  pending_.clear();
}

void TrialDelta::Abandon() { pending_.clear(); }

void TrialDelta::Reset() {
  accepted_.clear();
  pending_.clear();
}

}  // namespace ktune::suggestion
