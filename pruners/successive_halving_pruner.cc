#include "pruners/successive_halving_pruner.h"

#include <cmath>
#include <limits>

#include "pruners/rungs.h"
#include "pruners/step_rules.h"

namespace gdsweep {

SuccessiveHalvingPruner::SuccessiveHalvingPruner(const SuccessiveHalvingOptions& options)
    : min_resource_(options.min_resource),
      reduction_factor_(options.reduction_factor),
      min_early_stopping_rate_(options.min_early_stopping_rate),
      bootstrap_count_(options.bootstrap_count) {}

PruneDecision SuccessiveHalvingPruner::Prune(const PruneRequest& req) {
  std::vector<const TrialRecord*> trials;
  trials.reserve(req.history.size());
  for (const auto& t : req.history) trials.push_back(&t);
  return PruneAmong(req, trials);
}

PruneDecision SuccessiveHalvingPruner::PruneAmong(const PruneRequest& req,
                                                  const std::vector<const TrialRecord*>& trials) {
  PruneDecision decision;
  const auto step = LastStep(req.trial.intermediate);
  if (!step) return decision;
  const double value = req.trial.intermediate.at(*step);
  // One judgement may complete several rungs when steps were skipped; each
  // gets the value of the latest step.
  for (int rung = CurrentRung(req.trial.completed_rungs);; ++rung) {
    if (!min_resource_) {
      min_resource_ = EstimateMinResource(trials);
      if (!min_resource_) return decision;
    }
    const int64_t rung_step =
        RungPromotionStep(*min_resource_, reduction_factor_, min_early_stopping_rate_ + rung);
    // A saturated step (beyond int64) is never reached.
    if (*step < rung_step || rung_step == std::numeric_limits<int64_t>::max()) return decision;
    if (std::isnan(value)) {
      decision.prune = true;
      return decision;
    }
    decision.completed_rungs[rung] = value;
    // The trial's own value competes once, with every other trial's value at
    // this rung (any state: pruned and failed trials reached it too).
    std::vector<double> competing;
    for (const TrialRecord* t : trials) {
      if (t->number == req.trial.number) continue;
      if (auto it = t->completed_rungs.find(rung); it != t->completed_rungs.end()) {
        competing.push_back(it->second);
      }
    }
    competing.push_back(value);
    // Optuna prunes while the rung has too few values to compare with.
    if (static_cast<int64_t>(competing.size()) <= bootstrap_count_ ||
        !IsPromotable(value, std::move(competing), reduction_factor_, req.direction)) {
      decision.prune = true;
      return decision;
    }
  }
}

}  // namespace gdsweep
