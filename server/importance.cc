#include "server/importance.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ktune::server {
namespace {

constexpr int kSteps = 50;            // cells of a continuous parameter
constexpr double kPriorWeight = 1.0;  // the prior kernel's weight (Optuna's prior_weight)
constexpr double kEpsilon = 1e-12;    // keeps the divergence finite where a pmf is 0

std::vector<double> EvenCentres() {
  std::vector<double> c(kSteps);
  for (int i = 0; i < kSteps; ++i) c[i] = static_cast<double>(i) / (kSteps - 1);
  return c;
}

// The cell whose centre is nearest to u (the lower one on a tie).
size_t CellOf(const std::vector<double>& centres, double u) {
  auto it = std::lower_bound(centres.begin(), centres.end(), u);
  if (it == centres.begin()) return 0;
  if (it == centres.end()) return centres.size() - 1;
  const size_t hi = static_cast<size_t>(it - centres.begin());
  return (u - centres[hi - 1] <= centres[hi] - u) ? hi - 1 : hi;
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Probability of each of the cells 0..m-1 under a normal(mu, sigma) rounded to the nearest
// cell and truncated to [-0.5, m - 0.5].
void AddDiscreteTruncatedNormal(double mu, double sigma, double weight, std::vector<double>& pmf) {
  const int m = static_cast<int>(pmf.size());
  const double total = NormalCdf((m - 0.5 - mu) / sigma) - NormalCdf((-0.5 - mu) / sigma);
  if (!(total > 0)) return;
  double lower = NormalCdf((-0.5 - mu) / sigma);
  for (int j = 0; j < m; ++j) {
    const double upper = NormalCdf((j + 0.5 - mu) / sigma);
    pmf[j] += weight * (upper - lower) / total;
    lower = upper;
  }
}

// The Parzen estimator of ordered cells from their counts: one kernel per occupied cell
// (weighted by its count) with a bandwidth by Scott's rule, plus a wide prior kernel.
std::vector<double> NumericalPmf(const std::vector<double>& counts) {
  const size_t m = counts.size();
  std::vector<double> mus, weights;
  for (size_t j = 0; j < m; ++j) {
    if (counts[j] > 0) {
      mus.push_back(static_cast<double>(j));
      weights.push_back(counts[j]);
    }
  }
  std::vector<double> pmf(m, 0.0);
  const double n = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (mus.empty()) {
    std::fill(pmf.begin(), pmf.end(), 1.0 / static_cast<double>(m));
    return pmf;
  }
  double mean = 0;
  for (size_t k = 0; k < mus.size(); ++k) mean += mus[k] * weights[k] / n;
  double ss = 0;
  for (size_t k = 0; k < mus.size(); ++k) ss += (mus[k] - mean) * (mus[k] - mean) * weights[k];
  double sigma = std::sqrt(ss / std::max(1.0, n - 1));
  // The interquartile range over the counted cells.
  std::vector<double> cumulative(weights.size());
  std::partial_sum(weights.begin(), weights.end(), cumulative.begin());
  const double q25 = std::floor(n / 4), q75 = std::floor(n * 3 / 4);
  const size_t i25 = static_cast<size_t>(
      std::lower_bound(cumulative.begin(), cumulative.end(), q25) - cumulative.begin());
  const size_t i75 = static_cast<size_t>(
      std::upper_bound(cumulative.begin(), cumulative.end(), q75) - cumulative.begin());
  const double iqr = mus[std::min(mus.size() - 1, i75)] - mus[std::min(mus.size() - 1, i25)];
  sigma = 1.059 * std::min(iqr / 1.34, sigma) * std::pow(n, -0.2);
  // At least 90 % of a kernel's mass within half a cell of its centre, as Optuna.
  sigma = std::max(sigma, 0.5 / 1.64);
  const double total = n + kPriorWeight;
  for (size_t k = 0; k < mus.size(); ++k) {
    AddDiscreteTruncatedNormal(mus[k], sigma, weights[k] / total, pmf);
  }
  AddDiscreteTruncatedNormal(0.5 * static_cast<double>(m - 1), static_cast<double>(m),
                             kPriorWeight / total, pmf);
  return pmf;
}

// The Parzen estimator of unordered cells: each occupied cell's kernel puts 1 on it and
// prior_weight / kernels on every cell (normalised); the prior kernel is uniform.
std::vector<double> CategoricalPmf(const std::vector<double>& counts) {
  const size_t m = counts.size();
  size_t occupied = 0;
  double n = 0;
  for (double c : counts) {
    if (c > 0) ++occupied;
    n += c;
  }
  std::vector<double> pmf(m, 0.0);
  const double kernels = static_cast<double>(occupied) + 1;
  const double floor = kPriorWeight / kernels;
  const double row = floor * static_cast<double>(m) + 1;
  const double total = n + kPriorWeight;
  for (size_t j = 0; j < m; ++j) {
    if (counts[j] <= 0) continue;
    const double w = counts[j] / total;
    for (size_t i = 0; i < m; ++i) pmf[i] += w * (floor + (i == j ? 1 : 0)) / row;
  }
  for (size_t i = 0; i < m; ++i) pmf[i] += (kPriorWeight / total) / static_cast<double>(m);
  return pmf;
}

}  // namespace

std::vector<double> CellCentres(std::vector<double> unit_points) {
  if (unit_points.size() > static_cast<size_t>(kSteps)) return EvenCentres();
  std::sort(unit_points.begin(), unit_points.end());
  return unit_points;
}

absl::StatusOr<std::vector<Importance>> PedAnovaImportance(
    const std::vector<ImportanceAxis>& axes, const std::vector<std::vector<double>>& units,
    const std::vector<double>& losses, const PedAnovaOptions& options) {
  if (axes.empty()) return absl::InvalidArgumentError("no parameters");
  if (units.size() != losses.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(units.size(), " points but ", losses.size(), " losses"));
  }
  std::vector<size_t> rows;
  for (size_t i = 0; i < units.size(); ++i) {
    if (units[i].size() != axes.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("point ", i, " has ", units[i].size(), " coordinates, not ", axes.size()));
    }
    if (!std::isfinite(losses[i])) continue;
    if (std::any_of(units[i].begin(), units[i].end(), [](double u) { return std::isnan(u); })) {
      continue;
    }
    rows.push_back(i);
  }
  const int needed = std::max(options.min_trials, options.min_top_trials + 1);
  if (static_cast<int>(rows.size()) < needed) {
    return absl::FailedPreconditionError(
        absl::StrCat("parameter importance needs at least ", needed,
                     " completed trials with an objective value, has ", rows.size()));
  }
  // The best γ quantile, and at least min_top_trials of them (ties at the cutoff are in).
  std::vector<double> sorted;
  for (size_t i : rows) sorted.push_back(losses[i]);
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const auto quantile_index = static_cast<size_t>(
      std::max(0.0, std::ceil(options.baseline_quantile * static_cast<double>(n)) - 1));
  const double cutoff = std::max(sorted[static_cast<size_t>(options.min_top_trials) - 1],
                                 sorted[std::min(n - 1, quantile_index)]);

  std::vector<Importance> out;
  std::vector<bool> single;
  double sum = 0;
  for (size_t a = 0; a < axes.size(); ++a) {
    const std::vector<double> centres = axes[a].centres.empty() ? EvenCentres() : axes[a].centres;
    Importance imp{axes[a].name, 0};
    if (centres.size() <= 1) {
      out.push_back(imp);
      single.push_back(true);
      continue;
    }
    std::vector<double> all(centres.size(), 0.0), top(centres.size(), 0.0);
    for (size_t i : rows) {
      const size_t cell = CellOf(centres, units[i][a]);
      all[cell] += 1;
      if (losses[i] <= cutoff) top[cell] += 1;
    }
    const std::vector<double> p_all = axes[a].categorical ? CategoricalPmf(all) : NumericalPmf(all);
    const std::vector<double> p_top = axes[a].categorical ? CategoricalPmf(top) : NumericalPmf(top);
    double divergence = 0;
    for (size_t j = 0; j < centres.size(); ++j) {
      const double local = p_all[j] + kEpsilon;
      const double ratio = (p_top[j] + kEpsilon) / local - 1;
      divergence += local * ratio * ratio;
    }
    imp.importance = divergence;
    sum += divergence;
    out.push_back(imp);
    single.push_back(false);
  }
  const size_t varying = static_cast<size_t>(std::count(single.begin(), single.end(), false));
  for (size_t a = 0; a < out.size(); ++a) {
    if (single[a]) continue;
    // All divergences 0 (the best trials spread as all of them): equal shares, as Optuna.
    out[a].importance = sum > 0 ? out[a].importance / sum : 1.0 / static_cast<double>(varying);
  }
  std::stable_sort(out.begin(), out.end(), [](const Importance& x, const Importance& y) {
    return x.importance > y.importance;
  });
  return out;
}

}  // namespace ktune::server
