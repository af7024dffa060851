#include "algorithms/trial_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "core/number.h"

namespace ktune::algorithms {

using api::v1::beta1::Trial;
using api::v1::beta1::TrialStatus;

TrialTable::TrialTable(const SearchSpace& space, const api::v1::beta1::Experiment& experiment)
    : space_(space),
      metric_(experiment.spec().objective().objective_metric_name()),
      maximize_(experiment.spec().objective().type() == api::v1::beta1::MAXIMIZE) {}

TrialOutcome TrialTable::OutcomeOf(const Trial& trial, double* loss) const {
  *loss = std::numeric_limits<double>::quiet_NaN();
  switch (trial.status().condition()) {
    case TrialStatus::CREATED:
    case TrialStatus::RUNNING:
      return TrialOutcome::kPending;
    case TrialStatus::SUCCEEDED:
    case TrialStatus::EARLYSTOPPED:
      for (const api::v1::beta1::Metric& metric : trial.status().observation().metrics()) {
        if (metric.name() != metric_) continue;
        if (std::optional<double> value = core::ParseFiniteNumber(metric.value())) {
          *loss = maximize_ ? -*value : *value;
          return TrialOutcome::kCompleted;
        }
      }
      return TrialOutcome::kFailed;
    default:
      return TrialOutcome::kFailed;
  }
}

TrialRecord TrialTable::MakeRecord(const Trial& trial) const {
  TrialRecord record;
  record.name = trial.name();
  const std::vector<Parameter>& parameters = space_.parameters();
  record.unit.assign(parameters.size(), std::numeric_limits<double>::quiet_NaN());
  for (const api::v1::beta1::ParameterAssignment& a :
       trial.spec().parameter_assignments().assignments()) {
    const Parameter* p = space_.Find(a.name());
    if (p == nullptr) continue;
    const size_t j = static_cast<size_t>(p - parameters.data());
    if (std::optional<double> u = p->ToUnit(a.value())) record.unit[j] = *u;
  }
  record.in_space = true;
  for (double u : record.unit) record.in_space = record.in_space && !std::isnan(u);
  record.outcome = OutcomeOf(trial, &record.loss);
  return record;
}

namespace {
bool SameRecord(const TrialRecord& a, const TrialRecord& b) {
  if (a.outcome != b.outcome || a.in_space != b.in_space || a.unit.size() != b.unit.size()) {
    return false;
  }
  if (!(a.loss == b.loss || (std::isnan(a.loss) && std::isnan(b.loss)))) return false;
  for (size_t j = 0; j < a.unit.size(); ++j) {
    if (!(a.unit[j] == b.unit[j] || (std::isnan(a.unit[j]) && std::isnan(b.unit[j])))) {
      return false;
    }
  }
  return true;
}
}  // namespace

std::vector<size_t> TrialTable::Upsert(const google::protobuf::RepeatedPtrField<Trial>& trials) {
  std::vector<size_t> changed;
  for (const Trial& trial : trials) {
    TrialRecord record = MakeRecord(trial);
    size_t index = records_.size();
    if (!trial.name().empty()) {
      auto [it, inserted] = by_name_.try_emplace(trial.name(), index);
      if (!inserted) {
        index = it->second;
        TrialRecord& old = records_[index];
        if (SameRecord(old, record)) continue;
        --counts_[static_cast<int>(old.outcome)];
        ++counts_[static_cast<int>(record.outcome)];
        old = std::move(record);
        if (changed.empty() || changed.back() != index) changed.push_back(index);
        continue;
      }
    }
    ++counts_[static_cast<int>(record.outcome)];
    records_.push_back(std::move(record));
    changed.push_back(index);
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  return changed;
}

}  // namespace ktune::algorithms
