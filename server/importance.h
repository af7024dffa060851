#pragma once
// Parameter importance by PED-ANOVA (Watanabe et al. 2023, "PED-ANOVA: Efficiently Quantifying
// Hyperparameter Importance in Arbitrary Subspaces"), as Optuna's PedAnovaImportanceEvaluator
// computes it with its defaults (evaluate_on_local): the trials whose loss is in the best
// γ = 10 % (at least 2 of them) against all completed trials. For each parameter, a Parzen
// estimator of each set over the parameter's cells (Scott's-rule bandwidth, discretised
// truncated normal kernels plus a prior kernel for numbers; Optuna's categorical kernels for
// categories), then the Pearson divergence Σ p_all (p_top / p_all - 1)²; the divergences are
// normalised to sum to 1. A parameter with a single value gets 0.
//
// Pure functions over unit coordinates (algorithms/search_space.h, Parameter::ToUnit) and
// losses (lower is better: a maximised objective is negated first). No I/O; thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ktune::server {

// How one parameter's unit coordinate is cut into the cells the estimators count in.
struct ImportanceAxis {
  std::string name;
  // Categories have no order: each cell is its own kernel's peak, no neighbourhood.
  bool categorical = false;
  // The unit coordinates of the cells' centres, increasing; a coordinate counts in the cell
  // of the nearest centre. Empty: 50 evenly spaced centres over [0, 1] (Optuna's n_steps for
  // a continuous parameter). One centre: a single-valued parameter (importance 0).
  std::vector<double> centres;
};

// The cells of a parameter with `points` values at these unit coordinates (any order, e.g.
// Parameter::UnitOfIndex of each): those coordinates, sorted, when there are at most 50 of
// them; otherwise 50 even centres (a long integer range is binned as Optuna bins it).
std::vector<double> CellCentres(std::vector<double> unit_points);

struct Importance {
  std::string parameter;
  double importance = 0;
};

struct PedAnovaOptions {
  double baseline_quantile = 0.1;
  int min_top_trials = 2;
  // Fewer completed trials than this: FailedPrecondition (with fewer than 3 every trial is
  // among the best and the answer says nothing).
  int min_trials = 3;
};

// `units[i]` is trial i's point (one coordinate per axis, in axes' order), `losses[i]` its
// loss; rows with a NaN coordinate or a non-finite loss are left out. Largest first (ties by
// axis order); sums to 1 unless every parameter is single-valued (then all 0).
// FailedPrecondition "needs at least N completed trials, has M" when too few rows remain;
// InvalidArgument when the shapes disagree or there are no axes.
absl::StatusOr<std::vector<Importance>> PedAnovaImportance(
    const std::vector<ImportanceAxis>& axes, const std::vector<std::vector<double>>& units,
    const std::vector<double>& losses, const PedAnovaOptions& options = {});

}  // namespace ktune::server
