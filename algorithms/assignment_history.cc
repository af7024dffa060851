#include "algorithms/assignment_history.h"

namespace ktune::algorithms {

void AssignmentHistory::UpsertTrials(
    const SearchSpace& space,
    const google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>& trials) {
  for (const api::v1::beta1::Trial& trial : trials) {
    std::string key = space.CanonicalKey(trial.spec().parameter_assignments().assignments());
    if (!trial.name().empty()) {
      auto [it, inserted] = trial_keys_.try_emplace(trial.name(), key);
      if (!inserted) {
        if (it->second == key) continue;
        if (--trial_key_counts_[it->second] == 0) trial_key_counts_.erase(it->second);
        it->second = key;
      }
    }
    ++trial_key_counts_[key];
  }
}

bool AssignmentHistory::Contains(const std::string& key) const {
  return issued_.contains(key) || trial_key_counts_.contains(key);
}

}  // namespace ktune::algorithms
