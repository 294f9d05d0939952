// NaN-ignoring percentile with linear interpolation, computed exactly as
// NumPy 1.24's nanpercentile(values, p) (method "linear"), rounding and
// infinities included, since the median and percentile pruners compare with
// it. Pure function; thread-safe.
#pragma once

#include <vector>

namespace gdsweep {

// The `percentile`-th percentile (0..100) of the values that are not NaN;
// NaN when none is. Interpolating next to an infinity gives NaN, as NumPy.
double NanPercentile(std::vector<double> values, double percentile);

}  // namespace gdsweep
