// When CMA-ES stops (cma.h ShouldStop), the restart strategies start a new
// run from a random point: IPOP (Auger & Hansen, CEC 2005) multiplies the
// population by inc_popsize each time; BIPOP (Hansen, "Benchmarking a
// BI-Population CMA-ES on the BBOB-2009 Function Testbed", GECCO 2009)
// alternates that large regime with small runs (a population between the
// default and the last large one, a smaller step size), choosing the regime
// that has spent fewer evaluations so far. Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "samplers/seeding.h"

namespace gdsweep::cmaes {

enum class RestartStrategy { kNone, kIpop, kBipop };

// The bookkeeping of the runs so far; run 0 is a large-regime run.
struct RestartState {
  int run = 0;              // the current run (0: the first)
  int large_runs = 0;       // large-regime restarts so far
  int64_t small_evals = 0;  // evaluations spent in small runs
  int64_t large_evals = 0;  // and in large ones (run 0 included)
  bool small = false;       // the current run is a small one
  int last_large_popsize = 0;
};

struct NextRun {
  int popsize = 0;
  double sigma_factor = 1;  // the new run's sigma0 = sigma0 x this
};

// The next run after the current one stopped after `generations`
// generations of `popsize`; advances `rs` to it. `base_popsize` is the first
// run's population; `rng` is drawn from only by BIPOP's small runs.
NextRun PlanRestart(RestartStrategy strategy, int base_popsize, int inc_popsize, int popsize,
                    int generations, RestartState& rs, Rng& rng);

}  // namespace gdsweep::cmaes
