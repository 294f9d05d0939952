#include "pruners/rungs.h"

#include <algorithm>
#include <limits>

#include "pruners/step_rules.h"

namespace gdsweep {

int64_t RungPromotionStep(int64_t min_resource, int64_t reduction_factor, int64_t exponent) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t step = min_resource;
  for (int64_t i = 0; i < exponent; ++i) {
    if (step > kMax / reduction_factor) return kMax;
    step *= reduction_factor;
  }
  return step;
}

bool IsPromotable(double value, std::vector<double> competing, int64_t reduction_factor,
                  Direction direction) {
  const int64_t n = static_cast<int64_t>(competing.size());
  const size_t index = static_cast<size_t>(std::max<int64_t>(n / reduction_factor - 1, 0));
  std::sort(competing.begin(), competing.end());
  if (direction == Direction::kMaximize) return value >= competing[competing.size() - 1 - index];
  return value <= competing[index];
}

std::optional<int64_t> EstimateMinResource(const std::vector<const TrialRecord*>& trials) {
  std::optional<int64_t> last;
  for (const TrialRecord* t : trials) {
    if (t->state != TrialState::kComplete) continue;
    if (auto step = LastStep(t->intermediate); step && (!last || *step > *last)) last = step;
  }
  if (!last) return std::nullopt;
  return std::max<int64_t>(*last / 100, 1);
}

int CurrentRung(const std::map<int, double>& completed_rungs) {
  int rung = 0;
  while (completed_rungs.count(rung)) ++rung;
  return rung;
}

}  // namespace gdsweep
