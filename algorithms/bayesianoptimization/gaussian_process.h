#pragma once
// A Gaussian-process regression model for Bayesian optimisation, free of protobuf and of the
// plugin ABI (target ktune_gp), so that its math is tested directly.
//
// Inputs are feature vectors in [0, 1]^F (the plugin maps parameters to features: unit
// coordinates, snapped to their points, and one-hot blocks for categoricals). The kernel is
// Matérn 5/2 with automatic relevance determination: feature f has the lengthscale of its group
// group[f] (a categorical's one-hot block shares one lengthscale), k(x, y) = s2 (1 + sqrt(5) r +
// 5/3 r^2) exp(-sqrt(5) r), r^2 = sum_f ((x_f - y_f) / l_group(f))^2, plus a noise variance on
// the diagonal and a constant mean. Targets are expected standardised (see WarpTargets).
// Hyperparameters are fitted by maximising the marginal likelihood plus log-normal priors
// (MAP), with analytic gradients, by multi-start L-BFGS-B (LBFGSpp) within box bounds.
//
// Not thread-safe; const methods may run concurrently.

#include <cstdint>
#include <memory>
#include <vector>

#include "Eigen/Dense"
#include "algorithms/bayesianoptimization/gp_linear_algebra.h"

namespace ktune::algorithms::gp {

// Which lengthscale each feature uses.
struct KernelShape {
  std::vector<int> group;  // per feature, in [0, groups)
  int groups = 0;
  int features() const { return static_cast<int>(group.size()); }
};

// Kernel hyperparameters. Packed for the optimiser as
// [log l_0 .. log l_{G-1}, log s2, log noise, mean].
struct Hyperparameters {
  Eigen::VectorXd log_lengthscale;
  double log_signal_variance = 0;
  double log_noise = -9.2;  // about 1e-4
  double mean = 0;

  static int PackedSize(int groups) { return groups + 3; }
  Eigen::VectorXd Pack() const;
  static Hyperparameters Unpack(const Eigen::VectorXd& theta, int groups);
  // A neutral starting point: lengthscales from the prior's median.
  static Hyperparameters Default(const KernelShape& shape);
};

// Priors (log-normal on lengthscales, signal variance and noise; normal on the mean) and box
// bounds of the hyperparameters, in packed order.
struct HyperPrior {
  double log_lengthscale_mu = -0.7;  // median lengthscale about 0.5 of the unit cube
  double log_lengthscale_sigma = 1.0;
  double log_signal_mu = 0;
  double log_signal_sigma = 1.0;
  double log_noise_mu = -9.2;
  double log_noise_sigma = 2.5;
  double mean_sigma = 1.0;
  double min_lengthscale = 0.01, max_lengthscale = 20;
  double min_signal = 0.05, max_signal = 20;
  double min_noise = 1e-6, max_noise = 0.5;  // the noise floor is min_noise
  double max_abs_mean = 3;
  void Bounds(int groups, Eigen::VectorXd* lower, Eigen::VectorXd* upper) const;
  // log prior density (up to a constant) and its gradient, added to *grad.
  double LogDensity(const Eigen::VectorXd& theta, int groups, Eigen::VectorXd* grad) const;
};

// The kernel matrix between the rows of a (n x F) and of b (m x F), without noise.
Eigen::MatrixXd KernelMatrix(const KernelShape& shape, const Hyperparameters& h,
                             const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

// The log marginal likelihood log p(y | x, theta) plus the prior's log density; fills
// *grad (packed order) when not null. Returns -infinity when K is not positive definite.
// Costs O(n^3) (a factor and an inverse) plus O(n^2 G) for the gradient.
double LogPosterior(const KernelShape& shape, const HyperPrior& prior, const Eigen::MatrixXd& x,
                    const Eigen::VectorXd& y, const Eigen::VectorXd& theta, Eigen::VectorXd* grad);

// Fits the hyperparameters to (x, y) by L-BFGS-B on -LogPosterior from each of `starts`
// (packed, clamped into the bounds), at most `max_iterations` iterations each; returns the best
// end point (or the first start if none improves).
Hyperparameters FitHyperparameters(const KernelShape& shape, const HyperPrior& prior,
                                   const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                   const std::vector<Eigen::VectorXd>& starts, int max_iterations);

// Outlier-robust standardisation of losses: values above the upper fence
// (q75 + 1.5 IQR) are compressed logarithmically, then the result is centred and scaled to
// unit variance. Monotone, so the order of losses is kept.
Eigen::VectorXd WarpTargets(const Eigen::VectorXd& losses);

// The posterior given data and fixed hyperparameters, on a Cholesky factor that grows point by
// point (fantasies for pending trials and for a batch's earlier choices) and shrinks back.
class GaussianProcess {
 public:
  GaussianProcess(KernelShape shape, std::unique_ptr<GpLinearAlgebra> linear_algebra);

  // Replaces data and hyperparameters; factors K from scratch. False when K is not positive
  // definite even with added jitter.
  bool Reset(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Hyperparameters& h);
  // Adds one observation by a rank-one growth of the factor (O(n^2)). False when the factor
  // cannot grow (the point duplicates one already there within the noise).
  bool Append(const Eigen::VectorXd& x, double y);
  // Replaces the targets of all observations (y.size() == size()), keeping the factor. False
  // when the size differs.
  bool SetTargets(const Eigen::VectorXd& y);
  // Keeps the first n observations.
  void Truncate(int n);
  int size() const { return n_; }
  const Hyperparameters& hyperparameters() const { return h_; }
  const KernelShape& shape() const { return shape_; }
  const GpLinearAlgebra& linear_algebra() const { return *la_; }
  // The observations' inputs (rows) and targets.
  Eigen::Block<const Eigen::MatrixXd> x() const { return x_.topRows(n_); }
  Eigen::VectorBlock<const Eigen::VectorXd> y() const { return y_.head(n_); }

  // Latent posterior mean and variance at each row of xs (m x F), batched.
  void Predict(const Eigen::MatrixXd& xs, Eigen::VectorXd* mean, Eigen::VectorXd* var) const;
  // At one point, with the gradients of mean and variance with respect to its features.
  void PredictWithGradient(const Eigen::VectorXd& x, double* mean, double* var,
                           Eigen::VectorXd* dmean, Eigen::VectorXd* dvar) const;

 private:
  void UpdateAlpha();

  KernelShape shape_;
  std::unique_ptr<GpLinearAlgebra> la_;
  Hyperparameters h_;
  Eigen::MatrixXd x_;  // rows: observations (capacity >= n_)
  Eigen::VectorXd y_;
  Eigen::VectorXd alpha_;  // K^-1 (y - mean)
  Eigen::ArrayXd inv_l2_;  // per feature 1 / l^2
  int n_ = 0;
};

// Acquisition functions of a loss to minimise, written as values to minimise as well.
enum class Acquisition { kEI, kPI, kLCB };

struct AcquisitionParams {
  // EI: improvement margin, in standardised units (skopt's 0.01 is on its own scale).
  double xi = 0.001;
  // PI: the improvement it asks the probability of; with a margin near zero PI keeps
  // sampling next to the incumbent.
  double pi_xi = 0.1;
  double kappa = 1.96;  // LCB: mean - kappa * sd
};

// The acquisition at posterior (mean, var) given the best observed target `best`: -EI, -PI or
// mean - kappa sd; with its derivatives with respect to mean and var when not null.
double AcquisitionValue(Acquisition kind, const AcquisitionParams& params, double mean, double var,
                        double best, double* dmean, double* dvar);

}  // namespace ktune::algorithms::gp
