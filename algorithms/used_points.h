#pragma once
// UsedPoints: the points an algorithm instance must not suggest again (AssignmentHistory) and,
// for a finite space that can be indexed, the same points by grid index (TakenGridPoints), so
// that a suggestion is either a point not used yet, or a uniformly chosen untaken grid point, or
// nothing when the space is exhausted. Shared by algorithm plugins (target ktune_search_space).
// Not thread-safe.

#include <cstdint>
#include <optional>

#include "algorithms/assignment_history.h"
#include "algorithms/rng.h"
#include "algorithms/search_space.h"
#include "algorithms/taken_grid_points.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

class UsedPoints {
 public:
  // `space` must outlive this object.
  explicit UsedPoints(const SearchSpace& space);
  UsedPoints(const UsedPoints&) = delete;
  UsedPoints& operator=(const UsedPoints&) = delete;

  // Records the trials' points (as AssignmentHistory::UpsertTrials).
  void UpsertTrials(const google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>& trials);

  // Whether the space's grid points are indexed: a finite space whose size() is not saturated.
  // Without an index an exact repeat is a rounding accident of a continuous dimension, or the
  // space is too large to be nearly used up.
  bool indexed() const { return taken_.has_value(); }
  // Untaken grid points; indexed() only.
  uint64_t untaken() const { return taken_->untaken(); }
  // The `n`-th untaken grid index in increasing order; indexed() and n < untaken().
  uint64_t NthUntaken(uint64_t n) const { return taken_->NthUntaken(n); }

  // Records `point` as suggested unless a trial has it or it was suggested before (then false).
  bool Claim(const google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>& point);

  // A uniformly chosen untaken grid index (one rng.UniformInt draw), not yet marked;
  // indexed() and untaken() > 0.
  uint64_t PickUntaken(Rng& rng) const { return taken_->NthUntaken(rng.UniformInt(untaken())); }
  // Marks a grid index as taken without recording its point (indexed() only): for an index
  // whose point a Claim refused.
  void MarkTaken(uint64_t index) { taken_->AddIssued(index); }

  // A uniformly chosen untaken grid point into `out`, recorded as suggested; false (and `out`
  // unspecified) when the space is used up or not indexed. The choice is the same as
  // enumerating the untaken points in grid order.
  bool TakeUntaken(Rng& rng,
                   google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>* out);

 private:
  const SearchSpace& space_;
  AssignmentHistory history_;
  std::optional<TakenGridPoints> taken_;  // indexed spaces only
};

}  // namespace ktune::algorithms
