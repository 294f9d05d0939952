#include "samplers/cmaes/restart.h"

#include <cmath>

namespace gdsweep::cmaes {

NextRun PlanRestart(RestartStrategy strategy, int base_popsize, int inc_popsize, int popsize,
                    int generations, RestartState& rs, Rng& rng) {
  NextRun next;
  if (rs.last_large_popsize == 0) rs.last_large_popsize = base_popsize;
  rs.run += 1;
  if (strategy != RestartStrategy::kBipop) {
    next.popsize = popsize * inc_popsize;
    return next;
  }
  const int64_t spent = static_cast<int64_t>(popsize) * generations;
  (rs.small ? rs.small_evals : rs.large_evals) += spent;
  if (rs.small_evals < rs.large_evals) {
    // lambda_s = floor(lambda_def (lambda_L / lambda_def)^(U^2)), sigma_s =
    // sigma0 10^(-2 U'), U and U' uniform in [0, 1).
    const double u = UniformDouble(rng);
    const double ratio = static_cast<double>(rs.last_large_popsize) / base_popsize;
    next.popsize = static_cast<int>(std::floor(base_popsize * std::pow(ratio, u * u)));
    next.sigma_factor = std::pow(10.0, -2 * UniformDouble(rng));
    rs.small = true;
  } else {
    rs.large_runs += 1;
    next.popsize = base_popsize * static_cast<int>(std::pow(inc_popsize, rs.large_runs));
    rs.last_large_popsize = next.popsize;
    rs.small = false;
  }
  if (next.popsize < 2) next.popsize = 2;
  return next;
}

}  // namespace gdsweep::cmaes
