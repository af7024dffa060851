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

std::string TrialDelta::Fingerprint(const api::Trial& trial) {
  return trial.status().SerializeAsString();
}

bool TrialDelta::Changed(std::string_view name, std::string_view fingerprint) const {
  if (name.empty()) return false;
  // Debian's abseil keys its maps with its own string_view.
  const absl::string_view key(name.data(), name.size());
  if (auto it = pending_.find(key); it != pending_.end()) return it->second != fingerprint;
  auto it = known_.find(key);
  return it == known_.end() || it->second != fingerprint;
}

bool TrialDelta::Offer(const api::Trial& trial, std::string fingerprint) {
  if (trial.name().empty()) return false;
  // A later entry of the same name in one call replaces the earlier one, as in a plugin.
  pending_.insert_or_assign(trial.name(), std::move(fingerprint));
  return IsSentToAlgorithm(trial);
}

bool TrialDelta::Offer(const api::Trial& trial) {
  std::string fingerprint = Fingerprint(trial);
  if (!Changed(trial.name(), fingerprint)) return false;
  return Offer(trial, std::move(fingerprint));
}

void TrialDelta::Select(const google::protobuf::RepeatedPtrField<api::Trial>& history,
                        google::protobuf::RepeatedPtrField<api::Trial>* out) {
  for (const api::Trial& trial : history) {
    if (Offer(trial)) *out->Add() = trial;
  }
}

void TrialDelta::Commit() {
  for (auto& [name, fingerprint] : pending_) known_[name] = std::move(fingerprint);
  pending_.clear();
}

void TrialDelta::Abandon() { pending_.clear(); }

void TrialDelta::Reset() {
  known_.clear();
  pending_.clear();
}

}  // namespace ktune::suggestion
