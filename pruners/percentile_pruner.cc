#include "pruners/percentile_pruner.h"

#include <cmath>
#include <vector>

#include "pruners/nan_percentile.h"
#include "pruners/step_rules.h"

namespace gdsweep {

PruneDecision PercentilePruner::Prune(const PruneRequest& req) {
  std::vector<const TrialRecord*> completed;
  for (const auto& t : req.history) {
    if (t.state == TrialState::kComplete) completed.push_back(&t);
  }
  const auto& o = options_;
  if (completed.empty() || static_cast<int64_t>(completed.size()) < o.n_startup_trials) return {};
  const auto step = LastStep(req.trial.intermediate);
  if (!step || *step < o.n_warmup_steps) return {};
  if (!IsFirstInIntervalStep(*step, req.trial.intermediate, o.n_warmup_steps, o.interval_steps)) {
    return {};
  }
  const double best = BestIntermediate(req.trial.intermediate, req.direction);
  if (std::isnan(best)) return {.prune = true};

  std::vector<double> at_step;
  for (const TrialRecord* t : completed) {
    if (auto it = t->intermediate.find(*step); it != t->intermediate.end()) {
      at_step.push_back(it->second);
    }
  }
  if (static_cast<int64_t>(at_step.size()) < o.n_min_trials) return {};
  // The kept fraction is at the top: for maximize the threshold is the
  // (100 - percentile)-th percentile.
  const bool maximize = req.direction == Direction::kMaximize;
  const double threshold = NanPercentile(at_step, maximize ? 100.0 - o.percentile : o.percentile);
  if (std::isnan(threshold)) return {};
  return {.prune = maximize ? best < threshold : best > threshold};
}

}  // namespace gdsweep
