#include "samplers/gp/kernel_selection.h"

#include <cmath>
#include <limits>
#include <optional>

namespace gdsweep::gp {

double InformationCriterion(const GpRegressor& gp) {
  return gp.LogMarginalLikelihood() -
         0.5 * gp.FittedHyperparameters() * std::log(static_cast<double>(gp.size()));
}

std::optional<KernelParams>& KernelWarmStarts::of(KernelKind kind) {
  return kind == KernelKind::kArd        ? ard
         : kind == KernelKind::kAdditive ? additive
                                         : ard_plus_additive;
}
const std::optional<KernelParams>& KernelWarmStarts::of(KernelKind kind) const {
  return const_cast<KernelWarmStarts&>(*this).of(kind);
}

GpRegressor FitSelectingKernel(const std::vector<std::vector<double>>& x,
                               const std::vector<double>& y, const std::vector<bool>& categorical,
                               FitOptions options, KernelScores* scores,
                               const std::vector<KernelKind>& candidates, KernelWarmStarts* warm) {
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  KernelScores s{kNone, kNone, kNone};
  std::optional<GpRegressor> best;
  double best_score = kNone;
  for (KernelKind kind : candidates) {
    if (categorical.size() < 2 && kind != KernelKind::kArd) continue;
    options.kernel = kind;
    options.warm_start = warm ? warm->of(kind) : std::nullopt;
    GpRegressor fitted = GpRegressor::Fit(x, y, categorical, options);
    if (warm) warm->of(kind) = fitted.params();
    const double score = InformationCriterion(fitted);
    (kind == KernelKind::kArd        ? s.ard
     : kind == KernelKind::kAdditive ? s.additive
                                     : s.ard_plus_additive) = score;
    if (!best || score > best_score) {
      best = std::move(fitted);
      best_score = score;
    }
  }
  if (scores) *scores = s;
  if (!best) {  // no candidate, or none that one dimension allows
    options.kernel = KernelKind::kArd;
    options.warm_start = warm ? warm->ard : std::nullopt;
    best = GpRegressor::Fit(x, y, categorical, options);
    if (warm) warm->ard = best->params();
  }
  return std::move(*best);
}

}  // namespace gdsweep::gp
