// The arithmetic of asynchronous successive halving as Optuna 3.1 does it:
// the step at which a rung is complete, whether a value is promoted past a
// rung, and the "auto" minimum resource. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sweeper/model/trial.h"

namespace gdsweep {

// min_resource * reduction_factor^exponent, INT64_MAX when it is larger
// (Python's integers never overflow; no step reaches INT64_MAX).
int64_t RungPromotionStep(int64_t min_resource, int64_t reduction_factor, int64_t exponent);

// Whether `value` is among the best len / reduction_factor (at least one) of
// `competing`, which holds `value` itself. Ties are promoted.
bool IsPromotable(double value, std::vector<double> competing, int64_t reduction_factor,
                  Direction direction);

// "auto": max(last step of the COMPLETE trials / 100, 1); nullopt while no
// COMPLETE trial reported a step.
std::optional<int64_t> EstimateMinResource(const std::vector<const TrialRecord*>& trials);

// The first rung the trial has not completed: 0, 1, ... while completed_rungs
// holds them.
int CurrentRung(const std::map<int, double>& completed_rungs);

}  // namespace gdsweep
