// The numeric parameters of a search space as a box in R^n, as Optuna's
// _SearchSpaceTransform gives them to CMA-ES and NSGA-II's crossovers: float
// and int parameters with more than one value, in space order; log ones in
// log space; int and stepped float bounds widened by half a step each way
// (unless asked not to), so that rounding back gives the end values their
// share. Plain value; thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sweeper/model/search_space.h"

namespace gdsweep {

class NumericSpace {
 public:
  NumericSpace(const SearchSpace& space, bool widen_steps);

  size_t size() const { return index_.size(); }
  // The space's index of dimension i's parameter.
  size_t param(size_t i) const { return index_[i]; }
  const std::vector<double>& lower() const { return lower_; }
  const std::vector<double>& upper() const { return upper_; }
  const std::vector<std::string>& names() const { return names_; }

  // The internal value of dimension i's parameter, moved into the box's
  // coordinates (its log for a log parameter).
  double Encode(size_t i, double internal) const;
  // A box coordinate back to a Contains()-valid internal value (exp, then
  // rounded onto the grid and into the bounds).
  double Decode(size_t i, double x) const;

 private:
  std::vector<Distribution> dists_;  // of each dimension
  std::vector<size_t> index_;
  std::vector<bool> log_;
  std::vector<double> lower_, upper_;
  std::vector<std::string> names_;
};

// True for float and int distributions with more than one value.
bool IsNumeric(const Distribution& d);

}  // namespace gdsweep
