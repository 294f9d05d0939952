#include "samplers/random_sampler.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>

namespace gdsweep {
namespace {

constexpr int kDraws = 10000;
const std::vector<Objective> kRandomObjectives = {{"loss", Direction::kMinimize}};
const std::vector<TrialRecord> kNoHistory;

// kDraws values of the one parameter "x", from trials 0 .. kDraws-1.
std::vector<double> Draws(const Distribution& d, uint64_t seed = 12345) {
  SearchSpace space = {{"x", d}};
  RandomSampler sampler(seed);
  std::vector<double> out;
  for (int64_t n = 0; n < kDraws; ++n) {
    auto params = sampler.Sample({space, kRandomObjectives, kNoHistory, n});
    REQUIRE(params.ok());
    REQUIRE(params->has_value());
    double v = (**params).at("x");
    REQUIRE(Contains(d, v));
    out.push_back(v);
  }
  return out;
}

// Pearson's chi-square of the counts against equal expected counts.
double ChiSquareUniform(const std::map<double, int>& counts, int categories) {
  double expected = static_cast<double>(kDraws) / categories;
  double chi2 = 0;
  for (const auto& [value, count] : counts) chi2 += std::pow(count - expected, 2) / expected;
  return chi2;
}

std::map<double, int> Counts(const std::vector<double>& values) {
  std::map<double, int> counts;
  for (double v : values) ++counts[v];
  return counts;
}

double FractionBelow(const std::vector<double>& values, double bound) {
  double below = 0;
  for (double v : values) below += v < bound ? 1 : 0;
  return below / static_cast<double>(values.size());
}

}  // namespace

// Tolerances: a fraction of 10k draws has a standard deviation of at most
// 0.005, so +-0.025 is 5 sigma; chi-square bounds are the 0.999 quantiles.
// With fixed seeds these tests are deterministic; the margins say the seeds
// were not picked to pass.

TEST_CASE("float: uniform over [low, high]") {
  auto v = Draws(FloatDistribution{-2, 6, false, std::nullopt});
  CHECK(std::abs(FractionBelow(v, 2.0) - 0.5) < 0.025);
  CHECK(std::abs(FractionBelow(v, 0.0) - 0.25) < 0.025);
}

TEST_CASE("log float: log-uniform, half the draws below the geometric mean") {
  auto v = Draws(FloatDistribution{1e-4, 1, true, std::nullopt});
  CHECK(std::abs(FractionBelow(v, 1e-2) - 0.5) < 0.025);
  CHECK(std::abs(FractionBelow(v, 1e-3) - 0.25) < 0.025);
}

TEST_CASE("stepped float: uniform over its grid points") {
  Distribution d = FloatDistribution{0.2, 0.35, false, 0.025};
  auto counts = Counts(Draws(d));
  CHECK(counts.size() == 7);
  CHECK(ChiSquareUniform(counts, 7) < 22.46);  // 6 degrees of freedom
}

TEST_CASE("int: every value, in roughly equal counts") {
  auto counts = Counts(Draws(IntDistribution{-3, 6, false, 1}));
  CHECK(counts.size() == 10);
  CHECK(counts.begin()->first == -3);
  CHECK(counts.rbegin()->first == 6);
  CHECK(ChiSquareUniform(counts, 10) < 27.88);  // 9 degrees of freedom
}

TEST_CASE("stepped int: only its grid, uniformly") {
  auto counts = Counts(Draws(IntDistribution{1, 9, false, 4}));
  std::vector<double> seen;
  for (const auto& [value, count] : counts) seen.push_back(value);
  CHECK(seen == std::vector<double>{1, 5, 9});
  CHECK(ChiSquareUniform(counts, 3) < 13.82);  // 2 degrees of freedom
}

TEST_CASE("log int: log-uniform over [low - 0.5, high + 0.5], rounded, as Optuna") {
  auto v = Draws(IntDistribution{1, 1000, true, 1});
  // P(x <= 31) = P(u < log 31.5), with u uniform over [log 0.5, log 1000.5].
  double expected = (std::log(31.5) - std::log(0.5)) / (std::log(1000.5) - std::log(0.5));
  CHECK(std::abs(FractionBelow(v, 31.5) - expected) < 0.025);
  auto counts = Counts(v);
  CHECK(counts.begin()->first == 1);  // the ends are reachable
  // 1 gets P(u < log 1.5) ~ 14%, 1000 only ~0.01%: the weight of log space.
  CHECK(std::abs(counts[1] / double(kDraws) - std::log(3.0) / std::log(2001.0)) < 0.025);
}

TEST_CASE("categorical: uniform over the choice indices") {
  Distribution d = CategoricalDistribution{
      {Choice{}, Choice{true}, Choice{int64_t{3}}, Choice{0.5}, Choice{"a"}}};
  auto counts = Counts(Draws(d));
  CHECK(counts.size() == 5);
  CHECK(counts.rbegin()->first == 4);
  CHECK(ChiSquareUniform(counts, 5) < 18.47);  // 4 degrees of freedom
}

TEST_CASE("a parameter's values do not move when other parameters change") {
  Distribution lr = FloatDistribution{1e-5, 1, true, std::nullopt};
  Distribution layers = IntDistribution{1, 8, false, 1};
  RandomSampler sampler(99);
  for (int64_t n = 0; n < 20; ++n) {
    auto alone = sampler.Sample({{{"lr", lr}}, kRandomObjectives, kNoHistory, n});
    auto both =
        sampler.Sample({{{"layers", layers}, {"lr", lr}}, kRandomObjectives, kNoHistory, n});
    REQUIRE(alone.ok());
    REQUIRE(both.ok());
    CHECK((**alone).at("lr") == (**both).at("lr"));
  }
}

TEST_CASE("the history is not read: trial n gets the same values either way") {
  SearchSpace space = {{"x", FloatDistribution{0, 1, false, std::nullopt}}};
  std::vector<TrialRecord> history(3);
  history[1].params = {{"x", 0.5}};
  RandomSampler sampler(5);
  auto without = sampler.Sample({space, kRandomObjectives, kNoHistory, 3});
  auto with = sampler.Sample({space, kRandomObjectives, history, 3});
  REQUIRE(without.ok());
  REQUIRE(with.ok());
  CHECK(**without == **with);
}

}  // namespace gdsweep
