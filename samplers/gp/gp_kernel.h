// The kernel of the GP sampler: Matern 5/2 with automatic relevance
// determination over [0,1]-scaled coordinates, categorical parameters at
// distance 0 (same choice) or 1 (different), as Optuna 4's GPSampler
// (optuna/_gp/gp.py); and the prior on its hyperparameters (optuna/_gp/
// prior.py). Pure functions; thread-safe.
#pragma once

#include <vector>

namespace gdsweep::gp {

// k(d2) = (1 + s + s^2/3) exp(-s) with s = sqrt(5 d2), where d2 is the
// lengthscale-weighted squared distance sum_i rho_i (x_i - y_i)^2.
double Matern52(double d2);
// dk/d(d2) = -5/6 (1 + s) exp(-s), finite at d2 = 0.
double Matern52Derivative(double d2);

// The hyperparameters: the inverse squared lengthscale rho_i of each
// dimension, the kernel scale (prior variance) and the noise variance.
struct KernelParams {
  std::vector<double> inverse_squared_lengthscales;
  double scale = 1;
  double noise_var = 1e-2;
};

// The noise variance never goes below this (of a standardised objective).
constexpr double kMinNoiseVar = 1e-6;

// log p(params), up to a constant: rho_i ~ exp(-(0.1/rho + 0.1 rho)) (keeps
// lengthscales away from 0 and infinity), scale ~ Gamma(2, 1), noise ~
// Gamma(1.1, 30) (prefers little noise), as Optuna 4.
double LogPrior(const KernelParams& p);

// d LogPrior / d log(rho_i), d / d log(scale), d / d log(noise_var - kMinNoiseVar).
struct LogPriorGradient {
  std::vector<double> log_rho;
  double log_scale = 0;
  double log_noise = 0;
};
LogPriorGradient LogPriorGrad(const KernelParams& p);

}  // namespace gdsweep::gp
