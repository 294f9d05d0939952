// The hot loops of TPE: the log of a weighted sum of many Gaussian kernels at
// a point (univariate estimators), and the log-sum-exp and per-dimension
// exponents of product kernels (multivariate ones), over 10^3..10^5 kernels.
// Written with explicit 4-wide vectors (GCC/Clang vector extensions) and our
// own exp, so they run at SIMD speed without -ffast-math, as AVX2 where the
// CPU has it and SSE2 elsewhere, with bit-identical results on every x86-64:
// no FMA contraction, one fixed summation order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gdsweep::tpe {

// Arrays handed to the free functions hold a multiple of kLanes entries.
inline constexpr size_t kLanes = 4;
constexpr size_t PaddedSize(size_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// f(x) = sum_k coef[k] exp(-((x - mu[k]) / sigma[k])^2 / 2) over kernels on a
// line, evaluated as log f(x). The kernels are kept sorted by centre in
// blocks of 16 with a bound on each block's largest term; blocks that cannot
// add e^-50 of what the block around x already gives are skipped (each adds
// at most 16 e^-50 ~ 3e-21 of the total). For the thousands of kernels of a
// long study most blocks are far away, so few kernels are evaluated. Not
// thread-safe (scratch buffers); reuse one object to avoid allocating.
class GaussianSum {
 public:
  // Kernel k has centre mu[k] (sorted ascending), bandwidth 1 / inv_sigma[k]
  // (inv_sigma > 0) and coefficient coef[k] >= 0.
  void Assign(std::span<const double> mu, std::span<const double> inv_sigma,
              std::span<const double> coef);
  // log f(x); -inf when every term is 0.
  double LogSum(double x);

  static constexpr size_t kBlock = 16;

 private:
  double SlowLogSum(double x) const;

  size_t n_ = 0;
  double log_scale_ = 0;                       // coefficients are stored divided by their maximum
  std::vector<double> mu_, inv_sigma_, coef_;  // padded to whole blocks
  // Per block: first and last centre, smallest 1/sigma, log of the largest
  // coefficient; padded to a multiple of kLanes blocks.
  std::vector<double> lo_, hi_, inv_sigma_min_, log_coef_max_;
  std::vector<double> bound_;
  std::vector<uint32_t> selected_;
};

// log sum_k exp(q[k]) over k < n, n a multiple of kLanes, padding -inf.
double LogSumExp(const double* q, size_t n);

// q[k] -= ((x - mu[k]) * inv_sigma[k])^2 / 2 for k < n, n a multiple of kLanes:
// one dimension's share of a product kernel's log density.
void AddGaussianExponents(double x, const double* mu, const double* inv_sigma, double* q, size_t n);

// exp(x) for x <= 0 (0 below -708), the vectorised exp of the loops above, one
// value at a time: for tests.
double ExpNonPositive(double x);

}  // namespace gdsweep::tpe
