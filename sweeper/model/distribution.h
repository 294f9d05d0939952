// The distributions a parameter can be drawn from, mirroring Optuna's
// FloatDistribution, IntDistribution and CategoricalDistribution so that a
// stored study reads the same in gdsweep and in Optuna. A parameter value is
// kept in Optuna's internal representation: a double (the number itself, or
// the index of a categorical choice). Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep {

// One categorical choice: null, a boolean, an integer, a float or a string.
using Choice = std::variant<std::monostate, bool, int64_t, double, std::string>;

// The choice as a user writes it on a command line (true, 3, 0.5, adam, null).
std::string ChoiceToString(const Choice& c);
bool operator==(const Choice& a, const Choice& b);

struct FloatDistribution {
  double low = 0;
  double high = 0;
  bool log = false;
  std::optional<double> step;  // a grid low, low+step, ...; never with log
  friend bool operator==(const FloatDistribution&, const FloatDistribution&) = default;
};

struct IntDistribution {
  int64_t low = 0;
  int64_t high = 0;
  bool log = false;
  int64_t step = 1;  // must be 1 when log
  friend bool operator==(const IntDistribution&, const IntDistribution&) = default;
};

struct CategoricalDistribution {
  std::vector<Choice> choices;
  friend bool operator==(const CategoricalDistribution& a, const CategoricalDistribution& b);
};

using Distribution = std::variant<FloatDistribution, IntDistribution, CategoricalDistribution>;

// Checks the rules Optuna applies (low <= high, log needs low > 0, step > 0,
// no step with log, choices non-empty and unique). The message names the
// offending field but not the parameter; callers add where it came from.
Status Validate(const Distribution& d);

// True if `internal` is a value the distribution can produce (on its grid,
// inside its bounds, a valid choice index).
bool Contains(const Distribution& d, double internal);

// True when the distribution has exactly one possible value.
bool IsSingle(const Distribution& d);

// For int and stepped float: the number of grid points; for categorical: the
// number of choices; 1 for a float with low == high; nullopt for other
// continuous floats.
std::optional<int64_t> GridSize(const Distribution& d);

// The internal value of grid point `i` (0 <= i < GridSize).
double GridValue(const Distribution& d, int64_t i);

// The external value rendered for a trial's argv/env/JSON ("0.001", "3", "adam").
std::string FormatValue(const Distribution& d, double internal);

// Rounds to the nearest representable value (onto the step grid, into bounds,
// to an integer). Used by samplers after drawing from a continuous density.
double Snap(const Distribution& d, double internal);

// Optuna's JSON for the distribution ({"name": "FloatDistribution",
// "attributes": {...}}), as stored in trial_params.distribution_json.
std::string ToOptunaJson(const Distribution& d);
Result<Distribution> FromOptunaJson(const std::string& json);

// Formats a double the shortest way that reads back to the same value.
std::string FormatDouble(double v);

}  // namespace gdsweep
