#include "algorithms/tpe/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "algorithms/normal.h"

namespace ktune::algorithms::tpe {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2 pi))
constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double LogSumExp(const double* x, size_t n) {
  double m = kNegInf;
  for (size_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  if (!(m > kNegInf)) return kNegInf;
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += std::exp(x[i] - m);
  return m + std::log(s);
}

// An index drawn with probabilities proportional to the increments of `cumulative`.
size_t Pick(Rng& rng, const std::vector<double>& cumulative) {
  const double r = rng.Uniform01() * cumulative.back();
  size_t k = static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), r) -
                                 cumulative.begin());
  return std::min(k, cumulative.size() - 1);
}

std::vector<double> Cumulative(const std::vector<double>& weights) {
  std::vector<double> c(weights.size());
  std::partial_sum(weights.begin(), weights.end(), c.begin());
  return c;
}

// Kernel widths are kept between this and the range (hyperopt's and Optuna's "magic clip"):
// the range over the number of kernels, the prior's included, until that reaches 100.
double MinSigma(size_t observations) {
  return 1.0 / static_cast<double>(std::min<size_t>(100, observations + 2));
}

}  // namespace

double LogNormalPdf(double x, double mu, double sigma) {
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - kLogSqrt2Pi - std::log(sigma);
}

double LogNormalMass(double a, double b, double mu, double sigma) {
  const double za = (a - mu) / sigma;
  const double zb = (b - mu) / sigma;
  double mass;
  // Take the difference on the side where it does not cancel.
  if (za > 0) {
    mass = 0.5 * (std::erfc(za * kSqrt1_2) - std::erfc(zb * kSqrt1_2));
  } else if (zb < 0) {
    mass = 0.5 * (std::erfc(-zb * kSqrt1_2) - std::erfc(-za * kSqrt1_2));
  } else {
    mass = 0.5 * (std::erf(zb * kSqrt1_2) - std::erf(za * kSqrt1_2));
  }
  if (mass > 1e-300) return std::log(mass);
  // Far in a tail: the density at the nearer end times the width bounds it well enough.
  const double nearer = za > 0 ? a : b;
  return LogNormalPdf(nearer, mu, sigma) + std::log(b - a);
}

double NormalQuantile(double p) {
  // Phi spelled with kSqrt1_2, as the rest of this file.
  return algorithms::NormalQuantileWith(p, [](double x) { return 0.5 * std::erfc(-x * kSqrt1_2); });
}

double SampleTruncatedNormal(Rng& rng, double mu, double sigma) {
  // Rejection: the kernels here are centred inside [0, 1], so a draw lands inside with
  // probability above 0.15.
  for (int i = 0; i < 64; ++i) {
    const double x = mu + sigma * rng.Normal();
    if (x >= 0 && x <= 1) return x;
  }
  // Inverse transform within the truncated range.
  const double lo = 0.5 * std::erfc(-(0 - mu) / sigma * kSqrt1_2);
  const double hi = 0.5 * std::erfc(-(1 - mu) / sigma * kSqrt1_2);
  const double p = lo + rng.Uniform01() * (hi - lo);
  if (!(hi > lo)) return std::clamp(mu, 0.0, 1.0);
  return std::clamp(mu + sigma * NormalQuantile(p), 0.0, 1.0);
}

size_t CellOf(const std::vector<double>& edges, double x) {
  // The last edge <= x, among the n cells.
  const size_t n = edges.size() - 1;
  size_t k = static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin());
  return k == 0 ? 0 : std::min(k - 1, n - 1);
}

TruncatedMixture::TruncatedMixture(std::vector<Kernel> kernels) : kernels_(std::move(kernels)) {
  double total = 0;
  for (const Kernel& k : kernels_) total += k.weight;
  std::vector<double> w;
  w.reserve(kernels_.size());
  for (Kernel& k : kernels_) {
    k.weight /= total;
    w.push_back(k.weight);
    log_weight_.push_back(std::log(k.weight) - LogNormalMass(0, 1, k.mu, k.sigma));
    peak_.push_back(std::exp(log_weight_.back() - kLogSqrt2Pi - std::log(k.sigma)));
  }
  cumulative_ = Cumulative(w);
}

double TruncatedMixture::Sample(Rng& rng) const {
  const Kernel& k = kernels_[Pick(rng, cumulative_)];
  return SampleTruncatedNormal(rng, k.mu, k.sigma);
}

double TruncatedMixture::LogDensity(double x) const {
  // Kernels more than kCut widths from x add under e^-40 of their peak: skip their exp (the
  // density of 1000 bad trials is evaluated for every candidate). Peaks are at most
  // 1 / (sqrt(2 pi) 0.01) / mass, so the plain sum neither overflows nor, with a kernel
  // within kCut, underflows; without one, the log-sum-exp below.
  constexpr double kCut = 9;
  double sum = 0;
  for (size_t i = 0; i < kernels_.size(); ++i) {
    const double z = (x - kernels_[i].mu) / kernels_[i].sigma;
    if (z < kCut && z > -kCut) sum += peak_[i] * std::exp(-0.5 * z * z);
  }
  if (sum > 1e-300) return std::log(sum);
  std::vector<double> terms(kernels_.size());
  for (size_t i = 0; i < kernels_.size(); ++i) {
    terms[i] = log_weight_[i] + LogNormalPdf(x, kernels_[i].mu, kernels_[i].sigma);
  }
  return LogSumExp(terms.data(), terms.size());
}

double TruncatedMixture::LogCellMass(double lo, double hi) const {
  std::vector<double> terms(kernels_.size());
  for (size_t i = 0; i < kernels_.size(); ++i) {
    terms[i] = log_weight_[i] + LogNormalMass(lo, hi, kernels_[i].mu, kernels_[i].sigma);
  }
  return LogSumExp(terms.data(), terms.size());
}

UnivariateParzen::UnivariateParzen(const Dimension& dimension, const std::vector<double>& values,
                                   const std::vector<double>& weights, double prior_weight)
    : dimension_(&dimension) {
  if (dimension.categorical) {
    // A mixture as for the numbers: each observation's kernel puts (1 + s) / (1 + c s) on its
    // label and s / (1 + c s) on each of the c labels' others, s = prior_weight / (n + 1); the
    // prior kernel is uniform and weighs prior_weight against the observations' weights. (The
    // former smoothing, prior_weight added to every label's count, flattened l(x) so much that
    // a 4-label parameter stayed near uniform with 5 good trials.)
    const double c = static_cast<double>(dimension.choices);
    const double s = prior_weight / static_cast<double>(values.size() + 1);
    double total_weight = prior_weight;
    for (double w : weights) total_weight += w;
    std::vector<double> counts(dimension.choices, prior_weight / total_weight / c);
    for (size_t i = 0; i < values.size(); ++i) {
      const auto label = static_cast<size_t>(values[i]);
      const double w = weights[i] / total_weight;
      for (double& x : counts) x += w * s / (1 + c * s);
      if (label < counts.size()) counts[label] += w / (1 + c * s);
    }
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    for (double c : counts) log_probability_.push_back(std::log(c / total));
    cumulative_ = Cumulative(counts);
    return;
  }
  // Sorted observations with the prior's centre among them; each kernel as wide as the larger
  // gap to its neighbours.
  struct Entry {
    double mu;
    double weight;
    bool prior;
  };
  std::vector<Entry> entries;
  entries.reserve(values.size() + 1);
  for (size_t i = 0; i < values.size(); ++i) entries.push_back({values[i], weights[i], false});
  entries.push_back({dimension.prior_mu, prior_weight, true});
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.mu < b.mu; });
  const double min_sigma = MinSigma(values.size());
  std::vector<TruncatedMixture::Kernel> kernels;
  kernels.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    double sigma;
    if (entries[i].prior) {
      sigma = dimension.prior_sigma;
    } else {
      const double left = i > 0 ? entries[i].mu - entries[i - 1].mu : 0;
      const double right = i + 1 < entries.size() ? entries[i + 1].mu - entries[i].mu : 0;
      sigma = std::clamp(std::max(left, right), min_sigma, 1.0);
    }
    kernels.push_back({entries[i].mu, sigma, entries[i].weight});
  }
  mixture_ = TruncatedMixture(std::move(kernels));
}

double UnivariateParzen::Sample(Rng& rng) const {
  if (dimension_->categorical) return static_cast<double>(Pick(rng, cumulative_));
  return mixture_.Sample(rng);
}

double UnivariateParzen::LogDensity(double x) const {
  if (dimension_->categorical) {
    const auto label = static_cast<size_t>(x);
    return label < log_probability_.size() ? log_probability_[label] : kNegInf;
  }
  if (dimension_->edges.empty()) return mixture_.LogDensity(x);
  const size_t cell = CellOf(dimension_->edges, x);
  return mixture_.LogCellMass(dimension_->edges[cell], dimension_->edges[cell + 1]);
}

MultivariateParzen::MultivariateParzen(const std::vector<Dimension>& dimensions,
                                       const std::vector<std::vector<double>>& points,
                                       const std::vector<double>& weights, double prior_weight,
                                       double bandwidth_factor)
    : dimensions_(&dimensions), kernels_(points.size() + 1) {
  const size_t d = dimensions.size();
  const size_t n = points.size();
  mu_.resize(kernels_ * d);
  sigma_.resize(kernels_ * d);
  log_norm_.resize(kernels_ * d);
  log_pdf_const_.resize(kernels_ * d);
  log_hit_.resize(kernels_ * d);
  log_miss_.resize(kernels_ * d);
  const double bandwidth = bandwidth_factor * std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                                                       -1.0 / (static_cast<double>(d) + 4));
  const double sigma = std::clamp(bandwidth, MinSigma(n), 1.0);
  const double spread = prior_weight / static_cast<double>(n + 1);
  for (size_t k = 0; k < kernels_; ++k) {
    const bool prior = k == n;
    for (size_t j = 0; j < d; ++j) {
      const Dimension& dim = dimensions[j];
      const size_t at = k * d + j;
      if (dim.categorical) {
        const double c = static_cast<double>(dim.choices);
        mu_[at] = prior ? -1 : points[k][j];
        if (prior) {
          log_hit_[at] = log_miss_[at] = -std::log(c);
        } else {
          log_hit_[at] = std::log((1 + spread) / (1 + c * spread));
          log_miss_[at] = std::log(spread / (1 + c * spread));
        }
        continue;
      }
      mu_[at] = prior ? dim.prior_mu : points[k][j];
      sigma_[at] = prior ? dim.prior_sigma : sigma;
      log_norm_[at] = -LogNormalMass(0, 1, mu_[at], sigma_[at]);
      log_pdf_const_[at] = log_norm_[at] - kLogSqrt2Pi - std::log(sigma_[at]);
    }
  }
  std::vector<double> w(weights.begin(), weights.end());
  w.push_back(prior_weight);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double x : w) log_weight_.push_back(std::log(x / total));
  cumulative_ = Cumulative(w);
}

std::vector<double> MultivariateParzen::Sample(Rng& rng) const {
  const size_t d = dimensions_->size();
  const size_t k = Pick(rng, cumulative_);
  std::vector<double> x(d);
  for (size_t j = 0; j < d; ++j) {
    const Dimension& dim = (*dimensions_)[j];
    const size_t at = k * d + j;
    if (dim.categorical) {
      // The observed label with its probability, else a uniformly chosen label (which may be
      // the observed one again: that is the "miss" share spread over all labels).
      const double hit = std::exp(log_hit_[at]) - std::exp(log_miss_[at]);
      if (mu_[at] >= 0 && rng.Uniform01() < hit) {
        x[j] = mu_[at];
      } else {
        x[j] = static_cast<double>(rng.UniformInt(dim.choices));
      }
      continue;
    }
    x[j] = SampleTruncatedNormal(rng, mu_[at], sigma_[at]);
  }
  return x;
}

double MultivariateParzen::LogDensity(const std::vector<double>& x) const {
  const size_t d = dimensions_->size();
  // Per dimension once: the cell of a quantized coordinate.
  std::vector<double> lo(d), hi(d);
  for (size_t j = 0; j < d; ++j) {
    const Dimension& dim = (*dimensions_)[j];
    if (!dim.categorical && !dim.edges.empty()) {
      const size_t cell = CellOf(dim.edges, x[j]);
      lo[j] = dim.edges[cell];
      hi[j] = dim.edges[cell + 1];
    }
  }
  std::vector<double> terms(kernels_);
  for (size_t k = 0; k < kernels_; ++k) {
    double t = log_weight_[k];
    const size_t base = k * d;
    for (size_t j = 0; j < d; ++j) {
      const Dimension& dim = (*dimensions_)[j];
      const size_t at = base + j;
      if (dim.categorical) {
        t += mu_[at] == x[j] ? log_hit_[at] : log_miss_[at];
      } else if (dim.edges.empty()) {
        const double z = (x[j] - mu_[at]) / sigma_[at];
        t += -0.5 * z * z + log_pdf_const_[at];
      } else {
        t += LogNormalMass(lo[j], hi[j], mu_[at], sigma_[at]) + log_norm_[at];
      }
    }
    terms[k] = t;
  }
  return LogSumExp(terms.data(), terms.size());
}

std::vector<double> ForgettingWeights(size_t n) {
  constexpr size_t kFlat = 25;
  std::vector<double> w(n, 1.0);
  if (n <= kFlat) return w;
  const size_t ramp = n - kFlat;
  // linspace(1/n, 1, ramp) for the oldest.
  for (size_t i = 0; i < ramp; ++i) {
    const double t = ramp == 1 ? 0 : static_cast<double>(i) / static_cast<double>(ramp - 1);
    w[i] = 1.0 / static_cast<double>(n) + t * (1 - 1.0 / static_cast<double>(n));
  }
  return w;
}

}  // namespace ktune::algorithms::tpe
