#include "samplers/tpe/kernel_sums.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

// The vector helpers below are internal and always inlined, so GCC's note that
// passing 32-byte vectors by value has another ABI without AVX concerns no call.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace gdsweep::tpe {
namespace {

// Each loop step handles kLanes = 4 kernels, as one 4-wide vector (AVX2) or
// two 2-wide ones (SSE2, every x86-64). Lane j of the accumulators always sums
// kernels k = j mod 4, and the lanes are added as (0 + 1) + (2 + 3), so both
// variants perform the same IEEE operations in the same order.
using V2 = double __attribute__((vector_size(16)));
using I2 = int64_t __attribute__((vector_size(16)));
using V4 = double __attribute__((vector_size(32)));
using I4 = int64_t __attribute__((vector_size(32)));

constexpr double kKernelInf = std::numeric_limits<double>::infinity();
// A block is skipped when its largest term is below e^-kNegligible of the
// block around x: 16 e^-50 < 3e-21 of the sum per skipped block.
constexpr double kNegligible = 50;

#define GDSWEEP_INLINE inline __attribute__((always_inline))

template <typename V>
constexpr int kWidth = sizeof(V) / sizeof(double);

template <typename V>
GDSWEEP_INLINE V Splat(double x) {
  V v;
  for (int i = 0; i < kWidth<V>; ++i) v[i] = x;
  return v;
}

template <typename V>
GDSWEEP_INLINE V Load(const double* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename V>
GDSWEEP_INLINE V Max(V a, V b) {
  return a > b ? a : b;
}

// exp(x) for x <= 0, 0 below -708: Cody-Waite reduction x = n ln2 + r with
// |r| <= ln2 / 2, exp(r) by its Taylor polynomial of degree 13 (truncation
// error < 5e-18), times 2^n assembled in the exponent bits. About 1 ulp.
template <typename V, typename I>
GDSWEEP_INLINE V Exp(V x) {
  constexpr double kLog2e = 1.4426950408889634074;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 leading bits of ln 2
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
  constexpr double kShift = 0x1.8p52;                    // adding it rounds to an integer
  constexpr double kLowest = -708.0;                     // 2^n stays a normal number above this
  const V xc = Max(x, Splat<V>(kLowest));
  V kd = xc * kLog2e + kShift;
  const I n = std::bit_cast<I>(kd) - std::bit_cast<int64_t>(kShift);
  kd = kd - kShift;
  const V r = (xc - kd * kLn2Hi) - kd * kLn2Lo;
  // Taylor coefficients 1/k!, k = 13 .. 0, in Horner order (written out: a
  // loop over a table is not unrolled at -O2).
  V p = Splat<V>(1.0 / 6227020800) * r + 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const V y = p * std::bit_cast<V>((n + 1023) << 52);
  // Below -708 (and -inf): 0, as a mask, not a branch.
  return std::bit_cast<V>(std::bit_cast<I>(y) & (x >= kLowest));
}

// Four lanes (kLanes) as 4 / width vectors.
template <typename V>
struct Quad {
  static constexpr int kParts = 4 / kWidth<V>;
  V part[kParts];

  GDSWEEP_INLINE static Quad Fill(double x) {
    Quad q;
    for (auto& p : q.part) p = Splat<V>(x);
    return q;
  }
  GDSWEEP_INLINE static Quad Load(const double* p) {
    Quad q;
    for (int i = 0; i < kParts; ++i) q.part[i] = tpe::Load<V>(p + i * kWidth<V>);
    return q;
  }
  GDSWEEP_INLINE double Lane(int j) const { return part[j / kWidth<V>][j % kWidth<V>]; }
  GDSWEEP_INLINE double SumLanes() const { return (Lane(0) + Lane(1)) + (Lane(2) + Lane(3)); }
  GDSWEEP_INLINE double MaxLane() const {
    return std::fmax(std::fmax(Lane(0), Lane(1)), std::fmax(Lane(2), Lane(3)));
  }
};

// One block of GaussianSum::kBlock kernels: log sum coef exp(q), exactly.
template <typename V, typename I>
GDSWEEP_INLINE double BlockLogSumImpl(double x, const double* mu, const double* inv_sigma,
                                      const double* coef) {
  using Q = Quad<V>;
  const V xv = Splat<V>(x);
  Q q[GaussianSum::kBlock / kLanes];
  Q vmax = Q::Fill(-kKernelInf);
  for (size_t j = 0; j < GaussianSum::kBlock / kLanes; ++j) {
    const Q m = Q::Load(mu + j * kLanes), s = Q::Load(inv_sigma + j * kLanes);
    for (int i = 0; i < Q::kParts; ++i) {
      V z = (xv - m.part[i]) * s.part[i];
      q[j].part[i] = z * z * -0.5;
      vmax.part[i] = Max(vmax.part[i], q[j].part[i]);
    }
  }
  const double top = vmax.MaxLane();
  if (top == -kKernelInf) return -kKernelInf;
  const V tv = Splat<V>(top);
  Q acc = Q::Fill(0);
  for (size_t j = 0; j < GaussianSum::kBlock / kLanes; ++j) {
    const Q c = Q::Load(coef + j * kLanes);
    for (int i = 0; i < Q::kParts; ++i) acc.part[i] += c.part[i] * Exp<V, I>(q[j].part[i] - tv);
  }
  const double sum = acc.SumLanes();
  return sum > 0 ? top + std::log(sum) : -kKernelInf;
}

// bound[b] = -(dist(x, [lo[b], hi[b]]) * inv_sigma_min[b])^2 / 2: no kernel of
// block b has a larger exponent at x.
template <typename V, typename I>
GDSWEEP_INLINE void BlockBoundsImpl(double x, const double* lo, const double* hi,
                                    const double* inv_sigma_min, double* bound, size_t n) {
  const V xv = Splat<V>(x);
  const V zero = Splat<V>(0);
  for (size_t b = 0; b < n; b += kWidth<V>) {
    V dist = Max(Max(Load<V>(lo + b) - xv, xv - Load<V>(hi + b)), zero);
    V z = dist * Load<V>(inv_sigma_min + b);
    V out = z * z * -0.5;
    std::memcpy(bound + b, &out, sizeof out);
  }
}

// log sum coef exp(q) over the kernels of the listed blocks in one pass,
// given top >= every exponent there (the blocks' bounds); -inf when the sum
// nears underflow because top was far above the real maximum.
template <typename V, typename I>
GDSWEEP_INLINE double BoundedLogSumImpl(double x, const double* mu, const double* inv_sigma,
                                        const double* coef, const uint32_t* blocks, size_t n_blocks,
                                        double top) {
  using Q = Quad<V>;
  constexpr size_t kB = GaussianSum::kBlock;
  const V xv = Splat<V>(x);
  const V tv = Splat<V>(top);
  Q acc = Q::Fill(0);
  for (size_t i = 0; i < n_blocks; ++i) {
    const size_t base = blocks[i] * kB;
    for (size_t k = base; k < base + kB; k += kLanes) {
      const Q m = Q::Load(mu + k), s = Q::Load(inv_sigma + k), c = Q::Load(coef + k);
      for (int p = 0; p < Q::kParts; ++p) {
        V z = (xv - m.part[p]) * s.part[p];
        acc.part[p] += c.part[p] * Exp<V, I>(z * z * -0.5 - tv);
      }
    }
  }
  const double sum = acc.SumLanes();
  return sum > 1e-250 ? top + std::log(sum) : -kKernelInf;
}

// log sum coef exp(q) over the kernels of the listed blocks; -inf when the
// sum is 0 or near underflow (the caller then takes the exact path).
template <typename V, typename I>
GDSWEEP_INLINE double SelectedLogSumImpl(double x, const double* mu, const double* inv_sigma,
                                         const double* coef, const uint32_t* blocks,
                                         size_t n_blocks) {
  using Q = Quad<V>;
  constexpr size_t kB = GaussianSum::kBlock;
  const V xv = Splat<V>(x);
  // Pass 1: the largest exponent, so that pass 2 cannot overflow.
  Q vmax = Q::Fill(-kKernelInf);
  for (size_t i = 0; i < n_blocks; ++i) {
    const size_t base = blocks[i] * kB;
    for (size_t k = base; k < base + kB; k += kLanes) {
      const Q m = Q::Load(mu + k), s = Q::Load(inv_sigma + k);
      for (int p = 0; p < Q::kParts; ++p) {
        V z = (xv - m.part[p]) * s.part[p];
        vmax.part[p] = Max(vmax.part[p], z * z * -0.5);
      }
    }
  }
  const double top = vmax.MaxLane();
  if (top == -kKernelInf) return -kKernelInf;
  // Pass 2: sum coef * exp(q - top); every exp is <= 1 and the largest is 1.
  // The sum is at least the coefficient of the kernel with the largest
  // exponent; only when that is tiny and every other kernel is far away is it
  // near underflow.
  return BoundedLogSumImpl<V, I>(x, mu, inv_sigma, coef, blocks, n_blocks, top);
}

template <typename V, typename I>
GDSWEEP_INLINE double LogSumExpImpl(const double* q, size_t n) {
  using Q = Quad<V>;
  Q vmax = Q::Fill(-kKernelInf);
  for (size_t k = 0; k < n; k += kLanes) {
    const Q v = Q::Load(q + k);
    for (int i = 0; i < Q::kParts; ++i) vmax.part[i] = Max(vmax.part[i], v.part[i]);
  }
  const double top = vmax.MaxLane();
  if (!std::isfinite(top)) return top;
  const V tv = Splat<V>(top);
  Q acc = Q::Fill(0);
  for (size_t k = 0; k < n; k += kLanes) {
    const Q v = Q::Load(q + k);
    for (int i = 0; i < Q::kParts; ++i) acc.part[i] += Exp<V, I>(v.part[i] - tv);
  }
  return top + std::log(acc.SumLanes());
}

template <typename V, typename I>
GDSWEEP_INLINE void AddGaussianExponentsImpl(double x, const double* mu, const double* inv_sigma,
                                             double* q, size_t n) {
  const V xv = Splat<V>(x);
  for (size_t k = 0; k < n; k += kWidth<V>) {
    V z = (xv - Load<V>(mu + k)) * Load<V>(inv_sigma + k);
    V out = Load<V>(q + k) - z * z * 0.5;
    std::memcpy(q + k, &out, sizeof out);
  }
}

// Each hot loop twice, AVX2 and plain x86-64 (SSE2); GDSWEEP_CALL picks one.
#define GDSWEEP_CALL(name, ...) (HaveAvx2() ? name##Avx2(__VA_ARGS__) : name##Sse2(__VA_ARGS__))
#define GDSWEEP_DISPATCHED(name, ret, params, args)                                         \
  __attribute__((target("avx2"))) ret name##Avx2 params { return name##Impl<V4, I4> args; } \
  ret name##Sse2 params { return name##Impl<V2, I2> args; }

GDSWEEP_DISPATCHED(BlockLogSum, double,
                   (double x, const double* mu, const double* inv_sigma, const double* coef),
                   (x, mu, inv_sigma, coef))
GDSWEEP_DISPATCHED(SelectedLogSum, double,
                   (double x, const double* mu, const double* inv_sigma, const double* coef,
                    const uint32_t* blocks, size_t n_blocks),
                   (x, mu, inv_sigma, coef, blocks, n_blocks))

GDSWEEP_DISPATCHED(BlockBounds, void,
                   (double x, const double* lo, const double* hi, const double* inv_sigma_min,
                    double* bound, size_t n),
                   (x, lo, hi, inv_sigma_min, bound, n))
GDSWEEP_DISPATCHED(BoundedLogSum, double,
                   (double x, const double* mu, const double* inv_sigma, const double* coef,
                    const uint32_t* blocks, size_t n_blocks, double top),
                   (x, mu, inv_sigma, coef, blocks, n_blocks, top))
GDSWEEP_DISPATCHED(LogSumExp, double, (const double* q, size_t n), (q, n))
GDSWEEP_DISPATCHED(AddGaussianExponents, void,
                   (double x, const double* mu, const double* inv_sigma, double* q, size_t n),
                   (x, mu, inv_sigma, q, n))

bool HaveAvx2() {
  static const bool have = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
  return have;
}

}  // namespace

void GaussianSum::Assign(std::span<const double> mu, std::span<const double> inv_sigma,
                         std::span<const double> coef) {
  n_ = mu.size();
  const size_t n_blocks = (n_ + kBlock - 1) / kBlock;
  const size_t padded = n_blocks * kBlock;
  double top = 0;
  for (double c : coef) top = std::max(top, c);
  log_scale_ = std::log(top);
  mu_.resize(padded);
  inv_sigma_.resize(padded);
  coef_.resize(padded);
  const double scale = top > 0 ? 1 / top : 0;
  for (size_t k = 0; k < n_; ++k) {
    mu_[k] = mu[k];
    inv_sigma_[k] = inv_sigma[k];
    coef_[k] = coef[k] * scale;
  }
  for (size_t k = n_; k < padded; ++k) {  // far away, weightless
    mu_[k] = kKernelInf;
    inv_sigma_[k] = 1;
    coef_[k] = 0;
  }
  const size_t padded_blocks = PaddedSize(n_blocks);
  lo_.assign(padded_blocks, 0);
  hi_.assign(padded_blocks, 0);
  inv_sigma_min_.assign(padded_blocks, 1);
  log_coef_max_.assign(padded_blocks, -kKernelInf);
  bound_.resize(padded_blocks);
  for (size_t b = 0; b < n_blocks; ++b) {
    const size_t first = b * kBlock, last = std::min(first + kBlock, n_) - 1;
    lo_[b] = mu_[first];
    hi_[b] = mu_[last];
    double min_inv = kKernelInf, max_coef = 0;
    for (size_t k = first; k <= last; ++k) {
      min_inv = std::min(min_inv, inv_sigma_[k]);
      max_coef = std::max(max_coef, coef_[k]);
    }
    inv_sigma_min_[b] = min_inv;
    log_coef_max_[b] = std::log(max_coef);
  }
}

double GaussianSum::LogSum(double x) {
  if (n_ == 0 || log_scale_ == -kKernelInf) return -kKernelInf;
  const size_t n_blocks = (n_ + kBlock - 1) / kBlock;
  // A lower bound on the sum: the block around x, exactly.
  size_t near =
      static_cast<size_t>(std::upper_bound(lo_.begin(), lo_.begin() + n_blocks, x) - lo_.begin());
  near = near > 0 ? near - 1 : 0;
  const double* mu = mu_.data() + near * kBlock;
  const double* inv_sigma = inv_sigma_.data() + near * kBlock;
  const double* coef = coef_.data() + near * kBlock;
  const double floor = GDSWEEP_CALL(BlockLogSum, x, mu, inv_sigma, coef) - kNegligible;
  // Every block whose largest term can reach the floor; the largest of their
  // exponent bounds serves as the maximum of one pass over them.
  GDSWEEP_CALL(BlockBounds, x, lo_.data(), hi_.data(), inv_sigma_min_.data(), bound_.data(),
               bound_.size());
  selected_.clear();
  double top = -kKernelInf;
  for (size_t b = 0; b < n_blocks; ++b) {
    if (bound_[b] + log_coef_max_[b] < floor) continue;
    selected_.push_back(static_cast<uint32_t>(b));
    top = std::max(top, bound_[b]);
  }
  double r = GDSWEEP_CALL(BoundedLogSum, x, mu_.data(), inv_sigma_.data(), coef_.data(),
                          selected_.data(), selected_.size(), top);
  // The bound can be far above every real exponent (narrow kernels spread
  // over a block): then find the real maximum first.
  if (r == -kKernelInf) {
    r = GDSWEEP_CALL(SelectedLogSum, x, mu_.data(), inv_sigma_.data(), coef_.data(),
                     selected_.data(), selected_.size());
  }
  if (r == -kKernelInf) r = SlowLogSum(x);
  return r + log_scale_;
}

// Every kernel in log terms, scalar: for when the fast sum nears underflow.
double GaussianSum::SlowLogSum(double x) const {
  double m = -kKernelInf;
  for (size_t k = 0; k < n_; ++k) {
    if (!(coef_[k] > 0)) continue;
    double z = (x - mu_[k]) * inv_sigma_[k];
    m = std::fmax(m, std::log(coef_[k]) - 0.5 * z * z);
  }
  if (m == -kKernelInf) return -kKernelInf;
  double s = 0;
  for (size_t k = 0; k < n_; ++k) {
    if (!(coef_[k] > 0)) continue;
    double z = (x - mu_[k]) * inv_sigma_[k];
    s += std::exp(std::log(coef_[k]) - 0.5 * z * z - m);
  }
  return m + std::log(s);
}

double LogSumExp(const double* q, size_t n) { return GDSWEEP_CALL(LogSumExp, q, n); }

void AddGaussianExponents(double x, const double* mu, const double* inv_sigma, double* q,
                          size_t n) {
  GDSWEEP_CALL(AddGaussianExponents, x, mu, inv_sigma, q, n);
}

double ExpNonPositive(double x) { return Exp<V2, I2>(Splat<V2>(x))[0]; }

}  // namespace gdsweep::tpe
