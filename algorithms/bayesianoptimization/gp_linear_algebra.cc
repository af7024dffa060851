#include "algorithms/bayesianoptimization/gp_linear_algebra.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace ktune::algorithms::gp {
namespace {

// The factor lives in the top-left n x n block of a buffer with spare capacity, so that an
// append does not copy the whole matrix.
class CpuGpLinearAlgebra final : public GpLinearAlgebra {
 public:
  bool Factor(const Eigen::MatrixXd& k) override {
    const int n = static_cast<int>(k.rows());
    Reserve(n);
    buffer_.topLeftCorner(n, n) = k;
    n_ = 0;
    Eigen::Block<Eigen::MatrixXd> block = buffer_.topLeftCorner(n, n);
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(block);
    if (llt.info() != Eigen::Success) return false;
    n_ = n;
    buffer_.topLeftCorner(n, n).triangularView<Eigen::StrictlyUpper>().setZero();
    return true;
  }

  bool Append(const Eigen::VectorXd& k, double kss) override {
    Eigen::VectorXd l = k.head(n_);
    if (n_ > 0) L().triangularView<Eigen::Lower>().solveInPlace(l);
    const double d2 = kss - l.squaredNorm();
    if (!(d2 > 0) || !std::isfinite(d2)) return false;
    Reserve(n_ + 1);
    buffer_.row(n_).head(n_) = l.transpose();
    buffer_.col(n_).head(n_).setZero();
    buffer_(n_, n_) = std::sqrt(d2);
    ++n_;
    return true;
  }

  void Truncate(int n) override {
    if (n < n_) n_ = n < 0 ? 0 : n;
  }
  int size() const override { return n_; }

  void Solve(Eigen::MatrixXd& b) const override {
    if (n_ == 0) return;
    L().triangularView<Eigen::Lower>().solveInPlace(b);
    L().transpose().triangularView<Eigen::Upper>().solveInPlace(b);
  }
  Eigen::VectorXd Solve(const Eigen::VectorXd& b) const override {
    Eigen::VectorXd x = b;
    if (n_ == 0) return x;
    L().triangularView<Eigen::Lower>().solveInPlace(x);
    L().transpose().triangularView<Eigen::Upper>().solveInPlace(x);
    return x;
  }
  double LogDet() const override {
    double sum = 0;
    for (int i = 0; i < n_; ++i) sum += std::log(buffer_(i, i));
    return 2 * sum;
  }
  Eigen::MatrixXd Inverse() const override {
    Eigen::MatrixXd inv = Eigen::MatrixXd::Identity(n_, n_);
    Solve(inv);
    return inv;
  }
  void Posterior(const Eigen::MatrixXd& cross, const Eigen::VectorXd& alpha, double prior_variance,
                 Eigen::VectorXd* mean, Eigen::VectorXd* var) const override {
    *mean = cross.transpose() * alpha;
    Eigen::MatrixXd v = cross;
    if (n_ > 0) L().triangularView<Eigen::Lower>().solveInPlace(v);
    *var = (prior_variance - v.colwise().squaredNorm().array()).cwiseMax(0.0).matrix().transpose();
  }
  std::unique_ptr<GpLinearAlgebra> Clone() const override {
    auto copy = std::make_unique<CpuGpLinearAlgebra>();
    copy->buffer_ = buffer_.topLeftCorner(n_, n_);
    copy->n_ = n_;
    return copy;
  }

 private:
  Eigen::Block<const Eigen::MatrixXd> L() const { return buffer_.topLeftCorner(n_, n_); }
  void Reserve(int n) {
    if (buffer_.rows() >= n) return;
    const int capacity = std::max(n, static_cast<int>(buffer_.rows()) * 3 / 2 + 8);
    Eigen::MatrixXd grown(capacity, capacity);
    grown.topLeftCorner(n_, n_) = buffer_.topLeftCorner(n_, n_);
    buffer_.swap(grown);
  }

  Eigen::MatrixXd buffer_;
  int n_ = 0;
};

}  // namespace

std::unique_ptr<GpLinearAlgebra> MakeCpuGpLinearAlgebra() {
  return std::make_unique<CpuGpLinearAlgebra>();
}

}  // namespace ktune::algorithms::gp
