// The [0,1] coordinate of a parameter, as Optuna's samplers normalise a
// search space (optuna/_transform.py, optuna/_gp/search_space.py): floats
// linearly, log distributions in log space, ints and stepped floats padded by
// half a step at each end so every grid point owns an equal share of [0,1]
// (a coordinate maps back by rounding onto the grid), categoricals by index.
// Pure functions; thread-safe.
#pragma once

#include "sweeper/model/distribution.h"

namespace gdsweep {

// The coordinate in [0, 1] of the internal value `v` (a Contains()-valid one).
// Categoricals: (index + 0.5) / n, the middle of the index's share.
double ToUnit(const Distribution& d, double v);

// The Contains()-valid internal value at coordinate `u` (clamped into [0,1]):
// rounded onto the grid for ints, stepped floats and categoricals.
double FromUnit(const Distribution& d, double u);

}  // namespace gdsweep
