// The squeeze of the worse half (output_warping.h): what it keeps (order,
// standardisation, the better half's shape), what it compresses, and that
// its log slope is the derivative of the map.
#include "samplers/gp/output_warping.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "samplers/seeding.h"

namespace gdsweep::gp {

TEST_CASE("the squeeze keeps the order and the better half's shape, compresses the worse tail") {
  // A heavy lower tail: most values near 0, a few far below.
  Rng rng(3);
  std::vector<double> y;
  for (int i = 0; i < 1001; ++i) {
    const double z = StandardNormal(rng);
    y.push_back(z < -1 ? -std::exp(-3 * z) : z);
  }
  const auto out = SqueezeWorseHalf(y);
  REQUIRE(out.y.size() == y.size());
  REQUIRE(out.log_slope.size() == y.size());
  // Standardised.
  const double n = static_cast<double>(y.size());
  const double mean = std::accumulate(out.y.begin(), out.y.end(), 0.0) / n;
  double var = 0;
  for (double v : out.y) var += (v - mean) * (v - mean);
  CHECK(mean == doctest::Approx(0).scale(1));
  CHECK(var / n == doctest::Approx(1));
  // The same order.
  for (size_t a = 0; a < y.size(); a += 7) {
    for (size_t b = 0; b < y.size(); b += 11) {
      if (y[a] < y[b]) CHECK(out.y[a] < out.y[b]);
    }
  }
  // The worst value is far fewer standard deviations out than before.
  const double worst_before = *std::min_element(y.begin(), y.end());
  double raw_mean = std::accumulate(y.begin(), y.end(), 0.0) / n, raw_var = 0;
  for (double v : y) raw_var += (v - raw_mean) * (v - raw_mean);
  const double z_before = (worst_before - raw_mean) / std::sqrt(raw_var / n);
  const double z_after = *std::min_element(out.y.begin(), out.y.end());
  CAPTURE(z_before);
  CAPTURE(z_after);
  CHECK(z_after > z_before / 4);
  // The better half is moved and scaled, not bent: one common slope.
  std::vector<double> sorted = y;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  double common = NAN;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] < median) continue;
    if (std::isnan(common)) common = out.log_slope[i];
    CHECK(out.log_slope[i] == common);
  }
}

TEST_CASE("the squeeze's log slope is the derivative of each warped value") {
  Rng rng(4);
  std::vector<double> y;
  for (int i = 0; i < 2001; ++i) y.push_back(StandardNormal(rng) * (i % 3 == 0 ? 5 : 1));
  const auto out = SqueezeWorseHalf(y);
  // Moving one value moves its warped value by exp(log_slope) times as
  // much (to O(1/n): the others' mean and spread barely change).
  for (size_t i : {size_t{0}, size_t{3}, size_t{10}, size_t{500}, size_t{1999}}) {
    CAPTURE(i);
    const double h = 1e-4;
    auto moved = y;
    moved[i] += h;
    const double numeric = (SqueezeWorseHalf(moved).y[i] - out.y[i]) / h;
    CHECK(numeric == doctest::Approx(std::exp(out.log_slope[i])).epsilon(0.01));
  }
}

TEST_CASE("the squeeze of equal values leaves them at zero") {
  const auto out = SqueezeWorseHalf({2.0, 2.0, 2.0});
  for (double v : out.y) CHECK(v == 0);
  for (double s : out.log_slope) CHECK(std::isfinite(s));
}

}  // namespace gdsweep::gp
