#pragma once
// The dense linear algebra of the Gaussian process behind one small interface, so that large
// histories can move to a device without touching the model: a Cholesky factor of the kernel
// matrix that can be built, grown by one row (an incremental, rank-one append), cut back to a
// prefix, and used to solve and to compute batched posteriors.
//
// The CPU implementation (Eigen, MakeCpuGpLinearAlgebra) is always built and is the reference.
// A CUDA implementation would implement the same class: Factor with cuSOLVER's potrf on a
// device copy of K, Append as a triangular solve (cuBLAS trsv) plus one new row, Solve with
// potrs, and Posterior with one cuBLAS trsm over the whole candidate batch followed by a
// column-wise reduction; matrices cross the interface as host Eigen matrices (column-major), so
// callers do not see CUDA types. It would be chosen at run time when the host reports a GPU
// (Host::gpu_present()) and the history is large (hundreds of points and more), keep the CPU one
// as fallback when a CUDA call fails, and be tested against this CPU path within a tolerance.
//
// Not thread-safe; const methods may run concurrently with each other.

#include <memory>

#include "Eigen/Dense"

namespace ktune::algorithms::gp {

class GpLinearAlgebra {
 public:
  virtual ~GpLinearAlgebra() = default;

  // Factors the symmetric positive definite n x n matrix `k` (K = L L^T), replacing any
  // previous factor. False when `k` is not numerically positive definite (the factor is then
  // empty).
  virtual bool Factor(const Eigen::MatrixXd& k) = 0;
  // Grows the factor of K to that of [[K, k], [k^T, kss]] in O(n^2). False (factor unchanged)
  // when the grown matrix is not positive definite.
  virtual bool Append(const Eigen::VectorXd& k, double kss) = 0;
  // Keeps the factor of the leading n x n block (n <= size()): a Cholesky factor's leading
  // block is the factor of the leading block, so appended rows can be dropped exactly.
  virtual void Truncate(int n) = 0;
  // The order n of the factored matrix.
  virtual int size() const = 0;

  // K^-1 b for each column of b (n x m), in place.
  virtual void Solve(Eigen::MatrixXd& b) const = 0;
  // K^-1 b for one vector.
  virtual Eigen::VectorXd Solve(const Eigen::VectorXd& b) const = 0;
  // log det K.
  virtual double LogDet() const = 0;
  // K^-1, dense.
  virtual Eigen::MatrixXd Inverse() const = 0;
  // The posterior of a batch of m points: `cross` holds k(x_i, x*_j) (n x m), `alpha` is
  // K^-1 (y - mean); writes mean_j = cross_j . alpha and
  // var_j = prior_variance - cross_j^T K^-1 cross_j (clamped at 0).
  virtual void Posterior(const Eigen::MatrixXd& cross, const Eigen::VectorXd& alpha,
                         double prior_variance, Eigen::VectorXd* mean,
                         Eigen::VectorXd* var) const = 0;
  // A copy of this factor (same implementation).
  virtual std::unique_ptr<GpLinearAlgebra> Clone() const = 0;
};

// The Eigen implementation.
std::unique_ptr<GpLinearAlgebra> MakeCpuGpLinearAlgebra();

}  // namespace ktune::algorithms::gp
