#include "sweeper/best.h"

namespace gdsweep {
namespace {

bool Better(double a, double b, Direction d) { return d == Direction::kMinimize ? a < b : a > b; }

}  // namespace

bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Direction>& directions) {
  bool strictly = false;
  for (size_t k = 0; k < directions.size(); ++k) {
    if (Better(b[k], a[k], directions[k])) return false;
    if (Better(a[k], b[k], directions[k])) strictly = true;
  }
  return strictly;
}

std::vector<const TrialRecord*> BestTrials(const std::vector<TrialRecord>& trials,
                                           const std::vector<Direction>& directions) {
  std::vector<const TrialRecord*> complete;
  for (const auto& t : trials) {
    // A trial whose recorded constraints are violated is never best; one
    // without constraint values counts (Optuna's _get_feasible_trials).
    if (t.state == TrialState::kComplete && t.values.size() == directions.size() &&
        !(t.constraints && Violation(t) > 0)) {
      complete.push_back(&t);
    }
  }
  if (complete.empty() || directions.empty()) return {};
  if (directions.size() == 1) {
    const TrialRecord* best = complete.front();
    for (const auto* t : complete) {
      if (Better(t->values[0], best->values[0], directions[0])) best = t;
    }
    return {best};
  }
  std::vector<const TrialRecord*> front;
  for (const auto* t : complete) {
    bool dominated = false;
    for (const auto* u : complete) {
      if (u != t && Dominates(u->values, t->values, directions)) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push_back(t);
  }
  return front;
}

}  // namespace gdsweep
