#include "samplers/tpe/tpe_sampler.h"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace gdsweep {
namespace {

const std::vector<Objective> kMinimize = {{"loss", Direction::kMinimize}};

// One parameter of every distribution kind (as the sampler contract suite).
const SearchSpace kEveryKind = {
    {"float", FloatDistribution{-2, 3, false, std::nullopt}},
    {"log_float", FloatDistribution{1e-5, 1e-1, true, std::nullopt}},
    {"stepped_float", FloatDistribution{0.2, 0.35, false, 0.025}},
    {"int", IntDistribution{-3, 6, false, 1}},
    {"stepped_int", IntDistribution{1, 9, false, 4}},
    {"log_int", IntDistribution{1, 100, true, 1}},
    {"categorical", CategoricalDistribution{{Choice{}, Choice{true}, Choice{int64_t{3}},
                                             Choice{0.5}, Choice{"adam"}}}},
    {"single", CategoricalDistribution{{Choice{"only"}}}},
};

using Objective1 = std::function<std::vector<double>(const Params&)>;

double SumOfSquares(const Params& p) {
  double s = 0;
  for (const auto& [name, v] : p) s += (v - 0.3) * (v - 0.3);
  return s;
}

// Trial k's state in a "realistic" study: some fail, some are pruned (with
// reports up to a step), some stay running.
TrialState MixedState(int64_t k) {
  if (k % 7 == 3) return TrialState::kFail;
  if (k % 11 == 5) return TrialState::kPruned;
  if (k % 13 == 8) return TrialState::kRunning;
  return TrialState::kComplete;
}

// Asks `n` trials one after the other, telling each before the next ask.
std::vector<TrialRecord> RunStudy(Sampler& sampler, const SearchSpace& space, int n,
                                  const Objective1& f,
                                  const std::vector<Objective>& objectives = kMinimize,
                                  TrialState (*state)(int64_t) = MixedState) {
  std::vector<TrialRecord> history;
  for (int64_t k = 0; k < n; ++k) {
    auto params = sampler.Sample({space, objectives, history, k});
    REQUIRE_MESSAGE(params.ok(), params.error().message);
    REQUIRE(params->has_value());
    TrialRecord t;
    t.trial_id = 500 + k;
    t.number = k;
    t.params = std::move(**params);
    t.state = state(k);
    if (t.state == TrialState::kComplete) t.values = f(t.params);
    if (t.state == TrialState::kPruned) {
      t.intermediate = {{0, f(t.params)[0] * 2}, {int64_t{k % 3}, f(t.params)[0]}};
    }
    history.push_back(std::move(t));
  }
  return history;
}

std::vector<double> Loss(const Params& p) { return {SumOfSquares(p)}; }

TpeOptions Options(bool multivariate, bool constant_liar = false) {
  TpeOptions o;
  o.multivariate = multivariate;
  o.constant_liar = constant_liar;
  return o;
}

}  // namespace

TEST_CASE("every parameter kind stays inside its distribution, in every mode") {
  for (bool multivariate : {false, true}) {
    for (bool liar : {false, true}) {
      CAPTURE(multivariate);
      CAPTURE(liar);
      auto sampler = MakeTpeSampler(Options(multivariate, liar), kEveryKind, 3);
      for (const auto& t : RunStudy(*sampler, kEveryKind, 80, Loss)) {
        REQUIRE(t.params.size() == kEveryKind.size());
        for (const auto& p : kEveryKind) {
          CAPTURE(p.name);
          REQUIRE(t.params.count(p.name) == 1);
          CHECK(Contains(p.distribution, t.params.at(p.name)));
        }
      }
    }
  }
}

TEST_CASE("a fresh sampler per trial proposes what one long-lived sampler does") {
  // The cache is an optimisation only: the params are a function of the seed
  // and the history, whatever the sampler saw before (any order of asking).
  for (bool multivariate : {false, true}) {
    CAPTURE(multivariate);
    TpeOptions options = Options(multivariate, true);
    auto sampler = MakeTpeSampler(options, kEveryKind, 42);
    const auto history = RunStudy(*sampler, kEveryKind, 60, Loss);
    auto backwards = MakeTpeSampler(options, kEveryKind, 42);
    for (int64_t k = 59; k >= 0; --k) {
      CAPTURE(k);
      std::vector<TrialRecord> before(history.begin(), history.begin() + k);
      auto fresh = MakeTpeSampler(options, kEveryKind, 42);
      auto a = fresh->Sample({kEveryKind, kMinimize, before, k});
      auto b = backwards->Sample({kEveryKind, kMinimize, before, k});
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      CHECK(**a == history[static_cast<size_t>(k)].params);
      CHECK(**b == history[static_cast<size_t>(k)].params);
    }
    auto other_seed = MakeTpeSampler(options, kEveryKind, 43);
    CHECK(RunStudy(*other_seed, kEveryKind, 30, Loss)[29].params != history[29].params);
  }
}

TEST_CASE("the first n_startup_trials are random: they ignore the objective values") {
  auto a = MakeTpeSampler({}, kEveryKind, 7);
  auto b = MakeTpeSampler({}, kEveryKind, 7);
  auto ha =
      RunStudy(*a, kEveryKind, 16, Loss, kMinimize, [](int64_t) { return TrialState::kComplete; });
  auto hb = RunStudy(
      *b, kEveryKind, 16, [](const Params& p) { return std::vector{-Loss(p)[0]}; }, kMinimize,
      [](int64_t) { return TrialState::kComplete; });
  for (size_t k = 0; k < 10; ++k) CHECK(ha[k].params == hb[k].params);
  CHECK(ha[10].params != hb[10].params);  // trial 10 saw 10 results that disagree
}

TEST_CASE("TPE concentrates near the optimum of a quadratic far more than random search") {
  // Fixed seeds, so the counts are deterministic; the margins are several
  // times what the seeds happen to give, so no honest change flips them.
  const SearchSpace one = {{"x", FloatDistribution{-5, 5, false, std::nullopt}}};
  const SearchSpace two = {{"x", FloatDistribution{-10, 10, false, std::nullopt}},
                           {"y", FloatDistribution{-10, 10, false, std::nullopt}}};
  auto f1 = [](const Params& p) { return std::vector{std::pow(p.at("x") - 0.3, 2)}; };
  auto f2 = [](const Params& p) {
    return std::vector{std::pow(p.at("x") - 1, 2) + std::pow(p.at("y") + 2, 2)};
  };
  auto complete = [](int64_t) { return TrialState::kComplete; };
  for (bool multivariate : {false, true}) {
    CAPTURE(multivariate);
    // Trials 50..99 within 0.5 of the optimum (1-D: 10% of the range; 2-D: 0.2%).
    int tpe1 = 0, random1 = 0, tpe2 = 0, random2 = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      TpeOptions random_options = Options(multivariate);
      random_options.n_startup_trials = 1000;
      for (bool random : {false, true}) {
        const TpeOptions& o = random ? random_options : Options(multivariate);
        auto s1 = MakeTpeSampler(o, one, seed);
        auto s2 = MakeTpeSampler(o, two, seed);
        auto h1 = RunStudy(*s1, one, 100, f1, kMinimize, complete);
        auto h2 = RunStudy(*s2, two, 100, f2, kMinimize, complete);
        for (int k = 50; k < 100; ++k) {
          bool near1 = h1[static_cast<size_t>(k)].values[0] < 0.25;
          bool near2 = h2[static_cast<size_t>(k)].values[0] < 0.25;
          (random ? random1 : tpe1) += near1 ? 1 : 0;
          (random ? random2 : tpe2) += near2 ? 1 : 0;
        }
      }
    }
    // 400 trials each: random expects 40 (1-D) and 0.8 (2-D). Multivariate
    // TPE exploits less on this easy problem (its prior-floored score, see
    // EstimatorOptions::weight_by_bandwidth): Optuna 3.1's gets 156 and 15
    // here with seeds 1..8, ours 161 and 14.
    CAPTURE(tpe1);
    CAPTURE(random1);
    CAPTURE(tpe2);
    CAPTURE(random2);
    CHECK(tpe1 > 120);
    CHECK(tpe1 > 2.5 * random1);
    CHECK(tpe2 > (multivariate ? 8 : 20));
    CHECK(tpe2 > 5 * (random2 + 1));
  }
}

TEST_CASE("constant liar spreads the suggestions of a parallel batch") {
  // 30 results, then 30 asks whose trials all stay RUNNING (a wide parallel
  // sweep). Ignoring running trials, TPE proposes the same region again and
  // again; counting them as bad pushes each next ask away from the batch.
  const SearchSpace two = {{"x", FloatDistribution{-10, 10, false, std::nullopt}},
                           {"y", FloatDistribution{-10, 10, false, std::nullopt}}};
  auto state = [](int64_t k) { return k < 30 ? TrialState::kComplete : TrialState::kRunning; };
  auto f = [](const Params& p) {
    return std::vector{std::pow(p.at("x") - 1, 2) + std::pow(p.at("y") + 2, 2)};
  };
  auto mean_nearest = [](const std::vector<TrialRecord>& h) {
    double sum = 0;
    for (size_t i = 30; i < h.size(); ++i) {
      double nearest = 1e9;
      for (size_t j = 30; j < h.size(); ++j) {
        if (i == j) continue;
        nearest = std::min(nearest, std::hypot(h[i].params.at("x") - h[j].params.at("x"),
                                               h[i].params.at("y") - h[j].params.at("y")));
      }
      sum += nearest;
    }
    return sum / static_cast<double>(h.size() - 30);
  };
  for (bool multivariate : {false, true}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      CAPTURE(multivariate);
      CAPTURE(seed);
      auto plain = MakeTpeSampler(Options(multivariate, false), two, seed);
      auto liar = MakeTpeSampler(Options(multivariate, true), two, seed);
      double spread_plain = mean_nearest(RunStudy(*plain, two, 60, f, kMinimize, state));
      double spread_liar = mean_nearest(RunStudy(*liar, two, 60, f, kMinimize, state));
      // Seen: plain 0.2-0.9, liar 2.0-2.8 (the range is 20 wide).
      CHECK(spread_liar > 1.0);
      CHECK(spread_liar > 2 * spread_plain);
    }
  }
}

TEST_CASE("multi-objective TPE moves toward the Pareto set") {
  // Minimise x^2 and (x - 2)^2 over [-10, 10]: the Pareto set is [0, 2].
  const SearchSpace one = {{"x", FloatDistribution{-10, 10, false, std::nullopt}}};
  const std::vector<Objective> two = {{"a", Direction::kMinimize}, {"b", Direction::kMinimize}};
  auto f = [](const Params& p) {
    double x = p.at("x");
    return std::vector{x * x, (x - 2) * (x - 2)};
  };
  auto complete = [](int64_t) { return TrialState::kComplete; };
  for (bool multivariate : {false, true}) {
    int inside = 0;
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      auto s = MakeTpeSampler(Options(multivariate), one, seed);
      auto h = RunStudy(*s, one, 80, f, two, complete);
      for (size_t k = 40; k < 80; ++k) inside += std::abs(h[k].params.at("x") - 1) <= 1.5 ? 1 : 0;
    }
    // Random search would put 15% (24 of 160) within 1.5 of the middle;
    // Optuna 3.1 puts 101 (univariate) and 62 (multivariate) there.
    CAPTURE(multivariate);
    CAPTURE(inside);
    CHECK(inside > (multivariate ? 50 : 80));
  }
}

TEST_CASE("maximisation and PRUNED trials: the best region is where the good trials are") {
  // Maximise -(x - 2)^2: the same optimum as minimising; pruned trials report
  // intermediate values and must not break anything.
  const SearchSpace one = {{"x", FloatDistribution{-10, 10, false, std::nullopt}}};
  const std::vector<Objective> maximize = {{"score", Direction::kMaximize}};
  auto f = [](const Params& p) { return std::vector{-std::pow(p.at("x") - 2, 2)}; };
  auto s = MakeTpeSampler({}, one, 5);
  auto h = RunStudy(*s, one, 100, f, maximize);
  int near = 0;
  for (size_t k = 50; k < 100; ++k) near += std::abs(h[k].params.at("x") - 2) < 1 ? 1 : 0;
  CHECK(near > 15);  // random: 5 of 50
}

TEST_CASE("a request with another space or history is served from scratch") {
  auto sampler = MakeTpeSampler({}, kEveryKind, 9);
  RunStudy(*sampler, kEveryKind, 30, Loss);
  const SearchSpace other = {{"z", IntDistribution{0, 5, false, 1}}};
  auto h =
      RunStudy(*sampler, other, 30, [](const Params& p) { return std::vector{p.at("z") * 1.0}; });
  for (const auto& t : h) CHECK(Contains(other[0].distribution, t.params.at("z")));
  // Same trial ids, other numbers: a history from elsewhere.
  auto fresh = MakeTpeSampler({}, other, 9);
  std::vector<TrialRecord> shifted = h;
  for (auto& t : shifted) t.number += 1;
  auto a = sampler->Sample({other, kMinimize, shifted, 31});
  auto b = fresh->Sample({other, kMinimize, shifted, 31});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(**a == **b);
}

}  // namespace gdsweep
