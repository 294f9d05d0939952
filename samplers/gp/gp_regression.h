// Gaussian-process regression for the GP sampler: zero-mean GP with a
// kernel of gp_kernel.h (ARD, additive or both) on points whose numeric
// coordinates are in [0,1] and whose categorical coordinates hold the choice
// index; hyperparameters fitted
// by maximising the log marginal likelihood plus the log prior (L-BFGS-B,
// several starts). The caller standardises the targets. Holds its training
// data (O(n^2) memory for n points, O(n^3) time per fit step). A fitted
// regressor is immutable: concurrent const calls are safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "samplers/gp/gp_kernel.h"

namespace gdsweep::gp {

struct FitOptions {
  bool deterministic_objective = false;  // fix the noise at kMinNoiseVar
  KernelKind kernel = KernelKind::kArd;  // which kernel's hyperparameters to fit
  int n_restarts = 2;                    // L-BFGS-B starts besides the default hyperparameters
  uint64_t seed = 0;                     // for the restarts' starting points
  int max_iterations = 30;
  // Where the first L-BFGS-B start begins instead of the prior's mode: the
  // hyperparameters of an earlier fit of the same kernel (ignored when its
  // kind or size differ). A fit from near its optimum ends in a few steps.
  std::optional<KernelParams> warm_start;
};

// The posterior at one point, with gradients over the point's numeric
// coordinates (zero on categorical ones) when asked for.
struct Posterior {
  double mean = 0;
  double var = 0;
  std::vector<double> dmean, dvar;
};

class GpRegressor {
 public:
  // Fits the hyperparameters to (x, y) and conditions on them. x: n points of
  // categorical.size() coordinates; n >= 1.
  static GpRegressor Fit(std::vector<std::vector<double>> x, std::vector<double> y,
                         std::vector<bool> categorical, const FitOptions& options);
  // Conditions on (x, y) with the given hyperparameters, no fitting.
  static GpRegressor WithParams(std::vector<std::vector<double>> x, std::vector<double> y,
                                std::vector<bool> categorical, KernelParams params);

  GpRegressor(GpRegressor&&) noexcept;
  GpRegressor& operator=(GpRegressor&&) noexcept;
  ~GpRegressor();

  const KernelParams& params() const;
  // The same hyperparameters conditioned on this data plus (x, y): the
  // kriging believer adds running trials at their predicted mean this way.
  GpRegressor Extended(const std::vector<std::vector<double>>& x,
                       const std::vector<double>& y) const;

  Posterior Predict(const std::vector<double>& x, bool with_gradient) const;
  // The posterior mean at each point conditioned on, in order: y minus the
  // noise's share, noise_var * K^-1 y (O(n), no kernel evaluations).
  std::vector<double> MeanAtData() const;
  // Mean and variance of many points at once (no gradients).
  void PredictMany(const std::vector<std::vector<double>>& xs, std::vector<double>& mean,
                   std::vector<double>& var) const;
  // The same for the points x with coordinate i set to each of values (a
  // coordinate sweep), at a fraction of the cost.
  void PredictLine(const std::vector<double>& x, size_t i, const std::vector<double>& values,
                   std::vector<double>& mean, std::vector<double>& var) const;

  // log p(y | x, params) + LogPrior(params): what Fit maximises.
  double LogPosterior(const KernelParams& params) const;
  // Its gradient over the log-hyperparameters, in the order Fit optimises
  // them: the ARD term's log(rho_i) and log(scale), the additive term's
  // log(rho_i) and then log(scale_i), log(noise_var - kMinNoiseVar).
  std::vector<double> LogPosteriorGradient(const KernelParams& params) const;
  // log p(y | x, params()) with its constant: the evidence of the fitted
  // model, for choosing between kernels.
  double LogMarginalLikelihood() const;
  // How many hyperparameters the fit chose (lengthscales, scales, noise).
  int FittedHyperparameters() const;
  size_t size() const;  // the number of points conditioned on

 private:
  struct Impl;
  explicit GpRegressor(std::unique_ptr<Impl> impl);
  // The data and hyperparameters, not yet conditioned on.
  static std::unique_ptr<Impl> Unconditioned(std::vector<std::vector<double>> x,
                                             std::vector<double> y, std::vector<bool> categorical,
                                             KernelParams params);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gdsweep::gp
