// The GP sampler's acquisition: log expected improvement of a fitted GP over
// the best value so far (targets in the maximising convention), and its
// maximiser: the best of many scrambled-Sobol points, of random perturbations
// of the given starts (the best trials) and the starts themselves seed local
// searches, each L-BFGS-B over the numeric
// coordinates (box [0,1]) alternating with a sweep over every choice of each
// categorical coordinate, as Optuna 4's optimize_acqf_mixed; the best point
// found then gets coordinate sweeps (each numeric coordinate over a grid, the
// others fixed), which move it across the basins that a local search cannot.
// Deterministic for a given seed. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "samplers/gp/gp_regression.h"

namespace gdsweep::gp {

struct AcquisitionSpace {
  std::vector<int> n_choices;  // per coordinate: 0 numeric, else a categorical's choices
};

struct AcquisitionOptions {
  int n_preliminary = 512;  // Sobol points scored before the local searches
  int n_local_search = 10;  // local searches, the given starts first
  // Per given start, this many points near it are scored with the Sobol
  // points: each numeric coordinate moved with probability perturb_prob by
  // N(0, perturb_sd^2) on the unit scale.
  int n_perturbations = 256;
  double perturb_prob = 0.3;
  double perturb_sd = 0.2;
  // Values of each numeric coordinate the final sweeps try, evenly spaced
  // over [0,1] (0: no sweeps).
  int n_coordinate_grid = 33;
  uint64_t seed = 0;  // scrambles the Sobol points
};

// log EI at x, with its gradient over numeric coordinates when grad != null.
double LogEi(const GpRegressor& gp, double best, const std::vector<double>& x,
             std::vector<double>* grad);

// The point (one coordinate per dimension) with the largest log EI found.
std::vector<double> MaximizeLogEi(const GpRegressor& gp, double best, const AcquisitionSpace& space,
                                  const std::vector<std::vector<double>>& starts,
                                  const AcquisitionOptions& options);

}  // namespace gdsweep::gp
