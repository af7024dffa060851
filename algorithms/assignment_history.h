#pragma once
// The points an algorithm instance must not suggest again: those of the experiment's trials
// (upserted by trial name, as the host sends full history once and then only changes) and those
// the instance handed out itself. Shared by algorithm plugins (target ktune_search_space).
// Not thread-safe.

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "algorithms/search_space.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

class AssignmentHistory {
 public:
  // Records each trial's point (SearchSpace::CanonicalKey of its assignments), replacing the
  // point an earlier version of the same trial had. Trials without a name only add.
  void UpsertTrials(const SearchSpace& space,
                    const google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>& trials);
  // Records a point this instance suggested.
  void AddIssued(const std::string& key) { issued_.insert(key); }
  // Whether a trial has, or this instance suggested, the point with this key.
  bool Contains(const std::string& key) const;
  // The number of assignments this instance suggested.
  size_t issued() const { return issued_.size(); }

 private:
  absl::flat_hash_map<std::string, std::string> trial_keys_;  // trial name -> key
  absl::flat_hash_map<std::string, int> trial_key_counts_;    // key -> trials with it
  absl::flat_hash_set<std::string> issued_;
};

}  // namespace ktune::algorithms
