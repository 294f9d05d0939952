// A study's search space: named parameters, in the order the study file lists
// them (that order fixes the sampling order, so seeded runs are reproducible).
// Names may contain dots ("train.lr"). Plain value; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sweeper/model/distribution.h"

namespace gdsweep {

struct Parameter {
  std::string name;
  Distribution distribution;
  friend bool operator==(const Parameter&, const Parameter&) = default;
};

using SearchSpace = std::vector<Parameter>;

// Parameter values of one trial in Optuna's internal representation, by name.
using Params = std::map<std::string, double>;

// Returns the parameter named `name`, or nullptr.
const Parameter* FindParameter(const SearchSpace& space, const std::string& name);

}  // namespace gdsweep
