// CMA-ES's math: it converges, its restarts plan as the papers say, its state
// survives the JSON round trip, and the margin keeps integers exploring.
#include "samplers/cmaes/cma.h"

#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "samplers/cmaes/margin.h"
#include "samplers/cmaes/restart.h"
#include "samplers/cmaes/state_json.h"

namespace gdsweep::cmaes {
namespace {

double Sphere(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v * v;
  return s;
}

double Rosenbrock(const std::vector<double>& x) {
  double s = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  }
  return s;
}

// Runs `generations` generations; returns the best value seen.
template <typename F>
double Run(CmaState& s, F f, int generations, uint64_t seed) {
  double best = INFINITY;
  Rng rng(seed);
  for (int g = 0; g < generations; ++g) {
    std::vector<std::pair<std::vector<double>, double>> solutions;
    for (int k = 0; k < s.popsize; ++k) {
      auto x = Ask(s, rng, 10 * s.dim);
      const double y = f(x);
      best = std::min(best, y);
      solutions.emplace_back(std::move(x), y);
    }
    Tell(s, std::move(solutions));
  }
  return best;
}

CmaState Start(int n, double at, bool separable) {
  return InitCma(std::vector<double>(static_cast<size_t>(n), at), 2.0,
                 std::vector<double>(static_cast<size_t>(n), -10),
                 std::vector<double>(static_cast<size_t>(n), 10), 0, separable);
}

}  // namespace

TEST_CASE("CMA-ES converges on the sphere and on Rosenbrock within a budget") {
  for (int n : {2, 5, 10}) {
    CAPTURE(n);
    CmaState s = Start(n, 3, false);
    CHECK(s.popsize == DefaultPopsize(n));
    // About 150 n evaluations bring the sphere from 3^2 n to below 1e-10.
    const int generations = 150 * n / s.popsize + 60;
    CHECK(Run(s, Sphere, generations, 1) < 1e-10);
  }
  for (int n : {2, 4}) {
    CAPTURE(n);
    CmaState s = Start(n, -1, false);
    CHECK(Run(s, Rosenbrock, 600 * n, 2) < 1e-8);
  }
}

TEST_CASE("separable CMA-ES converges on the sphere and keeps a diagonal covariance") {
  CmaState s = Start(6, 3, true);
  CHECK(s.cov.size() == 6);
  CHECK(Run(s, Sphere, 250, 3) < 1e-10);
}

TEST_CASE("a converged CMA-ES says it should stop; a young one does not") {
  CmaState s = Start(3, 3, false);
  CHECK_FALSE(ShouldStop(s));
  Run(s, Sphere, 20, 4);
  CHECK_FALSE(ShouldStop(s));
  // Converged to the floating-point floor: the flat-fitness or tolx test fires.
  bool stopped = false;
  for (int g = 0; g < 3000 && !stopped; ++g) {
    Run(s, Sphere, 1, 100 + static_cast<uint64_t>(g));
    stopped = ShouldStop(s);
  }
  CHECK(stopped);
}

TEST_CASE("draws stay inside the bounds") {
  CmaState s = InitCma({0.9, 0.9}, 5.0, {0, 0}, {1, 1}, 0, false);
  Rng rng(5);
  for (int k = 0; k < 200; ++k) {
    auto x = Ask(s, rng, 3);
    CHECK(x[0] >= 0);
    CHECK(x[0] <= 1);
    CHECK(x[1] >= 0);
    CHECK(x[1] <= 1);
  }
}

TEST_CASE("the state reads back from its JSON exactly and continues the same way") {
  CmaState s = Start(4, 2, false);
  Run(s, Rosenbrock, 7, 6);
  OptimizerState o;
  o.names = {"a", "b", "c", "d"};
  o.cma = s;
  o.margin = InitMargin(s);
  o.restart.run = 2;
  o.restart.small_evals = 40;
  auto back = StateFromJson(ToJson(o));
  REQUIRE(back.ok());
  CHECK(ToJson(*back) == ToJson(o));
  CmaState copy = back->cma;
  CHECK(Run(copy, Rosenbrock, 5, 7) == Run(s, Rosenbrock, 5, 7));
  CHECK(copy.mean == s.mean);
  CHECK_FALSE(StateFromJson("{\"version\": 1}").ok());
  CHECK_FALSE(StateFromJson("not json").ok());
}

TEST_CASE("IPOP doubles the population; BIPOP alternates regimes by evaluations spent") {
  Rng rng(8);
  RestartState ipop;
  CHECK(PlanRestart(RestartStrategy::kIpop, 6, 2, 6, 30, ipop, rng).popsize == 12);
  CHECK(PlanRestart(RestartStrategy::kIpop, 6, 2, 12, 30, ipop, rng).popsize == 24);
  CHECK(ipop.run == 2);

  RestartState bipop;
  // Run 0 (large regime, 6 x 50 evaluations) stopped: small runs have spent
  // nothing, so the next run is small, its population between 6 and 6.
  NextRun first = PlanRestart(RestartStrategy::kBipop, 6, 2, 6, 50, bipop, rng);
  CHECK(bipop.small);
  CHECK(first.popsize == 6);
  CHECK(first.sigma_factor <= 1.0);
  CHECK(first.sigma_factor > 0.01);
  // That small run spent 6 x 100 > 300: the next one is large, 6 x 2.
  NextRun second = PlanRestart(RestartStrategy::kBipop, 6, 2, first.popsize, 100, bipop, rng);
  CHECK_FALSE(bipop.small);
  CHECK(second.popsize == 12);
  CHECK(second.sigma_factor == 1.0);
  CHECK(bipop.large_evals == 300);
  CHECK(bipop.small_evals == 600);
  // After that large run, small runs draw between 6 and 12.
  for (int k = 0; k < 20; ++k) {
    RestartState rs = bipop;
    NextRun next = PlanRestart(RestartStrategy::kBipop, 6, 2, 12, 100, rs, rng);
    CHECK(rs.small);
    CHECK(next.popsize >= 6);
    CHECK(next.popsize <= 12);
  }
}

TEST_CASE("chi-squared quantiles of one degree of freedom") {
  CHECK(Chi2Ppf1(0.0) == 0.0);
  CHECK(Chi2Ppf1(0.95) == doctest::Approx(3.841458820694124).epsilon(1e-9));
  CHECK(Chi2Ppf1(0.5) == doctest::Approx(0.454936423119572).epsilon(1e-9));
  CHECK(Chi2Ppf1(0.999) == doctest::Approx(10.827566170662733).epsilon(1e-9));
}

TEST_CASE("with margin, integer dimensions keep exploring after the mean settles") {
  // f = (x - 3)^2 + (y - 3)^2 over the integers 0..10: without the margin the
  // step size collapses and every draw is (3, 3); with it the neighbours keep
  // at least a small probability.
  auto f = [](const std::vector<double>& x) {
    return std::pow(x[0] - 3, 2) + std::pow(x[1] - 3, 2);
  };
  std::vector<Levels> levels(2);
  for (int k = 0; k <= 10; ++k) {
    levels[0].values.push_back(k);
    levels[1].values.push_back(k);
  }
  auto distinct_late_draws = [&](bool margin) {
    CmaState s = InitCma({7.0, 7.0}, 10.0 / 6, {0, 0}, {10, 10}, 0, false);
    MarginState m = InitMargin(s);
    Rng rng(9);
    std::set<std::pair<double, double>> seen;
    for (int g = 0; g < 400; ++g) {
      std::vector<std::pair<std::vector<double>, double>> raw;
      for (int k = 0; k < s.popsize; ++k) {
        std::vector<double> x, enc;
        if (margin) {
          AskWithMargin(s, m, levels, rng, 20, &x, &enc);
        } else {
          x = Ask(s, rng, 20);
          enc = {std::round(x[0]), std::round(x[1])};
        }
        if (g >= 300) seen.insert({enc[0], enc[1]});
        raw.emplace_back(x, f(enc));
      }
      if (margin) {
        TellWithMargin(s, m, levels, std::move(raw));
      } else {
        Tell(s, std::move(raw));
      }
    }
    CHECK(seen.count({3.0, 3.0}) == 1);
    return seen.size();
  };
  CHECK(distinct_late_draws(false) == 1);
  CHECK(distinct_late_draws(true) > 1);
}

}  // namespace gdsweep::cmaes
