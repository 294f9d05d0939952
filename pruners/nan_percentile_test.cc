// NanPercentile against values worked out by hand and NumPy 1.24's own
// rounding (np.nanpercentile, Debian's python3-numpy).
#include "pruners/nan_percentile.h"

#include <doctest/doctest.h>

#include <cmath>

namespace gdsweep {

TEST_CASE("percentiles interpolate linearly between the sorted values") {
  CHECK(NanPercentile({4, 1, 3, 2}, 50) == 2.5);         // index 1.5 between 2 and 3
  CHECK(NanPercentile({50, 10, 40, 20, 30}, 25) == 20);  // index 1 exactly
  CHECK(NanPercentile({3, 1, 2}, 0) == 1);
  CHECK(NanPercentile({3, 1, 2}, 100) == 3);
  CHECK(NanPercentile({7}, 50) == 7);
}

TEST_CASE("NaN values are left out; none left gives NaN") {
  CHECK(NanPercentile({NAN, 1, NAN, 3}, 50) == 2);
  CHECK(std::isnan(NanPercentile({NAN, NAN}, 50)));
  CHECK(std::isnan(NanPercentile({}, 50)));
}

TEST_CASE("from gamma 0.5 on, NumPy interpolates from the upper value") {
  // np.nanpercentile([0.1, 0.2, 0.3, 0.4], 90) == 0.37000000000000005, where
  // 0.3 + (0.4 - 0.3) * 0.7 would give 0.37.
  CHECK(NanPercentile({0.1, 0.2, 0.3, 0.4}, 90) == 0.37000000000000005);
}

TEST_CASE("an infinity next to the interpolation point gives NaN, as in NumPy") {
  CHECK(std::isnan(NanPercentile({1, HUGE_VAL}, 50)));  // inf - 1 scaled, inf - inf
  CHECK(std::isnan(NanPercentile({1, HUGE_VAL}, 0)));   // 1 + inf * 0
  CHECK(std::isnan(NanPercentile({HUGE_VAL}, 50)));     // a lone infinity: inf - inf
  CHECK(NanPercentile({1, 2, HUGE_VAL}, 0) == 1);       // the infinity is not a neighbour
  CHECK(NanPercentile({-HUGE_VAL, 1, 2}, 100) == 2);
}

}  // namespace gdsweep
