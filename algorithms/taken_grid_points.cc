#include "algorithms/taken_grid_points.h"

#include <cmath>

#include "core/number.h"

namespace ktune::algorithms {

using api::v1::beta1::ParameterAssignment;
using api::v1::beta1::Trial;
using google::protobuf::RepeatedPtrField;

TakenGridPoints::TakenGridPoints(const SearchSpace& space) : space_(space) {
  const std::vector<Parameter>& parameters = space.parameters();
  strides_.assign(parameters.size(), 1);
  for (size_t j = parameters.size(); j-- > 1;) {
    strides_[j - 1] = strides_[j] * parameters[j].size();
  }
  lists_.resize(parameters.size());
  for (size_t j = 0; j < parameters.size(); ++j) {
    const Parameter& p = parameters[j];
    if (p.kind() != ParameterKind::kDiscrete && p.kind() != ParameterKind::kCategorical) continue;
    for (uint64_t d = 0; d < p.size(); ++d) lists_[j].try_emplace(p.Canonical(p.ValueAt(d)), d);
  }
}

void TakenGridPoints::UpsertTrials(const RepeatedPtrField<Trial>& trials) {
  for (const Trial& trial : trials) {
    std::optional<uint64_t> index = IndexOf(trial.spec().parameter_assignments().assignments());
    if (!trial.name().empty()) {
      auto [it, inserted] = trial_index_.try_emplace(trial.name(), index);
      if (!inserted) {
        if (it->second == index) continue;
        if (it->second) ReleaseTrialPoint(*it->second);
        it->second = index;
      }
    }
    if (index && ++trial_counts_[*index] == 1) taken_.insert(*index);
  }
}

void TakenGridPoints::AddIssued(uint64_t index) {
  issued_.insert(index);
  taken_.insert(index);
}

uint64_t TakenGridPoints::NthUntaken(uint64_t n) const {
  uint64_t candidate = n;
  for (uint64_t t : taken_) {
    if (t > candidate) break;
    ++candidate;
  }
  return candidate;
}

std::optional<uint64_t> TakenGridPoints::IndexOf(
    const RepeatedPtrField<ParameterAssignment>& assignments) const {
  const std::vector<Parameter>& parameters = space_.parameters();
  if (static_cast<size_t>(assignments.size()) != parameters.size()) return std::nullopt;
  uint64_t index = 0;
  std::vector<bool> seen(parameters.size());
  for (const ParameterAssignment& a : assignments) {
    const Parameter* p = space_.Find(a.name());
    if (p == nullptr) return std::nullopt;
    const size_t j = static_cast<size_t>(p - parameters.data());
    if (seen[j]) return std::nullopt;
    seen[j] = true;
    std::optional<uint64_t> digit = DigitOf(j, a.value());
    if (!digit) return std::nullopt;
    index += *digit * strides_[j];
  }
  return index;
}

std::optional<uint64_t> TakenGridPoints::DigitOf(size_t j, const std::string& value) const {
  const Parameter& p = space_.parameters()[j];
  const std::string canonical = p.Canonical(value);
  if (p.kind() == ParameterKind::kDiscrete || p.kind() == ParameterKind::kCategorical) {
    auto it = lists_[j].find(canonical);
    if (it == lists_[j].end()) return std::nullopt;
    return it->second;
  }
  // int, stepped double, or a double with min == max: the nearest point, if it is this one.
  std::optional<double> number = core::ParseFiniteNumber(canonical);
  if (!number) return std::nullopt;
  double k = 0;
  if (p.size() > 1) k = std::nearbyint((*number - p.min()) / p.step());
  if (!(k >= 0 && k < static_cast<double>(p.size()))) return std::nullopt;
  const uint64_t digit = static_cast<uint64_t>(k);
  if (p.Canonical(p.ValueAt(digit)) != canonical) return std::nullopt;
  return digit;
}

void TakenGridPoints::ReleaseTrialPoint(uint64_t index) {
  auto it = trial_counts_.find(index);
  if (it == trial_counts_.end() || --it->second > 0) return;
  trial_counts_.erase(it);
  if (!issued_.contains(index)) taken_.erase(index);
}

}  // namespace ktune::algorithms
