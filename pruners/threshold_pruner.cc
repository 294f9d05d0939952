#include "pruners/threshold_pruner.h"

#include <cmath>

#include "pruners/step_rules.h"

namespace gdsweep {

PruneDecision ThresholdPruner::Prune(const PruneRequest& req) {
  const auto& o = options_;
  const auto step = LastStep(req.trial.intermediate);
  if (!step || *step < o.n_warmup_steps) return {};
  if (!IsFirstInIntervalStep(*step, req.trial.intermediate, o.n_warmup_steps, o.interval_steps)) {
    return {};
  }
  const double value = req.trial.intermediate.at(*step);
  const double lower = o.lower.value_or(-HUGE_VAL);
  const double upper = o.upper.value_or(HUGE_VAL);
  return {.prune = std::isnan(value) || value < lower || value > upper};
}

}  // namespace gdsweep
