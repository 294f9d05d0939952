// The kernels of the GP sampler over [0,1]-scaled coordinates, categorical
// parameters at distance 0 (same choice) or 1 (different), as Optuna 4's
// GPSampler (optuna/_gp/gp.py): Matern 5/2 with automatic relevance
// determination over all coordinates, or a sum of one-dimensional Matern 5/2
// kernels, one per coordinate (first-order additive, Duvenaud et al. 2011,
// Kandasamy et al. 2015); and the priors on their hyperparameters. Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

namespace gdsweep::gp {

// k(d2) = (1 + s + s^2/3) exp(-s) with s = sqrt(5 d2), where d2 is the
// lengthscale-weighted squared distance sum_i rho_i (x_i - y_i)^2.
double Matern52(double d2);
// dk/d(d2) = -5/6 (1 + s) exp(-s), finite at d2 = 0.
double Matern52Derivative(double d2);

enum class KernelKind {
  // scale * Matern52(sum_i rho_i (x_i - y_i)^2)
  kArd,
  // sum_i component_scales[i] * Matern52(component_rho_i (x_i - y_i)^2): an
  // additive function of the coordinates, which a few points per coordinate
  // pin down where a joint model of many dimensions needs far more.
  kAdditive,
  // The sum of the two: one-parameter effects plus interactions.
  kArdPlusAdditive,
};

// The hyperparameters: the ARD term's inverse squared lengthscale rho_i of
// each dimension and its scale; the additive term's inverse squared
// lengthscale and scale of each dimension's component; the noise variance.
struct KernelParams {
  KernelKind kind = KernelKind::kArd;
  std::vector<double> inverse_squared_lengthscales;            // kArd, kArdPlusAdditive
  double scale = 1;                                            // kArd, kArdPlusAdditive
  std::vector<double> component_inverse_squared_lengthscales;  // kAdditive, kArdPlusAdditive
  std::vector<double> component_scales;                        // kAdditive, kArdPlusAdditive
  double noise_var = 1e-2;
};
bool HasArdTerm(KernelKind kind);
bool HasAdditiveTerm(KernelKind kind);

// The noise variance never goes below this (of a standardised objective).
constexpr double kMinNoiseVar = 1e-6;

// k(x, x) without the noise: the prior variance at any point.
double PriorVariance(const KernelParams& p);

// For the additive term, exp(c_i p_ji) and exp(-c_i p_ji) with c_i =
// sqrt(5 component_rho_i), for each numeric coordinate i of n points
// (laid out as points_by_dim). exp(-c |x - p|) is then one of them times
// exp(-+c x): KernelColumn multiplies where it would call exp per point and
// coordinate, most of a prediction's cost with the additive kernel. Empty
// (not usable) when an exponent could leave the double range.
struct AdditiveExponentials {
  std::vector<double> up, down;
};
AdditiveExponentials PrecomputeAdditiveExponentials(const double* points_by_dim, size_t n,
                                                    const KernelParams& p,
                                                    const std::vector<bool>& categorical);

// k(x, p_j) for n points p_j of categorical.size() coordinates stored by
// dimension (points_by_dim[i * n + j] is coordinate i of point j) into
// k[j]; with dk, also dk(x, p_j)/dx_i into dk[i * n + j] (0 on categorical
// coordinates). Vectorised over the points. exps: the points' additive
// exponentials for these params, or null.
void KernelColumn(const double* x, const double* points_by_dim, size_t n, const KernelParams& p,
                  const std::vector<bool>& categorical, double* k, double* dk,
                  const AdditiveExponentials* exps = nullptr);
// KernelColumn at each of values.size() points that differ from x only in
// coordinate i (x_i = values[c]), into column c of k (n x values.size(),
// column-major): the other coordinates' share is computed once, so a line
// of G points costs about G / d of G full columns.
void KernelLine(const double* x, size_t i, const std::vector<double>& values,
                const double* points_by_dim, size_t n, const KernelParams& p,
                const std::vector<bool>& categorical, double* k);
// k(a, b) for two points; with grad, also dk/da_i into grad[i].
double Kernel(const double* a, const double* b, const KernelParams& p,
              const std::vector<bool>& categorical, double* grad);

// log p(params), up to a constant. The ARD term: each lengthscale
// log-normal, log(l_i) ~ N(sqrt(2) + log(d)/2, 3) for d dimensions (BoTorch's
// default, after Hvarfner et al. 2024: lengthscales grow as sqrt(d), so that a
// GP in 10 dimensions still models a trend from ~100 points), scale ~
// Gamma(2, 1). The additive term: each component is a one-dimensional GP, so
// its lengthscale has the prior of d = 1 and its scale the ARD scale's
// Gamma(2, 1) (a tighter prior on the components' scales, Gamma(2, d), kept
// them too small to fit a quartic in each of 10 dimensions). Noise ~
// Gamma(1.1, 30) (prefers little noise), as Optuna 4.
double LogPrior(const KernelParams& p);
// The log(rho_i) at which the lengthscale prior of d dimensions peaks: where
// the hyperparameter fit starts.
double PriorModeLogRho(size_t dims);

// d LogPrior / d log of each hyperparameter (the noise: of noise_var -
// kMinNoiseVar); empty or 0 for a term the kernel does not have.
struct LogPriorGradient {
  std::vector<double> log_rho;
  double log_scale = 0;
  std::vector<double> log_component_rho;
  std::vector<double> log_component_scales;
  double log_noise = 0;
};
LogPriorGradient LogPriorGrad(const KernelParams& p);

}  // namespace gdsweep::gp
