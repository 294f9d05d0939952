// Chooses the GP sampler's kernel per fit: the ARD kernel over all
// coordinates and the first-order additive kernel (gp_kernel.h) are both
// fitted to the same data, and the one the data favour is kept, by the
// Bayesian information criterion at the fitted hyperparameters (log marginal
// likelihood - k/2 log n for k hyperparameters and n points): on an additive
// objective (a sum of one-parameter effects) the additive model explains 100
// points in 10 dimensions far better; on one whose parameters interact the
// ARD model does; while the data cannot tell, the penalty on the additive
// kernel's extra hyperparameters keeps ARD. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "samplers/gp/gp_regression.h"

namespace gdsweep::gp {

// log p(y | x, fitted hyperparameters) - k/2 log n.
double InformationCriterion(const GpRegressor& gp);

// Each candidate's criterion; -inf for one not fitted.
struct KernelScores {
  double ard = 0;
  double additive = 0;
  double ard_plus_additive = 0;
};

// Per candidate kernel, hyperparameters to start its fit from (an earlier
// fit's), and on return its fitted ones.
struct KernelWarmStarts {
  std::optional<KernelParams> ard, additive, ard_plus_additive;
  std::optional<KernelParams>& of(KernelKind kind);
  const std::optional<KernelParams>& of(KernelKind kind) const;
};

// The best-scoring fit of the candidate kernels (options.kernel and
// options.warm_start are ignored; in one dimension all are the same kernel,
// and only ARD is fitted). warm: see KernelWarmStarts; may be null.
GpRegressor FitSelectingKernel(const std::vector<std::vector<double>>& x,
                               const std::vector<double>& y, const std::vector<bool>& categorical,
                               FitOptions options, KernelScores* scores = nullptr,
                               const std::vector<KernelKind>& candidates = {KernelKind::kArd,
                                                                            KernelKind::kAdditive},
                               KernelWarmStarts* warm = nullptr);

}  // namespace gdsweep::gp
