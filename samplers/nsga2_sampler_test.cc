// The NSGA-II sampler through the Sampler seam: generations as Optuna counts
// them, better fronts than random search, other samplers' trials left out.
#include "samplers/nsga2_sampler.h"

#include <doctest/doctest.h>

#include <cmath>

#include "samplers/random_sampler.h"
#include "samplers/sampler_test_support.h"
#include "samplers/tpe/hypervolume.h"

namespace gdsweep {
namespace {

const std::vector<Objective> kTwo = {{"f1", Direction::kMinimize}, {"f2", Direction::kMinimize}};

SearchSpace Zdt1Space(int n) {
  SearchSpace s;
  for (int i = 0; i < n; ++i) s.push_back({"x" + std::to_string(i), FloatDistribution{0, 1}});
  return s;
}

// ZDT1: the Pareto front is f2 = 1 - sqrt(f1) at x1..xn = 0.
std::vector<double> Zdt1(const Params& p) {
  const double x0 = p.at("x0");
  double g = 0;
  for (const auto& [name, v] : p) {
    if (name != "x0") g += v;
  }
  g = 1 + 9 * g / static_cast<double>(p.size() - 1);
  return {x0, g * (1 - std::sqrt(x0 / g))};
}

std::vector<TrialRecord> RunNsga2(Sampler& sampler, const SearchSpace& space, int n,
                                  std::vector<TrialRecord> history = {}) {
  for (int k = 0; k < n; ++k) testing::AskAndTell(sampler, space, kTwo, history, Zdt1);
  return history;
}

double Hypervolume(const std::vector<TrialRecord>& h) {
  std::vector<double> points;
  for (const auto& t : h) points.insert(points.end(), t.values.begin(), t.values.end());
  const std::vector<double> ref = {1.1, 11};
  return tpe::Hypervolume(points, 2, ref);
}

int Nsga2Generation(const TrialRecord& t) {
  return std::stoi(t.sampler_attrs.at("nsga2:generation"));
}

}  // namespace

TEST_CASE("generations: 0 at random until population_size trials are complete, then 1, ...") {
  const SearchSpace space = Zdt1Space(3);
  Nsga2Options options;
  options.population_size = 4;
  auto sampler = MakeNsga2Sampler(options, space, 1);
  RandomSampler random(1);
  auto h = RunNsga2(*sampler, space, 12);
  auto r = RunNsga2(random, space, 4);
  std::vector<int> gens;
  for (const auto& t : h) gens.push_back(Nsga2Generation(t));
  CHECK(gens == std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  for (int k = 0; k < 4; ++k) CHECK(h[k].params == r[k].params);
  // A failed trial does not count: generation 1 waits for a fourth.
  h[5].state = TrialState::kFail;
  h.resize(8);
  auto next = RunNsga2(*sampler, space, 1, h);
  CHECK(Nsga2Generation(next.back()) == 1);
}

TEST_CASE("NSGA-II's front beats random search's on ZDT1 for every seed tried") {
  const SearchSpace space = Zdt1Space(4);
  Nsga2Options options;
  options.population_size = 20;
  for (const char* crossover : {"uniform", "sbx", "blxalpha", "vsbx", "spx", "undx"}) {
    options.crossover = crossover;
    for (uint64_t seed : {1, 2}) {
      CAPTURE(crossover);
      CAPTURE(seed);
      auto nsga2 = MakeNsga2Sampler(options, space, seed);
      RandomSampler random(seed);
      const double ours = Hypervolume(RunNsga2(*nsga2, space, 400));
      const double theirs = Hypervolume(RunNsga2(random, space, 400));
      CHECK(ours > theirs);
    }
  }
}

TEST_CASE("a study another sampler began: its trials take no part, NSGA-II starts at 0") {
  const SearchSpace space = Zdt1Space(2);
  RandomSampler random(3);
  auto h = RunNsga2(random, space, 30);  // no nsga2:generation attributes
  Nsga2Options options;
  options.population_size = 4;
  auto nsga2 = MakeNsga2Sampler(options, space, 3);
  auto next = RunNsga2(*nsga2, space, 5, h);
  CHECK(Nsga2Generation(next[30]) == 0);
  CHECK(Nsga2Generation(next[34]) == 1);
}

TEST_CASE("categorical parameters cross uniformly and stay valid choices") {
  SearchSpace space = Zdt1Space(2);
  space.push_back({"c", CategoricalDistribution{{Choice{"a"}, Choice{"b"}, Choice{"c"}}}});
  space.push_back({"k", IntDistribution{1, 9, false, 2}});
  Nsga2Options options;
  options.population_size = 6;
  auto nsga2 = MakeNsga2Sampler(options, space, 4);
  for (const auto& t : RunNsga2(*nsga2, space, 60)) {
    for (const auto& p : space) CHECK(Contains(p.distribution, t.params.at(p.name)));
  }
}

TEST_CASE("one objective is allowed, as in Optuna: generations rank by value") {
  const SearchSpace space = Zdt1Space(3);
  const std::vector<Objective> one = {{"loss", Direction::kMinimize}};
  Nsga2Options options;
  options.population_size = 8;
  auto nsga2 = MakeNsga2Sampler(options, space, 5);
  std::vector<TrialRecord> h;
  double first_gen = INFINITY, last_gen = INFINITY;
  auto f = [](const Params& p) {
    double s = 0;
    for (const auto& [name, v] : p) s += v * v;
    return std::vector<double>{s};
  };
  for (int k = 0; k < 160; ++k) {
    const double s = testing::AskAndTell(*nsga2, space, one, h, f).values[0];
    (k < 8 ? first_gen : last_gen) = std::min(k < 8 ? first_gen : last_gen, s);
  }
  CHECK(Nsga2Generation(h.back()) >= 10);
  CHECK(last_gen < first_gen);
}

TEST_CASE(
    "with constraints, the generations move to the feasible region (constrained domination)") {
  // ZDT1 with the constraint x0 >= 0.6 (value 0.6 - x0 <= 0): its
  // unconstrained front spreads x0 over [0, 1], so only selection by
  // constrained domination keeps the parents, and so the children, feasible.
  const SearchSpace space = Zdt1Space(5);
  auto feasible_share = [&](bool constraints, uint64_t seed) {
    Nsga2Options options;
    options.population_size = 20;
    auto nsga2 = MakeNsga2Sampler(options, space, seed);
    std::vector<TrialRecord> h;
    int feasible = 0, counted = 0;
    for (int k = 0; k < 200; ++k) {
      TrialRecord& t = testing::AskAndTell(*nsga2, space, kTwo, h, Zdt1);
      // Without constraints the trials have no values: plain domination.
      if (constraints) t.constraints = std::vector<double>{0.6 - t.params.at("x0")};
      if (k >= 140) {
        ++counted;
        feasible += t.params.at("x0") >= 0.6 ? 1 : 0;
      }
    }
    return static_cast<double>(feasible) / counted;
  };
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    const double with = feasible_share(true, seed), without = feasible_share(false, seed);
    CAPTURE(with);
    CAPTURE(without);
    CHECK(with >= 0.75);
    CHECK(with > without + 0.2);
  }
}

}  // namespace gdsweep
