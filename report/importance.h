// Parameter importances: how much of an objective's variance each parameter
// explains on its own, over the COMPLETE trials with a finite value. Each
// parameter's values are grouped (a categorical by choice, an integer with few
// values by value, otherwise into sqrt(n) (2 to 10) quantile bins, in log
// space for a log-scaled one) and scored by the adjusted share of variance between the groups
// (epsilon squared); the scores are normalised to sum to 1. A simpler
// estimator than Optuna's default fANOVA (a random forest) that ranks a
// dominant parameter first as fANOVA does. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sweeper/model/search_space.h"
#include "sweeper/model/trial.h"

namespace gdsweep::report {

struct ParamImportance {
  std::string name;
  double importance = 0;  // in [0, 1]; the parameters' sum to 1
};

// The importances for objective `objective` of `trials` (any state; only
// COMPLETE trials with a finite value count), most important first (ties by
// name). Parameters absent from every counted trial are left out; empty when
// fewer than 3 trials count.
std::vector<ParamImportance> ParamImportances(const std::vector<const TrialRecord*>& trials,
                                              const SearchSpace& params, size_t objective);

// The adjusted share of the variance of `y` explained by grouping it by
// `group` (same length; groups numbered 0..k-1): max(0, 1 - (SSW / (n - k)) /
// (SST / (n - 1))). 0 when n <= k or y is constant.
double EpsilonSquared(const std::vector<double>& y, const std::vector<int>& group);

}  // namespace gdsweep::report
