#include "samplers/tpe/truncnorm.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gdsweep::tpe {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kEps = std::numeric_limits<double>::epsilon();

// Below this, log Phi comes from the asymptotic series: erfc(-x / sqrt 2)
// is still a normal double at x = -20 (about 1e-89), so the switch loses nothing.
constexpr double kAsymptoticBelow = -20;

// S(x) = sum_k (-1)^k (2k-1)!! / x^(2k), the asymptotic series of
// Phi(x) / (phi(x) / -x) for x -> -inf (Abramowitz-Stegun 26.2.12). Summed
// until a term no longer changes the sum; at x <= -20 that takes < 15 terms,
// far before the series starts to diverge (near k = x^2 / 2).
double AsymptoticSeries(double x) {
  const double inv_x2 = 1 / (x * x);
  double sum = 1;
  double term = 1;
  for (int k = 1; k < 100; ++k) {
    term *= -(2 * k - 1) * inv_x2;
    double next = sum + term;
    if (next == sum) break;
    sum = next;
  }
  return sum;
}

// log(exp(lp) - exp(lq)) for lq <= lp.
double LogDiff(double lp, double lq) {
  if (lq == -kInf) return lp;
  return lp + std::log1p(-std::exp(lq - lp));
}

double LogAddExp(double a, double b) {
  double m = std::max(a, b);
  if (m == -kInf) return -kInf;
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

// phi(x) / Phi(x), the derivative of log Phi, given log_ndtr = log Phi(x);
// for very negative x from the series, where the exp would cancel.
double InverseMills(double x, double log_ndtr) {
  if (x < kAsymptoticBelow) return -x / AsymptoticSeries(x);
  return std::exp(-0.5 * x * x - kHalfLog2Pi - log_ndtr);
}

// Acklam's rational approximation of Phi's inverse for p <= 1/2, given
// log p (relative error < 1.2e-9; P. J. Acklam, "An algorithm for computing
// the inverse normal cumulative distribution function", 2003). The lower
// region uses sqrt(-2 log p), so it works where p itself underflows.
double AcklamLower(double log_p) {
  constexpr double kLowRegion = -3.7193250073208893;  // log(0.02425)
  if (log_p < kLowRegion) {
    const double q = std::sqrt(-2 * log_p);
    return (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) *
                  q -
              2.549732539343734e+00) *
                 q +
             4.374664141464968e+00) *
                q +
            2.938163982698783e+00) /
           ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q +
             3.754408661907416e+00) *
                q +
            1);
  }
  const double q = std::exp(log_p) - 0.5, r = q * q;
  return (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r +
            1.383577518672690e+02) *
               r -
           3.066479806614716e+01) *
              r +
          2.506628277459239e+00) *
         q /
         (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r +
            6.680131188771972e+01) *
               r -
           1.328068155288572e+01) *
              r +
          1);
}

// NdtriExp for log_p <= log(1/2), where the answer is <= 0: Acklam's value,
// then Halley steps on f(x) = log Phi(x) - log_p (f' = r, the inverse Mills
// ratio; f'' = -r (x + r)), which converge cubically (Newton steps, which
// converge quadratically, where Halley's correction is large). A step below
// 1e-8 leaves an error below ~1e-16, so it is the last: usually the first is.
double NdtriExpLower(double log_p) {
  double x = AcklamLower(log_p);
  for (int i = 0; i < 50; ++i) {
    const double l = LogNdtr(x);
    const double f = l - log_p;
    const double r = InverseMills(x, l);
    // Halley's correction; far from the root (a poor first guess deep in
    // the tail) it can dominate, and a plain Newton step is safer.
    double h = 0.5 * f * (x + r);
    if (!(std::abs(h) < 0.5)) h = 0;
    const double dx = f / (r * (1 + h));
    x -= dx;
    if (!(std::abs(dx) > 1e-8 * std::max(1.0, std::abs(x)))) break;
  }
  return x;
}

}  // namespace

double Ndtr(double x) { return 0.5 * std::erfc(-x * kSqrtHalf); }

double LogNdtr(double x) {
  if (std::isnan(x)) return x;
  if (x >= 0) return std::log1p(-0.5 * std::erfc(x * kSqrtHalf));
  if (x > kAsymptoticBelow) return std::log(0.5 * std::erfc(-x * kSqrtHalf));
  if (x == -kInf) return -kInf;
  // Phi(x) = phi(x) / (-x) * S(x).
  return -0.5 * x * x - std::log(-x) - kHalfLog2Pi + std::log(AsymptoticSeries(x));
}

double NdtriExp(double log_p) {
  if (std::isnan(log_p) || log_p > 0) return std::numeric_limits<double>::quiet_NaN();
  if (log_p == 0) return kInf;
  if (log_p == -kInf) return -kInf;
  constexpr double kLogHalf = -0.69314718055994530942;
  if (log_p <= kLogHalf) return NdtriExpLower(log_p);
  // Above the median, by symmetry: Phi(x) = p  <=>  Phi(-x) = 1 - p.
  return -NdtriExpLower(std::log(-std::expm1(log_p)));
}

double Ndtri(double p) {
  if (std::isnan(p) || p < 0 || p > 1) return std::numeric_limits<double>::quiet_NaN();
  if (p <= 0.5) return NdtriExp(std::log(p));
  return -NdtriExp(std::log1p(-p));
}

double LogGaussMass(double a, double b) {
  if (b <= 0) return LogDiff(LogNdtr(b), LogNdtr(a));
  if (a > 0) return LogDiff(LogNdtr(-a), LogNdtr(-b));
  // Straddling 0: both tails are at most 1/2, so 1 - tails does not cancel.
  return std::log1p(-Ndtr(a) - Ndtr(-b));
}

double LogCellMass(double a, double b) {
  const double w = b - a;
  const double m = 0.5 * (a + b);
  if (w < 1e-3 && std::abs(m) * w < 1e-3) {
    // The next term of the expansion is below (m w)^4 / 1920 < 1e-15.
    return -0.5 * m * m - kHalfLog2Pi + std::log(w) + std::log1p((m * m - 1) * w * w / 24);
  }
  double mass;
  if (b <= 0) {
    mass = 0.5 * (std::erfc(-b * kSqrtHalf) - std::erfc(-a * kSqrtHalf));
  } else if (a >= 0) {
    mass = 0.5 * (std::erfc(a * kSqrtHalf) - std::erfc(b * kSqrtHalf));
  } else {
    mass = 0.5 * (std::erf(b * kSqrtHalf) + std::erf(-a * kSqrtHalf));
  }
  if (mass > 1e-280) return std::log(mass);
  return LogGaussMass(a, b);
}

double TruncNormPpf(double u, double a, double b) {
  if (!(u > 0)) return a;
  if (!(u < 1)) return b;
  if (a <= 0 && b >= 0 && b - a >= 1) {
    // TPE's case: the centre is inside and the interval at least one sigma
    // wide, so its mass is >= 0.34 and linear space loses nothing. The
    // smaller of Phi(x) and 1 - Phi(x) is a sum of positive terms, exact to
    // rounding even when tiny.
    const double below = Ndtr(a), above = Ndtr(-b);
    const double mass = (1 - below) - above;
    const double p = below + u * mass, q = above + (1 - u) * mass;
    const double x = p <= q ? NdtriExp(std::log(p)) : -NdtriExp(std::log(q));
    return std::clamp(x, a, b);
  }
  const double log_mass = LogGaussMass(a, b);
  double x;
  if (a < 0) {
    // Phi(x) = Phi(a) + u (Phi(b) - Phi(a)), in logs.
    x = NdtriExp(LogAddExp(LogNdtr(a), std::log(u) + log_mass));
  } else {
    // All of [a, b] is in the upper tail: the mirror image, Phi(-x) =
    // Phi(-b) + (1 - u) (Phi(b) - Phi(a)), keeps the small numbers small.
    x = -NdtriExp(LogAddExp(LogNdtr(-b), std::log1p(-u) + log_mass));
  }
  return std::clamp(x, a, b);
}

double TruncNormLogPdf(double x, double low, double high, double loc, double scale) {
  if (x < low || x > high) return -kInf;
  double z = (x - loc) / scale;
  return -0.5 * z * z - kHalfLog2Pi - std::log(scale) -
         LogGaussMass((low - loc) / scale, (high - loc) / scale);
}

}  // namespace gdsweep::tpe
