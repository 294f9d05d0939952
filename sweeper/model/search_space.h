// A study's search space: named parameters, in the order the study file lists
// them (a parameter after every parameter its `when` names; that order fixes
// the sampling order, so seeded runs are reproducible). A conditional
// parameter is active only when its conditions hold; an inactive one is absent
// from the trial's Params. Names may contain dots ("train.lr"). Plain value;
// thread-compatible.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sweeper/model/distribution.h"

namespace gdsweep {

// One condition of a parameter's `when`: parameter `parent` is active and has
// one of `values` (internal representation: a categorical's choice index).
struct Condition {
  std::string parent;
  std::vector<double> values;
  friend bool operator==(const Condition&, const Condition&) = default;
};

struct Parameter {
  std::string name;
  Distribution distribution;
  // Every condition must hold for the parameter to be active; empty: always.
  std::vector<Condition> when = {};
  // `type: fixed` (or a plain scalar): a single-valued distribution holding
  // the value; it reaches the trial and storage as any other parameter.
  bool fixed = false;
  friend bool operator==(const Parameter&, const Parameter&) = default;
};

using SearchSpace = std::vector<Parameter>;

// Parameter values of one trial in Optuna's internal representation, by name.
using Params = std::map<std::string, double>;

// True when every condition of `p` holds for the values chosen so far.
bool IsActive(const Parameter& p, const Params& chosen);

// True when some parameter of the space has a `when`.
bool IsConditional(const SearchSpace& space);

// True when `params` has exactly the parameters of `space` that are active
// given `params` itself (none missing, none extra).
bool HasExactlyActive(const SearchSpace& space, const Params& params);

// The parameters of `params` that are active, walking the space in order
// (activity judged on the values kept so far); the rest go to `dropped` when
// given. A queued point's value of a parameter its own values make inactive
// is left out so, as Optuna's define-by-run never suggests it.
Params KeepActive(const SearchSpace& space, const Params& params,
                  std::vector<std::string>* dropped = nullptr);

// True when some parameter that `params` makes active has no value in it.
bool LacksActive(const SearchSpace& space, const Params& params);

// Returns the parameter named `name`, or nullptr.
const Parameter* FindParameter(const SearchSpace& space, const std::string& name);

}  // namespace gdsweep
