#include "samplers/gp/gp_kernel.h"

#include <algorithm>
#include <cmath>
#include <numbers>

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

double PriorModeLogRho(size_t dims) {
  // d/dt of t/2 - (t + 2 mu)^2 / (8 var) is zero at t = 2 var - 2 mu.
  return 2 * kLengthscaleLogVar - 2 * LengthscaleMu(dims);
}

double LogPrior(const KernelParams& p) {
  const double mu = LengthscaleMu(p.inverse_squared_lengthscales.size());
  double lp = 0;
  for (double rho : p.inverse_squared_lengthscales) {
    const double t = std::log(rho);
    lp += t / 2 - (t + 2 * mu) * (t + 2 * mu) / (8 * kLengthscaleLogVar);
  }
  return lp + GammaLogPrior(p.scale, 2, 1) + GammaLogPrior(p.noise_var, 1.1, 30);
}

LogPriorGradient LogPriorGrad(const KernelParams& p) {
  LogPriorGradient g;
  const double mu = LengthscaleMu(p.inverse_squared_lengthscales.size());
  for (double rho : p.inverse_squared_lengthscales) {
    g.log_rho.push_back(0.5 - (std::log(rho) + 2 * mu) / (4 * kLengthscaleLogVar));
  }
  g.log_scale = (2 - 1) - 1 * p.scale;
  // noise_var = kMinNoiseVar + exp(t): d/dt = (0.1 / v - 30) * (v - kMinNoiseVar).
  g.log_noise = (0.1 / p.noise_var - 30) * (p.noise_var - kMinNoiseVar);
  return g;
}

}  // namespace gdsweep::gp
