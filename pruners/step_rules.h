// The per-trial rules Optuna's pruners share: a trial's latest step, whether
// a step is the first judged in its interval after the warmup, and a trial's
// best intermediate value. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "sweeper/model/trial.h"

namespace gdsweep {

// The largest step reported; nullopt when none was.
std::optional<int64_t> LastStep(const std::map<int64_t, double>& intermediate);

// Whether `step` (>= n_warmup_steps) is judged: the steps judged are
// n_warmup_steps + k * interval_steps, and a judgement that found no value is
// made at the next step reported. True when the largest other step reported
// lies before the judged step at or below `step`.
bool IsFirstInIntervalStep(int64_t step, const std::map<int64_t, double>& intermediate,
                           int64_t n_warmup_steps, int64_t interval_steps);

// The smallest (minimize) or largest (maximize) value, NaN ignored; NaN when
// every value is NaN or there is none.
double BestIntermediate(const std::map<int64_t, double>& intermediate, Direction direction);

}  // namespace gdsweep
