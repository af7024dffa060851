#include "algorithms/bayesianoptimization/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <utility>
#include <vector>

#include "LBFGSB.h"
#include "algorithms/normal.h"

namespace ktune::algorithms::gp {
namespace {

constexpr double kSqrt5 = 2.2360679774997896964;
constexpr double kLog2Pi = 1.8378770664093454836;

// Per-feature 1 / l^2.
Eigen::ArrayXd InverseSquaredLengthscales(const KernelShape& shape, const Hyperparameters& h) {
  Eigen::ArrayXd inv(shape.features());
  for (int f = 0; f < shape.features(); ++f) {
    inv[f] = std::exp(-2 * h.log_lengthscale[shape.group[f]]);
  }
  return inv;
}

// Squared scaled distances between the rows of a and b.
Eigen::MatrixXd SquaredDistances(const Eigen::ArrayXd& inv_l2, const Eigen::MatrixXd& a,
                                 const Eigen::MatrixXd& b) {
  const Eigen::RowVectorXd scale = inv_l2.sqrt().matrix().transpose();
  const Eigen::MatrixXd as = a.array().rowwise() * scale.array();
  const Eigen::MatrixXd bs = b.array().rowwise() * scale.array();
  Eigen::MatrixXd d2 = -2 * as * bs.transpose();
  d2.colwise() += as.rowwise().squaredNorm();
  d2.rowwise() += bs.rowwise().squaredNorm().transpose();
  return d2.cwiseMax(0.0);
}

double NormalPdf(double z) { return 0.3989422804014327 * std::exp(-0.5 * z * z); }

}  // namespace

Eigen::VectorXd Hyperparameters::Pack() const {
  const int g = static_cast<int>(log_lengthscale.size());
  Eigen::VectorXd theta(PackedSize(g));
  theta.head(g) = log_lengthscale;
  theta[g] = log_signal_variance;
  theta[g + 1] = log_noise;
  theta[g + 2] = mean;
  return theta;
}

Hyperparameters Hyperparameters::Unpack(const Eigen::VectorXd& theta, int groups) {
  Hyperparameters h;
  h.log_lengthscale = theta.head(groups);
  h.log_signal_variance = theta[groups];
  h.log_noise = theta[groups + 1];
  h.mean = theta[groups + 2];
  return h;
}

Hyperparameters Hyperparameters::Default(const KernelShape& shape) {
  Hyperparameters h;
  h.log_lengthscale = Eigen::VectorXd::Constant(shape.groups, HyperPrior().log_lengthscale_mu);
  return h;
}

void HyperPrior::Bounds(int groups, Eigen::VectorXd* lower, Eigen::VectorXd* upper) const {
  const int n = Hyperparameters::PackedSize(groups);
  lower->resize(n);
  upper->resize(n);
  lower->head(groups).setConstant(std::log(min_lengthscale));
  upper->head(groups).setConstant(std::log(max_lengthscale));
  (*lower)[groups] = std::log(min_signal);
  (*upper)[groups] = std::log(max_signal);
  (*lower)[groups + 1] = std::log(min_noise);
  (*upper)[groups + 1] = std::log(max_noise);
  (*lower)[groups + 2] = -max_abs_mean;
  (*upper)[groups + 2] = max_abs_mean;
}

double HyperPrior::LogDensity(const Eigen::VectorXd& theta, int groups,
                              Eigen::VectorXd* grad) const {
  double sum = 0;
  auto term = [&](int i, double mu, double sigma) {
    const double z = (theta[i] - mu) / sigma;
    sum -= 0.5 * z * z;
    if (grad != nullptr) (*grad)[i] -= z / sigma;
  };
  for (int g = 0; g < groups; ++g) term(g, log_lengthscale_mu, log_lengthscale_sigma);
  term(groups, log_signal_mu, log_signal_sigma);
  term(groups + 1, log_noise_mu, log_noise_sigma);
  term(groups + 2, 0, mean_sigma);
  return sum;
}

Eigen::MatrixXd KernelMatrix(const KernelShape& shape, const Hyperparameters& h,
                             const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  const double s2 = std::exp(h.log_signal_variance);
  Eigen::ArrayXXd r = SquaredDistances(InverseSquaredLengthscales(shape, h), a, b).array().sqrt();
  return (s2 * (1 + kSqrt5 * r + (5.0 / 3.0) * r.square()) * (-kSqrt5 * r).exp()).matrix();
}

double LogPosterior(const KernelShape& shape, const HyperPrior& prior, const Eigen::MatrixXd& x,
                    const Eigen::VectorXd& y, const Eigen::VectorXd& theta, Eigen::VectorXd* grad) {
  const int groups = shape.groups;
  const int n = static_cast<int>(x.rows());
  const Hyperparameters h = Hyperparameters::Unpack(theta, groups);
  const double s2 = std::exp(h.log_signal_variance);
  const double noise = std::exp(h.log_noise);
  const Eigen::ArrayXd inv_l2 = InverseSquaredLengthscales(shape, h);
  const Eigen::ArrayXXd r = SquaredDistances(inv_l2, x, x).array().sqrt();
  const Eigen::ArrayXXd e = (-kSqrt5 * r).exp();
  const Eigen::MatrixXd kf = (s2 * (1 + kSqrt5 * r + (5.0 / 3.0) * r.square()) * e).matrix();
  Eigen::MatrixXd k = kf;
  k.diagonal().array() += noise;
  std::unique_ptr<GpLinearAlgebra> la = MakeCpuGpLinearAlgebra();
  if (!la->Factor(k)) return -std::numeric_limits<double>::infinity();
  const Eigen::VectorXd resid = y.array() - h.mean;
  const Eigen::VectorXd alpha = la->Solve(resid);
  double value = -0.5 * resid.dot(alpha) - 0.5 * la->LogDet() - 0.5 * n * kLog2Pi;
  if (grad != nullptr) {
    grad->setZero(theta.size());
    Eigen::MatrixXd w = alpha * alpha.transpose() - la->Inverse();
    (*grad)[groups] = 0.5 * (w.array() * kf.array()).sum();
    (*grad)[groups + 1] = 0.5 * noise * w.trace();
    (*grad)[groups + 2] = alpha.sum();
    // d k / d log l_g = s2 5/3 (1 + sqrt5 r) e^{-sqrt5 r} sum_{f in g} d_f^2 / l_g^2.
    const Eigen::MatrixXd m = (w.array() * (s2 * (5.0 / 3.0) * (1 + kSqrt5 * r) * e)).matrix();
    const Eigen::VectorXd row_sum = m.rowwise().sum();
    const Eigen::MatrixXd mx = m * x;
    for (int f = 0; f < shape.features(); ++f) {
      // sum_ij m_ij (x_if - x_jf)^2 for a symmetric m.
      const double s =
          2 * (x.col(f).array().square() * row_sum.array()).sum() - 2 * x.col(f).dot(mx.col(f));
      (*grad)[shape.group[f]] += 0.5 * s * inv_l2[f];
    }
  }
  return value + prior.LogDensity(theta, groups, grad);
}

Hyperparameters FitHyperparameters(const KernelShape& shape, const HyperPrior& prior,
                                   const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                   const std::vector<Eigen::VectorXd>& starts, int max_iterations) {
  Eigen::VectorXd lower, upper;
  prior.Bounds(shape.groups, &lower, &upper);
  Eigen::VectorXd best_theta = starts.empty() ? Hyperparameters::Default(shape).Pack()
                                              : starts.front().cwiseMax(lower).cwiseMin(upper);
  double best = LogPosterior(shape, prior, x, y, best_theta, nullptr);
  if (!std::isfinite(best)) best = -std::numeric_limits<double>::infinity();
  LBFGSpp::LBFGSBParam<double> param;
  param.max_iterations = max_iterations;
  param.epsilon = 1e-5;
  param.epsilon_rel = 1e-5;
  param.max_linesearch = 30;
  for (const Eigen::VectorXd& start : starts) {
    Eigen::VectorXd theta = start.cwiseMax(lower).cwiseMin(upper);
    // The solver throws when a line search fails; the best point seen so far is kept anyway.
    double seen_best = -std::numeric_limits<double>::infinity();
    Eigen::VectorXd seen_theta = theta;
    auto objective = [&](const Eigen::VectorXd& t, Eigen::VectorXd& g) -> double {
      Eigen::VectorXd gl;
      const double v = LogPosterior(shape, prior, x, y, t, &gl);
      if (!std::isfinite(v)) {
        g.setZero(t.size());
        return 1e300;
      }
      if (v > seen_best) {
        seen_best = v;
        seen_theta = t;
      }
      g = -gl;
      return -v;
    };
    try {
      LBFGSpp::LBFGSBSolver<double> solver(param);
      double fx = 0;
      solver.minimize(objective, theta, fx, lower, upper);
    } catch (const std::exception&) {
      // Keep seen_theta.
    }
    if (seen_best > best) {
      best = seen_best;
      best_theta = seen_theta;
    }
  }
  return Hyperparameters::Unpack(best_theta, shape.groups);
}

Eigen::VectorXd WarpTargets(const Eigen::VectorXd& losses) {
  const int n = static_cast<int>(losses.size());
  Eigen::VectorXd out = losses;
  if (n == 0) return out;
  std::vector<double> sorted(losses.data(), losses.data() + n);
  std::sort(sorted.begin(), sorted.end());
  auto quantile = [&](double q) {
    const double pos = q * (n - 1);
    const int lo = static_cast<int>(std::floor(pos));
    const int hi = std::min(lo + 1, n - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  };
  const double q25 = quantile(0.25), q75 = quantile(0.75);
  const double iqr = q75 - q25;
  const double range = sorted.back() - sorted.front();
  const double scale = iqr > 0 ? iqr : (range > 0 ? range : 1.0);
  const double fence = q75 + 1.5 * scale;
  for (int i = 0; i < n; ++i) {
    if (out[i] > fence) out[i] = fence + scale * std::log1p((out[i] - fence) / scale);
  }
  const double mean = out.mean();
  const double sd = std::sqrt((out.array() - mean).square().sum() / std::max(1, n));
  out.array() -= mean;
  if (sd > 0 && std::isfinite(sd)) out /= sd;
  return out;
}

GaussianProcess::GaussianProcess(KernelShape shape, std::unique_ptr<GpLinearAlgebra> linear_algebra)
    : shape_(std::move(shape)), la_(std::move(linear_algebra)) {
  h_ = Hyperparameters::Default(shape_);
}

bool GaussianProcess::Reset(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                            const Hyperparameters& h) {
  h_ = h;
  inv_l2_ = InverseSquaredLengthscales(shape_, h_);
  n_ = static_cast<int>(x.rows());
  x_ = x;
  y_ = y;
  Eigen::MatrixXd k = KernelMatrix(shape_, h_, x, x);
  for (int attempt = 0; attempt < 6; ++attempt) {
    Eigen::MatrixXd kn = k;
    kn.diagonal().array() += std::exp(h_.log_noise);
    if (la_->Factor(kn)) {
      UpdateAlpha();
      return true;
    }
    h_.log_noise += std::log(100.0);  // more noise until K is positive definite
  }
  n_ = 0;
  la_->Truncate(0);
  alpha_.resize(0);
  return false;
}

bool GaussianProcess::Append(const Eigen::VectorXd& x, double y) {
  const Eigen::MatrixXd point = x.transpose();
  const Eigen::VectorXd k =
      n_ > 0 ? Eigen::VectorXd(KernelMatrix(shape_, h_, this->x(), point)) : Eigen::VectorXd();
  const double kss = std::exp(h_.log_signal_variance) + std::exp(h_.log_noise);
  if (!la_->Append(k, kss)) return false;
  if (x_.rows() <= n_) {
    const int capacity = n_ * 3 / 2 + 8;
    x_.conservativeResize(capacity, shape_.features());
    y_.conservativeResize(capacity);
  }
  x_.row(n_) = x.transpose();
  y_[n_] = y;
  ++n_;
  UpdateAlpha();
  return true;
}

bool GaussianProcess::SetTargets(const Eigen::VectorXd& y) {
  if (y.size() != n_) return false;
  y_.head(n_) = y;
  UpdateAlpha();
  return true;
}

void GaussianProcess::Truncate(int n) {
  if (n >= n_) return;
  n_ = std::max(0, n);
  la_->Truncate(n_);
  UpdateAlpha();
}

void GaussianProcess::UpdateAlpha() { alpha_ = la_->Solve(Eigen::VectorXd(y().array() - h_.mean)); }

void GaussianProcess::Predict(const Eigen::MatrixXd& xs, Eigen::VectorXd* mean,
                              Eigen::VectorXd* var) const {
  const double s2 = std::exp(h_.log_signal_variance);
  if (n_ == 0) {
    *mean = Eigen::VectorXd::Constant(xs.rows(), h_.mean);
    *var = Eigen::VectorXd::Constant(xs.rows(), s2);
    return;
  }
  const Eigen::MatrixXd cross = KernelMatrix(shape_, h_, x(), xs);
  la_->Posterior(cross, alpha_, s2, mean, var);
  mean->array() += h_.mean;
}

void GaussianProcess::PredictWithGradient(const Eigen::VectorXd& x, double* mean, double* var,
                                          Eigen::VectorXd* dmean, Eigen::VectorXd* dvar) const {
  const double s2 = std::exp(h_.log_signal_variance);
  const int f = shape_.features();
  if (n_ == 0) {
    *mean = h_.mean;
    *var = s2;
    dmean->setZero(f);
    dvar->setZero(f);
    return;
  }
  // diff_i = x_i - x; k_i and a_i = s2 5/3 (1 + sqrt5 r) e^{-sqrt5 r}, so that
  // d k_i / d x_f = a_i (x_if - x_f) / l_f^2.
  const Eigen::MatrixXd diff = this->x().rowwise() - x.transpose();
  const Eigen::ArrayXd r =
      (diff.array().square().rowwise() * inv_l2_.transpose()).rowwise().sum().sqrt();
  const Eigen::ArrayXd e = (-kSqrt5 * r).exp();
  const Eigen::VectorXd k = (s2 * (1 + kSqrt5 * r + (5.0 / 3.0) * r.square()) * e).matrix();
  const Eigen::ArrayXd a = s2 * (5.0 / 3.0) * (1 + kSqrt5 * r) * e;
  const Eigen::VectorXd v = la_->Solve(k);
  *mean = h_.mean + k.dot(alpha_);
  *var = std::max(0.0, s2 - k.dot(v));
  *dmean = (diff.transpose() * (a * alpha_.array()).matrix()).array() * inv_l2_;
  *dvar = -2 * (diff.transpose() * (a * v.array()).matrix()).array() * inv_l2_;
}

double AcquisitionValue(Acquisition kind, const AcquisitionParams& params, double mean, double var,
                        double best, double* dmean, double* dvar) {
  const double v = std::max(var, 0.0) + 1e-12;
  const double sd = std::sqrt(v);
  double value = 0, dm = 0, dv = 0;
  switch (kind) {
    case Acquisition::kEI: {
      const double z = (best - mean - params.xi) / sd;
      const double cdf = NormalCdf(z), pdf = NormalPdf(z);
      value = -sd * (z * cdf + pdf);
      dm = cdf;
      dv = -pdf / (2 * sd);
      break;
    }
    case Acquisition::kPI: {
      const double z = (best - mean - params.pi_xi) / sd;
      const double pdf = NormalPdf(z);
      value = -NormalCdf(z);
      dm = pdf / sd;
      dv = pdf * z / (2 * v);
      break;
    }
    case Acquisition::kLCB:
      value = mean - params.kappa * sd;
      dm = 1;
      dv = -params.kappa / (2 * sd);
      break;
  }
  if (dmean != nullptr) *dmean = dm;
  if (dvar != nullptr) *dvar = dv;
  return value;
}

}  // namespace ktune::algorithms::gp
