// What the CMA-ES sampler keeps in the study between generations (a trial
// system attribute, samplers/cmaes_sampler.h) and its JSON text: the
// optimiser, the margin's stretch, the restart bookkeeping and the
// parameters the dimensions belong to. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "samplers/cmaes/cma.h"
#include "samplers/cmaes/margin.h"
#include "samplers/cmaes/restart.h"
#include "sweeper/model/result.h"

namespace gdsweep::cmaes {

struct OptimizerState {
  std::vector<std::string> names;  // the parameter of each dimension
  CmaState cma;
  std::optional<MarginState> margin;
  RestartState restart;
};

// JSON text; doubles written so they read back exactly.
std::string ToJson(const OptimizerState& s);
// kInvalid when the text is not a state this version writes (shapes checked).
Result<OptimizerState> StateFromJson(const std::string& text);

}  // namespace gdsweep::cmaes
