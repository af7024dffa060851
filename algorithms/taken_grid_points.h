#pragma once
// TakenGridPoints: which points of a finite search space are used, by their mixed-radix index,
// so that an algorithm can find an unused point, or know the space is exhausted, without
// enumerating the space. Shared by algorithm plugins (target ktune_search_space).
// Not thread-safe.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "algorithms/search_space.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

// The grid points of a finite space that are taken (by the experiment's trials or suggested by
// this instance), by their mixed-radix index (SearchSpace::GridPoint order), kept in step with
// AssignmentHistory: an index is taken exactly when the history contains its point's key. Once
// sampling keeps hitting taken points, an untaken one is found from the sorted taken indices in
// O(taken) time and memory, without enumerating the space (REVIEW 1.9: an old fallback built
// the key of each of up to 2^20 points on every missed draw).
//
// Only for a finite space whose size() is not saturated (size() < UINT64_MAX); `space` must
// outlive this object.
class TakenGridPoints {
 public:
  explicit TakenGridPoints(const SearchSpace& space);

  // As AssignmentHistory::UpsertTrials.
  void UpsertTrials(const google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>& trials);
  // Marks a point this instance suggested.
  void AddIssued(uint64_t index);
  bool Contains(uint64_t index) const { return taken_.contains(index); }
  uint64_t untaken() const { return space_.size() - taken_.size(); }
  // The `n`-th untaken index in increasing order; n < untaken().
  uint64_t NthUntaken(uint64_t n) const;

  // The index of the grid point `assignments` names (one assignment per parameter, values
  // equal after Parameter::Canonical), or nullopt when they name none.
  std::optional<uint64_t> IndexOf(
      const google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>& assignments)
      const;

 private:
  std::optional<uint64_t> DigitOf(size_t j, const std::string& value) const;
  void ReleaseTrialPoint(uint64_t index);

  const SearchSpace& space_;
  std::vector<uint64_t> strides_;  // mixed-radix weights, first parameter slowest
  std::vector<absl::flat_hash_map<std::string, uint64_t>> lists_;          // list values -> digit
  absl::flat_hash_map<std::string, std::optional<uint64_t>> trial_index_;  // trial -> point
  absl::flat_hash_map<uint64_t, int> trial_counts_;  // index -> trials with it
  absl::flat_hash_set<uint64_t> issued_;
  std::set<uint64_t> taken_;  // trial points and issued points, sorted
};

}  // namespace ktune::algorithms
