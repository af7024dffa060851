#pragma once
// Parzen estimators for the tpe and multivariate-tpe plugins: mixtures of truncated normal
// kernels on the unit interval (one per observation plus a prior kernel), with cell masses for
// quantized coordinates (ints, stepped doubles) and weighted counts for categorical ones.
// Plain math on doubles: no protobuf, no search space. Values; const methods are thread-safe.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "algorithms/rng.h"

namespace ktune::algorithms::tpe {

// One coordinate of the search space as the estimators see it.
struct Dimension {
  // A number in [0, 1] (double, int, stepped double) or one of `choices` labels (categorical,
  // discrete), the label k written as the number k.
  bool categorical = false;
  size_t choices = 0;
  // Quantized numbers: the n + 1 edges of the n cells of [0, 1] (increasing, first 0, last 1);
  // a point stands for its whole cell, so kernels are integrated over it. Empty: a continuum.
  std::vector<double> edges;
  // The prior kernel: uniform parameters get mu 0.5 and sigma 1 (the range's width), normal
  // and logNormal ones their Normal's mu and sigma in unit coordinates.
  double prior_mu = 0.5;
  double prior_sigma = 1.0;
  // Whether the parameter's own distribution is that normal (normal, logNormal): random and
  // space-filling draws then follow it, truncated to [0, 1]; otherwise they are uniform.
  bool normal_prior = false;
};

// Standard normal density and distribution helpers.
double LogNormalPdf(double x, double mu, double sigma);
// log(Phi((b - mu) / sigma) - Phi((a - mu) / sigma)), accurate in the tails; a < b.
double LogNormalMass(double a, double b, double mu, double sigma);
// The inverse of the standard normal distribution function, p in (0, 1).
double NormalQuantile(double p);

// A one-dimensional mixture of normal kernels truncated to [0, 1].
class TruncatedMixture {
 public:
  struct Kernel {
    double mu;
    double sigma;
    double weight;  // normalized
  };
  TruncatedMixture() = default;
  // The kernels (weights need not be normalized; at least one positive).
  explicit TruncatedMixture(std::vector<Kernel> kernels);

  const std::vector<Kernel>& kernels() const { return kernels_; }
  // One draw: a kernel by weight, then a value of it inside [0, 1].
  double Sample(Rng& rng) const;
  // log density at x; with `cell` (lo, hi) the log of the probability of that cell instead.
  double LogDensity(double x) const;
  double LogCellMass(double lo, double hi) const;

 private:
  std::vector<Kernel> kernels_;
  std::vector<double> log_weight_;  // log(weight) - log(mass of the kernel inside [0, 1])
  std::vector<double> peak_;        // exp(log_weight_) / (sqrt(2 pi) sigma): density at mu
  std::vector<double> cumulative_;  // running sums of weights, for sampling
};

// A draw from the normal (mu, sigma) truncated to [0, 1].
double SampleTruncatedNormal(Rng& rng, double mu, double sigma);

// The cell of a quantized dimension holding x: its index into edges.
size_t CellOf(const std::vector<double>& edges, double x);

// Univariate estimators of one dimension (hyperopt's adaptive Parzen estimator shape):
// continuous kernels at the observations, each as wide as the larger gap to its sorted
// neighbours (the prior's centre counting as a neighbour), clipped into
// [1 / min(100, n + 2), 1]; the prior kernel with weight prior_weight. Categorical: weighted
// counts plus prior_weight for every label.
class UnivariateParzen {
 public:
  // `values` in [0, 1] (labels for a categorical dimension), `weights` > 0 of the same size.
  UnivariateParzen(const Dimension& dimension, const std::vector<double>& values,
                   const std::vector<double>& weights, double prior_weight);

  double Sample(Rng& rng) const;
  double LogDensity(double x) const;

 private:
  const Dimension* dimension_;
  TruncatedMixture mixture_;
  std::vector<double> log_probability_;  // categorical
  std::vector<double> cumulative_;       // categorical, for sampling
};

// A joint estimator over all dimensions (Optuna's multivariate TPE shape): one kernel per
// observation, the product over dimensions of a truncated normal (or a categorical
// distribution peaked at the observed label), with a Scott-like bandwidth
// bandwidth * n^(-1 / (d + 4)) clipped as above; plus a prior kernel (prior_mu, prior_sigma;
// uniform labels) with weight prior_weight.
class MultivariateParzen {
 public:
  // `points[i]` has one coordinate per dimension; `weights` > 0, one per point.
  MultivariateParzen(const std::vector<Dimension>& dimensions,
                     const std::vector<std::vector<double>>& points,
                     const std::vector<double>& weights, double prior_weight,
                     double bandwidth = 0.2);

  std::vector<double> Sample(Rng& rng) const;
  // log density of a point (cell masses for quantized dimensions, label probabilities for
  // categorical ones). O(kernels * dimensions).
  double LogDensity(const std::vector<double>& x) const;

 private:
  const std::vector<Dimension>* dimensions_;
  size_t kernels_ = 0;
  // Kernel-major arrays, kernel k's dimension j at k * d + j.
  std::vector<double> mu_;
  std::vector<double> sigma_;
  std::vector<double> log_norm_;       // -log(mass of the kernel's normal inside [0, 1])
  std::vector<double> log_pdf_const_;  // log_norm_ - log(sqrt(2 pi) sigma)
  std::vector<double> log_weight_;
  std::vector<double> cumulative_;
  // Categorical kernels: log probability of the observed label and of any other; the prior
  // kernel is uniform.
  std::vector<double> log_hit_;
  std::vector<double> log_miss_;
};

// The weights of n observations in order of age, oldest first (hyperopt's and Optuna's linear
// forgetting): 1 for the newest 25, a ramp from 1/n up to 1 for the older ones.
std::vector<double> ForgettingWeights(size_t n);

}  // namespace ktune::algorithms::tpe
