// Quasi-random sequences and the unit-space mapping: the plain Sobol and
// Halton points by their definitions, scrambled points keep their balance
// and move with the seed, and the mapping rounds as Optuna does.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "samplers/qmc/low_discrepancy.h"
#include "samplers/qmc/unit_space.h"

namespace gdsweep {

TEST_CASE("plain sequences: Sobol's first points (Boost skips the origin) and Halton's") {
  auto s = QmcPoints(QmcKind::kSobol, 2, std::nullopt, 0, 3);
  CHECK(s[0] == std::vector<double>{0.5, 0.5});
  CHECK(s[1] == std::vector<double>{0.75, 0.25});
  CHECK(s[2] == std::vector<double>{0.25, 0.75});
  auto h = QmcPoints(QmcKind::kHalton, 2, std::nullopt, 1, 3);
  CHECK(h[0][0] == doctest::Approx(0.5));
  CHECK(h[0][1] == doctest::Approx(1.0 / 3));
  CHECK(h[1][0] == doctest::Approx(0.25));
  CHECK(h[1][1] == doctest::Approx(2.0 / 3));
  CHECK(h[2][1] == doctest::Approx(1.0 / 9));
  CHECK(QmcPoint(QmcKind::kSobol, 2, std::nullopt, 2) == s[2]);
}

TEST_CASE("scrambled: one point per stratum, in [0,1), different per seed, same per seed") {
  for (QmcKind kind : {QmcKind::kSobol, QmcKind::kHalton}) {
    CAPTURE(static_cast<int>(kind));
    const int n = kind == QmcKind::kSobol ? 64 : 60;
    const uint64_t first = kind == QmcKind::kSobol ? 63 : 0;  // Boost's index 63 = Sobol point 64
    auto pts = QmcPoints(kind, 3, 17, first, n);
    // Sobol: 64 points from a multiple of 64 fill the 64 strata of each axis.
    // Halton base 2 (axis 0): 60 consecutive points, at most one per 1/64 slot.
    std::set<int> strata;
    for (const auto& p : pts) {
      for (double v : p) {
        CHECK(v >= 0);
        CHECK(v < 1);
      }
      strata.insert(static_cast<int>(p[0] * 64));
    }
    CHECK(strata.size() == static_cast<size_t>(n));
    CHECK(QmcPoints(kind, 3, 17, first, n) == pts);
    CHECK(QmcPoints(kind, 3, 18, first, n) != pts);
  }
}

TEST_CASE("unit space: log scale, half-step padding, rounding onto the grid") {
  const Distribution lr = FloatDistribution{1e-4, 1, true, std::nullopt};
  CHECK(ToUnit(lr, 1e-2) == doctest::Approx(0.5));
  CHECK(FromUnit(lr, 0.5) == doctest::Approx(1e-2));
  const Distribution n = IntDistribution{0, 3, false, 1};  // [-0.5, 3.5]: 4 equal shares
  CHECK(FromUnit(n, 0.24) == 0);
  CHECK(FromUnit(n, 0.26) == 1);
  CHECK(FromUnit(n, 1.0) == 3);
  CHECK(ToUnit(n, 3) == doctest::Approx(7.0 / 8));
  const Distribution stepped = FloatDistribution{0, 1, false, 0.25};
  CHECK(FromUnit(stepped, 0.55) == 0.5);
  const Distribution c = CategoricalDistribution{{Choice{"a"}, Choice{"b"}, Choice{"c"}}};
  CHECK(FromUnit(c, 0.999) == 2);
  CHECK(FromUnit(c, 0.34) == 1);
  CHECK(ToUnit(c, 1) == doctest::Approx(0.5));
  const Distribution single = IntDistribution{4, 4, false, 1};
  CHECK(FromUnit(single, 0.9) == 4);
}

}  // namespace gdsweep
