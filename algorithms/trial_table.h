#pragma once
// TrialTable: what a model-based algorithm learns from an experiment's trials. Each trial is
// kept once by name (the host sends the full history once, then only new or changed trials)
// as its point in the search space's unit coordinates (Parameter::ToUnit) and its outcome,
// with the objective turned into a loss to minimise. Shared by algorithm plugins (target
// ktune_search_space). Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "algorithms/search_space.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

enum class TrialOutcome {
  // Created or running: its result is still to come. Algorithms that suggest a batch take
  // such points into account (a constant liar, a Kriging believer) so as not to suggest them
  // again.
  kPending,
  // Succeeded or EarlyStopped with a finite value of the objective metric (Katib's rule for
  // what an algorithm learns from): loss holds it.
  kCompleted,
  // Ended without a usable value: Failed, Killed, MetricsUnavailable, Unknown, or Succeeded /
  // EarlyStopped without a finite objective value. Never a good result: an algorithm either
  // ignores such a point or counts it among the bad ones, and never suggests it again.
  kFailed,
};

struct TrialRecord {
  std::string name;
  // One coordinate per parameter in SearchSpace order; NaN where the trial has no value of
  // this space for the parameter (a missing assignment, or a value ToUnit rejects).
  std::vector<double> unit;
  // Whether every coordinate is a number (the trial's point lies in this space).
  bool in_space = false;
  TrialOutcome outcome = TrialOutcome::kPending;
  // The objective value to minimise: as reported for MINIMIZE, negated for MAXIMIZE. NaN
  // unless the outcome is kCompleted.
  double loss = 0;
};

class TrialTable {
 public:
  // `space` must outlive the table. The objective (metric name, goal type) is the
  // experiment's spec.objective; a MAXIMIZE objective is negated into a loss.
  TrialTable(const SearchSpace& space, const api::v1::beta1::Experiment& experiment);

  // Adds the trials not seen before and replaces those seen under the same name (a trial
  // without a name is always added). Returns the indices into records() that were added or
  // whose outcome, loss or point changed, in increasing order.
  std::vector<size_t> Upsert(
      const google::protobuf::RepeatedPtrField<api::v1::beta1::Trial>& trials);

  // In order of first appearance; indices stay valid.
  const std::vector<TrialRecord>& records() const { return records_; }
  size_t size() const { return records_.size(); }
  // Records with each outcome.
  size_t count(TrialOutcome outcome) const { return counts_[static_cast<int>(outcome)]; }

  // The outcome and loss this table gives a trial message, as Upsert does.
  TrialOutcome OutcomeOf(const api::v1::beta1::Trial& trial, double* loss) const;

 private:
  TrialRecord MakeRecord(const api::v1::beta1::Trial& trial) const;

  const SearchSpace& space_;
  std::string metric_;
  bool maximize_ = false;
  std::vector<TrialRecord> records_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  size_t counts_[3] = {0, 0, 0};
};

}  // namespace ktune::algorithms
