#include "samplers/gp/gp_kernel.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace gdsweep::gp {
namespace {

// The lengthscale prior: log(lengthscale) ~ N(mu, 3) with mu = sqrt(2) +
// log(d) / 2, as BoTorch's default after Hvarfner et al. (2024), "Vanilla
// Bayesian optimization performs great in high dimensions": the expected
// lengthscale grows as sqrt(d), as distances in the unit cube do. In t =
// log(rho) = -2 log(lengthscale), the log density of the lengthscale is
// t/2 - (t + 2 mu)^2 / 24, up to a constant.
double LengthscaleMu(size_t dims) {
  return std::numbers::sqrt2 + 0.5 * std::log(static_cast<double>(std::max<size_t>(dims, 1)));
}
constexpr double kLengthscaleLogVar = 3;

// (concentration - 1) log x - rate x: a Gamma log density without its constant.
double GammaLogPrior(double x, double concentration, double rate) {
  return (concentration - 1) * std::log(x) - rate * x;
}

}  // namespace

double Matern52(double d2) {
  const double s = std::sqrt(5 * d2);
  return (1 + s + 5.0 / 3.0 * d2) * std::exp(-s);
}

double Matern52Derivative(double d2) {
  const double s = std::sqrt(5 * d2);
  return -5.0 / 6.0 * (1 + s) * std::exp(-s);
}

bool HasArdTerm(KernelKind kind) { return kind != KernelKind::kAdditive; }
bool HasAdditiveTerm(KernelKind kind) { return kind != KernelKind::kArd; }

double PriorVariance(const KernelParams& p) {
  double v = HasArdTerm(p.kind) ? p.scale : 0.0;
  for (double s : p.component_scales) v += HasAdditiveTerm(p.kind) ? s : 0.0;
  return v;
}

namespace {
// |c x| up to this keeps exp(c x) and its products far inside the doubles.
constexpr double kMaxExponent = 300;
}  // namespace

AdditiveExponentials PrecomputeAdditiveExponentials(const double* points_by_dim, size_t n,
                                                    const KernelParams& p,
                                                    const std::vector<bool>& categorical) {
  AdditiveExponentials e;
  if (!HasAdditiveTerm(p.kind)) return e;
  const size_t d = categorical.size();
  e.up.assign(d * n, 0.0);
  e.down.assign(d * n, 0.0);
  for (size_t i = 0; i < d; ++i) {
    if (categorical[i]) continue;
    const double c = std::sqrt(5 * p.component_inverse_squared_lengthscales[i]);
    for (size_t j = 0; j < n; ++j) {
      const double exponent = c * points_by_dim[i * n + j];
      if (!(std::abs(exponent) <= kMaxExponent)) return {};
      e.up[i * n + j] = std::exp(exponent);
      e.down[i * n + j] = std::exp(-exponent);
    }
  }
  return e;
}

void KernelColumn(const double* x, const double* points_by_dim, size_t n, const KernelParams& p,
                  const std::vector<bool>& categorical, double* k_out, double* dk_out,
                  const AdditiveExponentials* exps) {
  using Eigen::ArrayXd;
  using Array = Eigen::Map<ArrayXd>;
  const auto count = static_cast<Eigen::Index>(n);
  const size_t d = categorical.size();
  // Scratch arrays, reused: this runs for every candidate point of the
  // acquisition, and fresh temporaries per dimension cost more than the math.
  thread_local std::vector<double> scratch;
  scratch.resize(4 * n);
  Array diff(scratch.data(), count), s(scratch.data() + n, count), e(scratch.data() + 2 * n, count),
      d2(scratch.data() + 3 * n, count);
  Array k(k_out, count);
  k.setZero();
  // diff = x_i - p_ji over j, or the mismatch of a categorical coordinate.
  auto difference = [&](size_t i) {
    const Eigen::Map<const ArrayXd> column(points_by_dim + i * n, count);
    if (categorical[i]) {
      diff = (column != x[i]).cast<double>();
    } else {
      diff = x[i] - column;
    }
  };
  auto gradient = [&](size_t i) { return Array(dk_out + i * n, count); };
  if (dk_out) {
    for (size_t i = 0; i < d; ++i) gradient(i).setZero();
  }
  if (HasArdTerm(p.kind)) {
    const auto& rho = p.inverse_squared_lengthscales;
    d2.setZero();
    for (size_t i = 0; i < d; ++i) {
      difference(i);
      d2 += rho[i] * diff.square();
    }
    s = (5 * d2).sqrt();
    e = (-s).exp();
    k += p.scale * (1 + s + s.square() / 3) * e;
    if (dk_out) {
      // dk/d(d2) = -5/6 (1 + s) exp(-s); d(d2)/dx_i = 2 rho_i (x_i - p_ji).
      d2 = p.scale * (-5.0 / 3.0) * (1 + s) * e;  // d2 is free: the common factor
      for (size_t i = 0; i < d; ++i) {
        if (categorical[i]) continue;
        difference(i);
        gradient(i) += rho[i] * d2 * diff;
      }
    }
  }
  if (HasAdditiveTerm(p.kind)) {
    const auto& rho = p.component_inverse_squared_lengthscales;
    const bool precomputed = exps && !exps->up.empty();
    for (size_t i = 0; i < d; ++i) {
      difference(i);
      const double c = std::sqrt(5 * rho[i]);
      s = c * diff.abs();
      if (precomputed && !categorical[i] && std::abs(c * x[i]) <= kMaxExponent) {
        // exp(-c |x - p|) = exp(-c x) exp(c p) where p <= x, else exp(c x) exp(-c p).
        const Eigen::Map<const ArrayXd> up(exps->up.data() + i * n, count),
            down(exps->down.data() + i * n, count);
        e = (diff >= 0).select(std::exp(-c * x[i]) * up, std::exp(c * x[i]) * down);
      } else {
        e = (-s).exp();
      }
      const double b = p.component_scales[i];
      k += b * (1 + s + s.square() / 3) * e;
      if (dk_out && !categorical[i]) gradient(i) += b * (-5.0 / 3.0) * rho[i] * (1 + s) * e * diff;
    }
  }
}

void KernelLine(const double* x, size_t i, const std::vector<double>& values,
                const double* points_by_dim, size_t n, const KernelParams& p,
                const std::vector<bool>& categorical, double* k_out) {
  using Eigen::ArrayXd;
  const auto count = static_cast<Eigen::Index>(n);
  const size_t d = categorical.size();
  auto difference = [&](size_t l, double at) -> ArrayXd {
    const Eigen::Map<const ArrayXd> column(points_by_dim + l * n, count);
    if (categorical[l]) return (column != at).cast<double>();
    return at - column;
  };
  // The coordinates other than i: the ARD term's weighted squared distance,
  // the additive term's sum.
  ArrayXd ard_rest = ArrayXd::Zero(count), additive_rest = ArrayXd::Zero(count);
  for (size_t l = 0; l < d; ++l) {
    if (l == i) continue;
    const ArrayXd diff = difference(l, x[l]);
    if (HasArdTerm(p.kind)) ard_rest += p.inverse_squared_lengthscales[l] * diff.square();
    if (HasAdditiveTerm(p.kind)) {
      const ArrayXd s = std::sqrt(5 * p.component_inverse_squared_lengthscales[l]) * diff.abs();
      additive_rest += p.component_scales[l] * (1 + s + s.square() / 3) * (-s).exp();
    }
  }
  for (size_t c = 0; c < values.size(); ++c) {
    Eigen::Map<ArrayXd> k(k_out + c * n, count);
    const ArrayXd diff = difference(i, values[c]);
    k.setZero();
    if (HasArdTerm(p.kind)) {
      const ArrayXd s = (5 * (ard_rest + p.inverse_squared_lengthscales[i] * diff.square())).sqrt();
      k += p.scale * (1 + s + s.square() / 3) * (-s).exp();
    }
    if (HasAdditiveTerm(p.kind)) {
      const ArrayXd s = std::sqrt(5 * p.component_inverse_squared_lengthscales[i]) * diff.abs();
      k += additive_rest + p.component_scales[i] * (1 + s + s.square() / 3) * (-s).exp();
    }
  }
}

double Kernel(const double* a, const double* b, const KernelParams& p,
              const std::vector<bool>& categorical, double* grad) {
  double k = 0;
  KernelColumn(a, b, 1, p, categorical, &k, grad);
  return k;
}

double PriorModeLogRho(size_t dims) {
  // d/dt of t/2 - (t + 2 mu)^2 / (8 var) is zero at t = 2 var - 2 mu.
  return 2 * kLengthscaleLogVar - 2 * LengthscaleMu(dims);
}

namespace {

// t/2 - (t + 2 mu)^2 / 24 at t = log(rho): the lengthscale prior of dims
// dimensions, and its derivative over t.
double LengthscaleLogPrior(double rho, size_t dims) {
  const double mu = LengthscaleMu(dims), t = std::log(rho);
  return t / 2 - (t + 2 * mu) * (t + 2 * mu) / (8 * kLengthscaleLogVar);
}
double LengthscaleLogPriorGrad(double rho, size_t dims) {
  return 0.5 - (std::log(rho) + 2 * LengthscaleMu(dims)) / (4 * kLengthscaleLogVar);
}

}  // namespace

double LogPrior(const KernelParams& p) {
  double lp = GammaLogPrior(p.noise_var, 1.1, 30);
  if (HasArdTerm(p.kind)) {
    const size_t d = p.inverse_squared_lengthscales.size();
    for (double rho : p.inverse_squared_lengthscales) lp += LengthscaleLogPrior(rho, d);
    lp += GammaLogPrior(p.scale, 2, 1);
  }
  if (HasAdditiveTerm(p.kind)) {
    for (double rho : p.component_inverse_squared_lengthscales) lp += LengthscaleLogPrior(rho, 1);
    for (double s : p.component_scales) lp += GammaLogPrior(s, 2, 1);
  }
  return lp;
}

LogPriorGradient LogPriorGrad(const KernelParams& p) {
  LogPriorGradient g;
  if (HasArdTerm(p.kind)) {
    const size_t d = p.inverse_squared_lengthscales.size();
    for (double rho : p.inverse_squared_lengthscales) {
      g.log_rho.push_back(LengthscaleLogPriorGrad(rho, d));
    }
    g.log_scale = (2 - 1) - 1 * p.scale;
  }
  if (HasAdditiveTerm(p.kind)) {
    for (double rho : p.component_inverse_squared_lengthscales) {
      g.log_component_rho.push_back(LengthscaleLogPriorGrad(rho, 1));
    }
    for (double s : p.component_scales) {
      g.log_component_scales.push_back((2 - 1) - 1 * s);
    }
  }
  // noise_var = kMinNoiseVar + exp(t): d/dt = (0.1 / v - 30) * (v - kMinNoiseVar).
  g.log_noise = (0.1 / p.noise_var - 30) * (p.noise_var - kMinNoiseVar);
  return g;
}

}  // namespace gdsweep::gp
