#include "samplers/gp/gp_kernel.h"

#include <cmath>

namespace gdsweep::gp {
namespace {

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

double LogPrior(const KernelParams& p) {
  double lp = 0;
  for (double rho : p.inverse_squared_lengthscales) lp -= 0.1 / rho + 0.1 * rho;
  return lp + GammaLogPrior(p.scale, 2, 1) + GammaLogPrior(p.noise_var, 1.1, 30);
}

LogPriorGradient LogPriorGrad(const KernelParams& p) {
  LogPriorGradient g;
  // d/d(log rho) of -(0.1/rho + 0.1 rho) = 0.1/rho - 0.1 rho.
  for (double rho : p.inverse_squared_lengthscales) g.log_rho.push_back(0.1 / rho - 0.1 * rho);
  g.log_scale = (2 - 1) - 1 * p.scale;
  // noise_var = kMinNoiseVar + exp(t): d/dt = (0.1 / v - 30) * (v - kMinNoiseVar).
  g.log_noise = (0.1 / p.noise_var - 30) * (p.noise_var - kMinNoiseVar);
  return g;
}

}  // namespace gdsweep::gp
