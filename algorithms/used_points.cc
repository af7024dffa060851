#include "algorithms/used_points.h"

#include <limits>
#include <string>

namespace ktune::algorithms {

using api::v1::beta1::ParameterAssignment;
using google::protobuf::RepeatedPtrField;

UsedPoints::UsedPoints(const SearchSpace& space) : space_(space) {
  // A saturated size cannot be indexed; such a space is never nearly used up anyway.
  if (space_.finite() && space_.size() < std::numeric_limits<uint64_t>::max()) {
    taken_.emplace(space_);
  }
}

void UsedPoints::UpsertTrials(const RepeatedPtrField<api::v1::beta1::Trial>& trials) {
  history_.UpsertTrials(space_, trials);
  if (taken_) taken_->UpsertTrials(trials);
}

bool UsedPoints::Claim(const RepeatedPtrField<ParameterAssignment>& point) {
  std::string key = space_.CanonicalKey(point);
  if (history_.Contains(key)) return false;
  history_.AddIssued(key);
  if (taken_) {
    if (std::optional<uint64_t> index = taken_->IndexOf(point)) taken_->AddIssued(*index);
  }
  return true;
}

bool UsedPoints::TakeUntaken(Rng& rng, RepeatedPtrField<ParameterAssignment>* out) {
  if (!taken_) return false;
  while (taken_->untaken() > 0) {
    const uint64_t index = PickUntaken(rng);
    space_.GridPoint(index, out);
    std::string key = space_.CanonicalKey(*out);
    taken_->AddIssued(index);
    // The two records agree by construction; the check keeps a disagreement from becoming a
    // repeated point.
    if (history_.Contains(key)) continue;
    history_.AddIssued(key);
    return true;
  }
  return false;
}

}  // namespace ktune::algorithms
