#include "samplers/tpe/parzen_estimator.h"

#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

namespace gdsweep::tpe {
namespace {

constexpr double kParzenInf = std::numeric_limits<double>::infinity();

// One estimator over `dists`, observations given as parameter values (rows),
// all of weight 1 unless `weights` says otherwise.
struct Fixture {
  std::vector<ParamDomain> domains;
  std::vector<std::vector<double>> columns;
  ParzenEstimator est;

  Fixture(std::vector<Distribution> dists, std::vector<std::vector<double>> rows,
          EstimatorOptions options = {}, std::vector<double> weights = {}) {
    for (const auto& d : dists) domains.push_back(MakeDomain(d));
    columns.resize(dists.size());
    for (const auto& row : rows) {
      for (size_t d = 0; d < dists.size(); ++d) {
        columns[d].push_back(ToModel(domains[d], row[d]));
      }
    }
    if (weights.empty()) weights.assign(rows.size(), 1.0);
    std::vector<const ParamDomain*> dims;
    std::vector<const double*> cols;
    for (size_t d = 0; d < dists.size(); ++d) {
      dims.push_back(&domains[d]);
      cols.push_back(columns[d].data());
    }
    est.Build(dims, cols, weights.data(), rows.size(), options);
  }

  double LogPdf(std::vector<double> point) {
    double out;
    est.LogPdf(point.data(), 1, &out);
    return out;
  }
};

const FloatDistribution kUnit{0, 1, false, std::nullopt};

}  // namespace

TEST_CASE("univariate bandwidths: neighbour gaps with the prior, endpoints, magic clip") {
  // Centres 0.2, 0.5 (prior), 0.7 in [0, 1]: the gaps give 0.3, 0.3, 0.3; the
  // outermost use their inner gap (0.3, 0.2); the clip raises 0.2 to
  // 1 / min(100, 1 + 3) = 0.25; the prior's is the range.
  EstimatorOptions textbook;
  textbook.weight_by_bandwidth = false;
  Fixture f({kUnit}, {{0.7}, {0.2}}, textbook);
  REQUIRE(f.est.kernel_count() == 3);
  CHECK(f.est.sigmas(0)[0] == doctest::Approx(0.25));  // 0.7
  CHECK(f.est.sigmas(0)[1] == doctest::Approx(0.3));   // 0.2
  CHECK(f.est.sigmas(0)[2] == doctest::Approx(1.0));   // prior
  CHECK(f.est.mus(0)[2] == doctest::Approx(0.5));
  for (double w : f.est.weights()) CHECK(w == doctest::Approx(1.0 / 3));

  EstimatorOptions endpoints;
  endpoints.consider_endpoints = true;
  endpoints.consider_magic_clip = false;
  Fixture g({kUnit}, {{0.7}, {0.2}}, endpoints);
  CHECK(g.est.sigmas(0)[0] == doctest::Approx(0.3));  // max(0.2, 1 - 0.7)
  CHECK(g.est.sigmas(0)[1] == doctest::Approx(0.3));  // max(0.2, 0.3)
}

TEST_CASE("univariate density matches SciPy's truncnorm mixture and integrates to 1") {
  EstimatorOptions textbook;
  textbook.weight_by_bandwidth = false;
  Fixture f({kUnit}, {{0.2}, {0.7}}, textbook);
  // scipy.stats.truncnorm: log of the mean of the three kernel densities.
  CHECK(f.LogPdf({0.4}) == doctest::Approx(0.10997809833915069).epsilon(1e-12));
  CHECK(f.LogPdf({0.95}) == doctest::Approx(-0.34862154862934064).epsilon(1e-12));
  CHECK(f.LogPdf({0.0}) == doctest::Approx(-0.2285190381216305).epsilon(1e-12));
  CHECK(f.LogPdf({1.5}) == -kParzenInf);

  // Many kernels, uneven weights, log scale: integrate in model space.
  std::vector<std::vector<double>> rows;
  std::vector<double> weights;
  for (int i = 0; i < 40; ++i) {
    rows.push_back({std::pow(10.0, -4 + 3 * std::fmod(i * 0.618034, 1.0))});
    weights.push_back(0.1 + i);
  }
  Fixture g({FloatDistribution{1e-4, 0.1, true, std::nullopt}}, rows, {}, weights);
  const int n = 20000;
  const double lo = std::log(1e-4), hi = std::log(0.1);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(g.LogPdf({std::exp(lo + (hi - lo) * (i + 0.5) / n)}));
  CHECK(sum * (hi - lo) / n == doctest::Approx(1.0).epsilon(1e-5));
}

TEST_CASE("bandwidth weighting: weights proportional to weight x sigma, still a density") {
  // As above: bandwidths 0.3 (at 0.2), 0.25 (at 0.7) and 1 (prior).
  Fixture f({kUnit}, {{0.2}, {0.7}});
  const double total = 0.3 + 0.25 + 1.0;
  CHECK(f.est.weights()[0] == doctest::Approx(0.3 / total));
  CHECK(f.est.weights()[1] == doctest::Approx(0.25 / total));
  CHECK(f.est.weights()[2] == doctest::Approx(1.0 / total));
  // scipy.stats.truncnorm, weighted 0.3 : 0.25 : 1 over [0, 1].
  CHECK(f.LogPdf({0.4}) == doctest::Approx(0.08425625874450733).epsilon(1e-12));
  const int n = 20000;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(f.LogPdf({(i + 0.5) / n}));
  CHECK(sum / n == doctest::Approx(1.0).epsilon(1e-6));
  // Discrete and categorical kernels are masses: unchanged.
  Fixture g({IntDistribution{0, 4, false, 1}}, {{3}, {1}});
  for (double w : g.est.weights()) CHECK(w == doctest::Approx(1.0 / 3));
}

TEST_CASE("discrete kernels: the step cell's mass, summing to 1 over the grid") {
  // int 0..4: adapted [-0.5, 4.5]; centres 1, 2 (prior), 3 with bandwidths
  // clipped to 5 / 4 = 1.25 and the prior's 5. SciPy: mean of cell masses.
  Fixture f({IntDistribution{0, 4, false, 1}}, {{3}, {1}});
  CHECK(f.LogPdf({0}) == doctest::Approx(-1.8429113391111636).epsilon(1e-12));
  CHECK(f.LogPdf({2}) == doctest::Approx(-1.415756975092412).epsilon(1e-12));
  CHECK(f.LogPdf({3}) == doctest::Approx(-1.5128858873391209).epsilon(1e-12));

  struct Case {
    Distribution dist;
    std::vector<std::vector<double>> rows;
  };
  const Case kCases[] = {
      {IntDistribution{1, 9, false, 2}, {{3}, {3}, {3}, {9}, {1}}},
      {IntDistribution{1, 1000, true, 1}, {{1}, {2}, {2}, {50}, {999}, {1000}}},
      {FloatDistribution{0.2, 0.35, false, 0.025}, {{0.25}, {0.25}, {0.35}}},
  };
  for (const auto& c : kCases) {
    Fixture g({c.dist}, c.rows);
    double sum = 0;
    for (int64_t i = 0; i < *GridSize(c.dist); ++i)
      sum += std::exp(g.LogPdf({GridValue(c.dist, i)}));
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("categorical kernels: Optuna's smoothed one-hot weights") {
  CategoricalDistribution three{{Choice{"a"}, Choice{"b"}, Choice{"c"}}};
  // Observations a, a, c; four kernels, so each row is (1/4 + [hit]) / 1.75
  // and the prior row 1/3.
  Fixture f({three}, {{0}, {0}, {2}});
  auto p = [](double hits, double misses) {
    return (hits * 1.25 / 1.75 + misses * 0.25 / 1.75 + 1.0 / 3) / 4;
  };
  CHECK(f.LogPdf({0}) == doctest::Approx(std::log(p(2, 1))).epsilon(1e-12));
  CHECK(f.LogPdf({1}) == doctest::Approx(std::log(p(0, 3))).epsilon(1e-12));
  CHECK(f.LogPdf({2}) == doctest::Approx(std::log(p(1, 2))).epsilon(1e-12));
  CHECK(std::exp(f.LogPdf({0})) + std::exp(f.LogPdf({1})) + std::exp(f.LogPdf({2})) ==
        doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("multivariate: Scott's-rule bandwidths, a joint density that integrates to 1") {
  EstimatorOptions mv;
  mv.multivariate = true;
  FloatDistribution wide{-2, 2, false, std::nullopt};
  std::vector<std::vector<double>> rows = {{0.1, -1}, {0.3, 0.5}, {0.35, 1.9}, {0.9, 0}, {0.5, 0}};
  Fixture f({kUnit, wide}, rows, mv);
  // 0.2 * 5^(-1/6) * range, above the clip range / min(100, 1 + 6).
  const double scott = 0.2 * std::pow(5.0, -1.0 / 6);
  CHECK(f.est.sigmas(0)[0] == doctest::Approx(scott));
  CHECK(f.est.sigmas(1)[3] == doctest::Approx(4 * scott));
  CHECK(f.est.sigmas(1)[5] == doctest::Approx(4.0));  // prior
  const int n = 400;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      sum += std::exp(f.LogPdf({(i + 0.5) / n, -2 + 4 * (j + 0.5) / n}));
    }
  }
  CHECK(sum * 4.0 / (n * n) == doctest::Approx(1.0).epsilon(1e-4));

  // A product of one kernel per dimension: with a single observation the
  // joint density is the mixture of (obs kernel) and (prior kernel) products.
  CategoricalDistribution two{{Choice{true}, Choice{false}}};
  IntDistribution ints{0, 3, false, 1};
  Fixture g({two, ints}, {{1, 2}, {0, 0}, {1, 3}}, mv);
  double total = 0;
  for (int c = 0; c < 2; ++c) {
    for (int v = 0; v <= 3; ++v) total += std::exp(g.LogPdf({double(c), double(v)}));
  }
  CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("multivariate bandwidth weighting: Optuna 3.1's ranking, a density, plain draws") {
  // Optuna 3.1 scores multivariate kernels without their 1/sigma factors
  // (optuna#5109): kernel k counts as weight_k x the product of its
  // continuous bandwidths, which lifts the wide prior kernel. The scored
  // density is that mixture, normalised by S = sum_k weight_k x product.
  EstimatorOptions mv;
  mv.multivariate = true;
  const FloatDistribution wide{-2, 2, false, std::nullopt};
  const IntDistribution ints{0, 3, false, 1};
  const std::vector<std::vector<double>> rows = {
      {0.1, -1, 2}, {0.3, 0.5, 0}, {0.35, 1.9, 3}, {0.9, 0, 1}, {0.5, 0, 1}};
  Fixture f({kUnit, wide, ints}, rows, mv);
  // Optuna 3.1's _ParzenEstimator(..., multivariate=True).log_pdf at these points.
  const std::vector<std::vector<double>> points = {
      {0.4, 0.4, 1}, {0.95, -1.8, 0}, {0.1, -1, 2}, {0.6, 1.0, 3}};
  const double optuna[] = {-2.7709080712035776, -3.326487638806101, -2.7525814732099754,
                           -3.078542504540091};
  // Scott's rule: 0.2 * 5^(-1/7) of the range; the prior's is the range. The
  // integer dimension's kernels are masses: not weighed.
  const double scott = 0.2 * std::pow(5.0, -1.0 / 7);
  const double log_s = std::log((5 * scott * (4 * scott) + 1 * 4.0) / 6);
  for (size_t i = 0; i < points.size(); ++i) {
    CAPTURE(i);
    CHECK(f.LogPdf(points[i]) == doctest::Approx(optuna[i] - log_s).epsilon(1e-12));
  }
  // Draws still pick kernels by their own weights: the prior keeps 1/31 of
  // them, not the ~97% its scored weight would give.
  const std::vector<std::vector<double>> same(30, std::vector<double>{0.9, 0.9, 0.9});
  Fixture g({kUnit, kUnit, kUnit}, same, mv);
  Rng rng(11);
  std::vector<double> draws(3 * 2000);
  g.est.Sample(rng, 2000, draws.data());
  int near = 0;
  for (size_t c = 0; c < 2000; ++c) {
    bool all = true;
    for (size_t d = 0; d < 3; ++d) all = all && std::abs(draws[3 * c + d] - 0.9) <= 0.25;
    near += all ? 1 : 0;
  }
  CHECK(near > 1200);  // ~85% from the observations' kernels; prior-weighted draws: ~8%
}

TEST_CASE("samples stay inside bounds, on steps and grids, and follow the kernels") {
  Rng rng(5);
  struct Case {
    Distribution dist;
    double obs;
  };
  const Case kCases[] = {
      {FloatDistribution{-3, 7, false, std::nullopt}, 6.9},
      {FloatDistribution{1e-6, 1e-1, true, std::nullopt}, 1e-6},
      {FloatDistribution{0.2, 0.35, false, 0.025}, 0.35},
      {IntDistribution{-3, 6, false, 1}, -3},
      {IntDistribution{1, 9, false, 4}, 5},
      {IntDistribution{1, 100, true, 1}, 100},
      {CategoricalDistribution{{Choice{}, Choice{int64_t{3}}, Choice{"x"}}}, 1},
  };
  for (const auto& c : kCases) {
    CAPTURE(ToOptunaJson(c.dist));
    // 30 observations at one value near an edge: most draws land near it.
    std::vector<std::vector<double>> rows(30, std::vector<double>{c.obs});
    Fixture f({c.dist}, rows);
    std::vector<double> draws(2000);
    f.est.Sample(rng, draws.size(), draws.data());
    int near = 0;
    for (double v : draws) {
      REQUIRE(Contains(c.dist, v));
      double span = f.domains[0].high - f.domains[0].low;
      if (std::abs(ToModel(f.domains[0], v) - ToModel(f.domains[0], c.obs)) <= 0.1 * span) ++near;
    }
    // 30 of 31 kernels sit at the observation (continuous ones: about half
    // the weight, the wide prior weighing as its bandwidth); the prior alone
    // would put 10-20% of the draws there.
    CHECK(near > 800);
  }
}

}  // namespace gdsweep::tpe
