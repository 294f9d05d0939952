// Chooses the GP sampler's model per comparison: candidate kernels (the ARD
// kernel over all coordinates, the first-order additive kernel of
// gp_kernel.h), each fitted to the raw standardised values or to their
// squeezed warping (output_warping.h), and the one the data favour is kept,
// by the Bayesian information criterion at the fitted hyperparameters (log
// marginal likelihood - k/2 log n for k hyperparameters and n points; for a
// model of the squeezed values plus the warping's log slopes, which makes it
// the likelihood of the raw values). On an additive objective (a sum of
// one-parameter effects) the additive model explains 100 points in 10
// dimensions far better; on one whose parameters interact the ARD model
// does; while the data cannot tell, the penalty on the additive kernel's
// extra hyperparameters keeps ARD. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "samplers/gp/gp_regression.h"
#include "samplers/gp/output_warping.h"

namespace gdsweep::gp {

// log p(y | x, fitted hyperparameters) - k/2 log n.
double InformationCriterion(const GpRegressor& gp);

// Per kernel kind, hyperparameters to start its fit from (an earlier fit's).
struct KernelWarmStarts {
  std::optional<KernelParams> ard, additive, ard_plus_additive;
  std::optional<KernelParams>& of(KernelKind kind);
  const std::optional<KernelParams>& of(KernelKind kind) const;
};

// A candidate model: a kernel fitted to the raw or to the squeezed values.
struct ModelChoice {
  KernelKind kind = KernelKind::kArd;
  bool squeezed = false;
};

// What the GP sampler compares: the ARD kernel on the squeezed values and the
// additive kernel on the raw ones (the squeeze would bend a sum of
// one-parameter effects out of shape); in one dimension, where the two
// kernels are the same, ARD on each.
std::vector<ModelChoice> SamplerCandidates(size_t dims);

struct SelectedModel {
  GpRegressor gp;
  bool squeezed = false;
  std::vector<double> scores;  // per candidate, its criterion (raw values' scale)
};

// Fits every candidate to (x, y or squeezed.y), each starting from warm's
// hyperparameters of its kind when warm has them (options.kernel and
// options.warm_start are ignored), and returns the best-scoring one; warm
// (may be null) then holds the chosen model's hyperparameters for its kind.
// candidates: at least one.
SelectedModel FitSelectingModel(const std::vector<std::vector<double>>& x,
                                const std::vector<double>& y, const SqueezedValues& squeezed,
                                const std::vector<bool>& categorical, FitOptions options,
                                const std::vector<ModelChoice>& candidates,
                                KernelWarmStarts* warm = nullptr);

}  // namespace gdsweep::gp
