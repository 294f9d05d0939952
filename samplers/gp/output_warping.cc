#include "samplers/gp/output_warping.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gdsweep::gp {

double Standardize(std::vector<double>& y) {
  const double n = static_cast<double>(y.size());
  const double mean = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double var = 0;
  for (double v : y) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / n);
  const double divisor = sd > 1e-10 ? sd : 1.0;
  for (double& v : y) v = (v - mean) / divisor;
  return divisor;
}

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
  const double sd = Standardize(out.y);
  for (double& s : out.log_slope) s -= std::log(sd);
  return out;
}

}  // namespace gdsweep::gp
