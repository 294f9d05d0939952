#include "pruners/patient_pruner.h"

#include <cmath>
#include <iterator>
#include <limits>

namespace gdsweep {
namespace {

// NumPy's nanmin / nanmax: NaN when every value is NaN.
template <typename It>
double NanBest(It first, It last, Direction direction) {
  double best = std::numeric_limits<double>::quiet_NaN();
  for (; first != last; ++first) {
    const double v = first->second;
    if (std::isnan(v)) continue;
    if (std::isnan(best) || (direction == Direction::kMinimize ? v < best : v > best)) best = v;
  }
  return best;
}

}  // namespace

bool OutOfPatience(const std::map<int64_t, double>& intermediate, int64_t patience,
                   double min_delta, Direction direction) {
  const int64_t n = static_cast<int64_t>(intermediate.size());
  if (n <= patience + 1) return false;
  const auto split = std::next(intermediate.begin(), n - patience - 1);
  const double before = NanBest(intermediate.begin(), split, direction);
  const double after = NanBest(split, intermediate.end(), direction);
  // A NaN on either side compares false: not out of patience.
  if (direction == Direction::kMinimize) return before + min_delta < after;
  return before - min_delta > after;
}

PruneDecision PatientPruner::Prune(const PruneRequest& req) {
  if (!OutOfPatience(req.trial.intermediate, patience_, min_delta_, req.direction)) return {};
  if (wrapped_) return wrapped_->Prune(req);
  return {.prune = true};
}

}  // namespace gdsweep
