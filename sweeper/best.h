// Picking the best trials: for one objective the best COMPLETE trial, for
// several the Pareto front (non-dominated COMPLETE trials). Thread-compatible.
#pragma once

#include <vector>

#include "sweeper/model/trial.h"

namespace gdsweep {

// True when `a` is at least as good as `b` in every objective and better in one.
bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Direction>& directions);

// The best COMPLETE trials in number order: one (the lowest number among
// ties) for a single objective, the Pareto front for several; empty if none.
// Trials with recorded constraint values of which one is > 0 (infeasible)
// are left out; trials without constraint values take part, as Optuna's
// best_trials with constraints (_get_feasible_trials).
std::vector<const TrialRecord*> BestTrials(const std::vector<TrialRecord>& trials,
                                           const std::vector<Direction>& directions);

}  // namespace gdsweep
