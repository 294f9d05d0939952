#include "samplers/gp/kernel_selection.h"

#include <cmath>
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

std::vector<ModelChoice> SamplerCandidates(size_t dims) {
  if (dims >= 2) return {{KernelKind::kArd, true}, {KernelKind::kAdditive, false}};
  return {{KernelKind::kArd, false}, {KernelKind::kArd, true}};
}

SelectedModel FitSelectingModel(const std::vector<std::vector<double>>& x,
                                const std::vector<double>& y, const SqueezedValues& squeezed,
                                const std::vector<bool>& categorical, FitOptions options,
                                const std::vector<ModelChoice>& candidates,
                                KernelWarmStarts* warm) {
  std::optional<SelectedModel> best;
  double best_score = 0;
  std::vector<double> scores;
  for (const ModelChoice& c : candidates) {
    options.kernel = c.kind;
    options.warm_start = warm ? warm->of(c.kind) : std::nullopt;
    GpRegressor fitted = GpRegressor::Fit(x, c.squeezed ? squeezed.y : y, categorical, options);
    double score = InformationCriterion(fitted);
    if (c.squeezed) {
      for (double slope : squeezed.log_slope) score += slope;
    }
    scores.push_back(score);
    if (!best || score > best_score) {
      best_score = score;
      best.emplace(SelectedModel{std::move(fitted), c.squeezed, {}});
    }
  }
  best->scores = std::move(scores);
  if (warm) warm->of(best->gp.params().kind) = best->gp.params();
  return std::move(*best);
}

}  // namespace gdsweep::gp
