// A point of the search space given by hand (an enqueued trial, Optuna's
// enqueue_trial "fixed_params"): parameter name -> the value as a user writes
// it (a number, a string, a boolean, null), possibly for only some of the
// space's parameters: the sampler fills the rest, as Optuna does. Plain
// values and pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "sweeper/model/distribution.h"
#include "sweeper/model/result.h"
#include "sweeper/model/search_space.h"

namespace gdsweep {

using Point = std::map<std::string, Choice>;

// The internal value of `value` for `d`, or Error::Invalid saying why it does
// not fit (no parameter name): a float wants a number in [low, high] (on its
// step), an int a whole number in range (on its step), a categorical one of
// its choices (a number matches an equal number: 1 matches 1.0).
Result<double> ToInternal(const Distribution& d, const Choice& value);

// The point in the internal representation. Error::Invalid "KEY: ..." for the
// first key not in `space` (listing the parameters there are) or value that
// does not fit.
Result<Params> PointToParams(const SearchSpace& space, const Point& point);

// The point as a JSON object with its keys sorted: its one canonical text
// ({"lr": 0.01, "opt": "adam"}), as Optuna's "fixed_params" holds it.
std::string PointToJson(const Point& point);

// A JSON object of scalar values; Error::Invalid naming the first key whose
// value is a list or an object, or when the text is not such an object.
Result<Point> PointFromJson(const std::string& text);

// The text of a cell (CSV) as the value a parameter of `d` takes: a
// categorical's choice written so (ChoiceToString), else a number for a
// numeric one, else the text itself (which ToInternal then refuses).
Choice CellToValue(const Distribution& d, const std::string& cell);

// Whether two internal values of `d` are the same point, as Optuna's
// enqueue_trial(skip_if_exists=True) compares them: numbers to a relative
// 1e-5 (numpy.isclose with atol 0), choices exactly.
bool SameValue(const Distribution& d, double a, double b);

}  // namespace gdsweep
