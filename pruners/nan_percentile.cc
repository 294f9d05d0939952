#include "pruners/nan_percentile.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gdsweep {

double NanPercentile(std::vector<double> values, double percentile) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  // NumPy: virtual index (n - 1) * q; its neighbours, both the last value
  // when it is at or past the end, where the index stands for -1 in gamma.
  const double index = static_cast<double>(n - 1) * (percentile / 100.0);
  size_t below = n - 1;
  size_t above = n - 1;
  double gamma = index + 1.0;
  if (index < static_cast<double>(n - 1)) {
    const double floor = std::floor(index);
    below = static_cast<size_t>(floor);
    above = below + 1;
    gamma = index - floor;
  }
  // NumPy's _lerp: from the nearer end, so that gamma 1 gives `b` exactly.
  const double a = values[below];
  const double b = values[above];
  const double diff = b - a;
  if (gamma >= 0.5) return b - diff * (1.0 - gamma);
  return a + diff * gamma;
}

}  // namespace gdsweep
