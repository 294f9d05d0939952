#include "pruners/step_rules.h"

#include <cmath>
#include <limits>

namespace gdsweep {

std::optional<int64_t> LastStep(const std::map<int64_t, double>& intermediate) {
  if (intermediate.empty()) return std::nullopt;
  return intermediate.rbegin()->first;
}

bool IsFirstInIntervalStep(int64_t step, const std::map<int64_t, double>& intermediate,
                           int64_t n_warmup_steps, int64_t interval_steps) {
  const int64_t judged = (step - n_warmup_steps) / interval_steps * interval_steps + n_warmup_steps;
  int64_t previous = -1;  // the largest step reported other than `step`
  for (const auto& [s, value] : intermediate) {
    if (s != step && s > previous) previous = s;
  }
  return previous < judged;
}

double BestIntermediate(const std::map<int64_t, double>& intermediate, Direction direction) {
  double best = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [step, value] : intermediate) {
    if (std::isnan(value)) continue;
    if (std::isnan(best) || (direction == Direction::kMinimize ? value < best : value > best)) {
      best = value;
    }
  }
  return best;
}

}  // namespace gdsweep
