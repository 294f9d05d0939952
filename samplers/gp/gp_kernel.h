// The kernel of the GP sampler: Matern 5/2 with automatic relevance
// determination over [0,1]-scaled coordinates, categorical parameters at
// distance 0 (same choice) or 1 (different), as Optuna 4's GPSampler
// (optuna/_gp/gp.py); and the prior on its hyperparameters (optuna/_gp/
// prior.py). Pure functions; thread-safe.
#pragma once

#include <cstddef>
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

// log p(params), up to a constant: each lengthscale log-normal, log(l_i) ~
// N(sqrt(2) + log(d)/2, 3) for d dimensions (BoTorch's default, after Hvarfner
// et al. 2024: lengthscales grow as sqrt(d), so that a GP in 10 dimensions
// still models a trend from ~100 points), scale ~ Gamma(2, 1), noise ~
// Gamma(1.1, 30) (prefers little noise), as Optuna 4.
double LogPrior(const KernelParams& p);
// The log(rho_i) at which the lengthscale prior of d dimensions peaks: where
// the hyperparameter fit starts.
double PriorModeLogRho(size_t dims);

// d LogPrior / d log(rho_i), d / d log(scale), d / d log(noise_var - kMinNoiseVar).
struct LogPriorGradient {
  std::vector<double> log_rho;
  double log_scale = 0;
  double log_noise = 0;
};
LogPriorGradient LogPriorGrad(const KernelParams& p);

}  // namespace gdsweep::gp
