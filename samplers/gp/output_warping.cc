#include "samplers/gp/output_warping.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gdsweep::gp {

SqueezedValues SqueezeWorseHalf(const std::vector<double>& y) {
  std::vector<double> sorted = y;
  const auto middle = sorted.begin() + static_cast<long>(sorted.size() / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  const double median = *middle;
  SqueezedValues out;
  for (double v : y) {
    const bool worse = v < median;
    out.y.push_back(worse ? median - std::log1p(median - v) : v);
    out.log_slope.push_back(worse ? -std::log1p(median - v) : 0.0);
  }
  const double n = static_cast<double>(out.y.size());
  const double mean = std::accumulate(out.y.begin(), out.y.end(), 0.0) / n;
  double var = 0;
  for (double v : out.y) var += (v - mean) * (v - mean);
  const double sd = var > 1e-20 * n ? std::sqrt(var / n) : 1.0;
  for (double& v : out.y) v = (v - mean) / sd;
  for (double& s : out.log_slope) s -= std::log(sd);
  return out;
}

}  // namespace gdsweep::gp
