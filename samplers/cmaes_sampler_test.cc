// The CMA-ES sampler through the Sampler seam: it optimises, keeps its
// generations in the trials' attributes (several workers, failures), and
// falls back to random search where Optuna does.
#include "samplers/cmaes_sampler.h"

#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "samplers/random_sampler.h"
#include "samplers/sampler_test_support.h"

namespace gdsweep {
namespace {

const std::vector<Objective> kMinimize = {{"loss", Direction::kMinimize}};

SearchSpace Box(int n) {
  SearchSpace s;
  for (int i = 0; i < n; ++i) s.push_back({"x" + std::to_string(i), FloatDistribution{-5, 5}});
  return s;
}

double Sphere(const Params& p) {
  double s = 0;
  for (const auto& [name, v] : p) s += (v - 1) * (v - 1);
  return s;
}

// Asks and tells `n` trials one after the other; returns the history.
std::vector<TrialRecord> RunCmaes(Sampler& sampler, const SearchSpace& space, int n,
                                  std::vector<TrialRecord> history = {}) {
  auto f = [](const Params& p) { return std::vector<double>{Sphere(p)}; };
  for (int k = 0; k < n; ++k) testing::AskAndTell(sampler, space, kMinimize, history, f);
  return history;
}

double Best(const std::vector<TrialRecord>& h) {
  double best = INFINITY;
  for (const auto& t : h) {
    if (t.state == TrialState::kComplete) best = std::min(best, t.values[0]);
  }
  return best;
}

int CmaesGeneration(const TrialRecord& t) {
  return std::stoi(t.sampler_attrs.at("gdsweep:cma:generation"));
}

}  // namespace

TEST_CASE("cmaes beats random search on a 4-d sphere in 200 trials, for every seed tried") {
  const SearchSpace space = Box(4);
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    auto cma = MakeCmaEsSampler({}, space, seed);
    RandomSampler random(seed);
    const double cma_best = Best(RunCmaes(*cma, space, 200));
    const double random_best = Best(RunCmaes(random, space, 200));
    CHECK(cma_best < 1e-2);
    CHECK(cma_best < random_best / 100);
  }
}

TEST_CASE("generations: told once popsize trials are complete, running ones meanwhile join it") {
  const SearchSpace space = Box(3);
  CmaEsOptions options;
  options.popsize = 4;
  auto sampler = MakeCmaEsSampler(options, space, 5);
  // Trial 0 is random (n_startup_trials 1); then three workers: each round
  // asks three trials while none of them is complete, then completes them.
  std::vector<TrialRecord> h = RunCmaes(*sampler, space, 1);
  CHECK(h[0].sampler_attrs.empty());
  for (int round = 0; round < 6; ++round) {
    const size_t first = h.size();
    for (int w = 0; w < 3; ++w) {
      testing::AskAndTell(*sampler, space, kMinimize, h, nullptr, TrialState::kRunning);
    }
    for (size_t i = first; i < h.size(); ++i) {
      h[i].state = TrialState::kComplete;
      h[i].values = {Sphere(h[i].params)};
    }
  }
  // 18 CMA trials in rounds of three: generation 0 gets trials 1-6 (its
  // fourth completes in round 2), generation 1 trials 7-9 and 10-12, ...
  std::vector<int> gens;
  for (size_t i = 1; i < h.size(); ++i) gens.push_back(CmaesGeneration(h[i]));
  CHECK(gens == std::vector<int>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2});
  // The state is stored by the trials proposed after each tell until one of
  // them is complete (a running one's state is not read back): the rounds
  // that open generations 1 and 2.
  for (size_t i = 1; i < h.size(); ++i) {
    CAPTURE(i);
    const bool opens = (i >= 7 && i <= 9) || (i >= 13 && i <= 15);
    CHECK(h[i].sampler_attrs.count("gdsweep:cma:state") == (opens ? 1u : 0u));
  }
}

TEST_CASE("regression: a generation whose stored state belongs to a failed trial is still told") {
  const SearchSpace space = Box(3);
  CmaEsOptions options;
  options.popsize = 4;
  auto sampler = MakeCmaEsSampler(options, space, 6);
  std::vector<TrialRecord> h = RunCmaes(*sampler, space, 13);  // generations 0, 1, 2 (trial 9 on)
  REQUIRE(CmaesGeneration(h[9]) == 2);
  REQUIRE(h[9].sampler_attrs.count("gdsweep:cma:state") == 1);
  // Trial 9 failed (the only one holding generation 2's optimizer), and five
  // more trials of generation 2 completed meanwhile: with 9 gone, trials 10-14
  // give the four it needs.
  h[9].state = TrialState::kFail;
  h[9].values.clear();
  h.pop_back();
  h.pop_back();
  h.pop_back();
  for (int k = 0; k < 5; ++k) {
    TrialRecord t = h[1];
    t.number = static_cast<int64_t>(h.size());
    t.params["x0"] = 0.1 * k;
    t.values = {Sphere(t.params)};
    t.sampler_attrs = {{"gdsweep:cma:run", "0"}, {"gdsweep:cma:generation", "2"}};
    h.push_back(t);
  }
  auto next = RunCmaes(*sampler, space, 1, h);
  CHECK(CmaesGeneration(next.back()) == 3);
}

TEST_CASE("one numeric parameter, or only categorical ones: random search, as Optuna") {
  const SearchSpace one = {{"x", FloatDistribution{0, 1}},
                           {"c", CategoricalDistribution{{Choice{"a"}, Choice{"b"}}}}};
  auto cma = MakeCmaEsSampler({}, one, 7);
  RandomSampler random(7);
  auto h = RunCmaes(*cma, one, 20);
  auto r = RunCmaes(random, one, 20);
  for (size_t i = 0; i < h.size(); ++i) {
    CHECK(h[i].params == r[i].params);
    CHECK(h[i].sampler_attrs.empty());
  }
}

TEST_CASE("categorical parameters are drawn at random beside the CMA-ES ones") {
  SearchSpace space = Box(2);
  space.push_back({"c", CategoricalDistribution{{Choice{"a"}, Choice{"b"}, Choice{"c"}}}});
  auto cma = MakeCmaEsSampler({}, space, 8);
  RandomSampler random(8);
  auto h = RunCmaes(*cma, space, 40);
  auto r = RunCmaes(random, space, 40);
  for (size_t i = 0; i < h.size(); ++i) CHECK(h[i].params.at("c") == r[i].params.at("c"));
  CHECK(h.back().sampler_attrs.count("gdsweep:cma:generation") == 1);
}

TEST_CASE("with_margin: integers keep exploring; the raw point is kept for the update") {
  const SearchSpace space = {{"a", IntDistribution{0, 10}}, {"b", IntDistribution{0, 10}}};
  CmaEsOptions options;
  options.with_margin = true;
  auto cma = MakeCmaEsSampler(options, space, 9);
  auto h = RunCmaes(*cma, space, 300);
  std::set<Params> late;
  for (size_t i = 200; i < h.size(); ++i) {
    late.insert(h[i].params);
    CHECK(h[i].sampler_attrs.count("gdsweep:cmawm:x") == 1);
  }
  CHECK(Best(h) == 0);  // (1, 1) found
  CHECK(late.size() > 1);
}

TEST_CASE("ipop restarts with a doubled population once CMA-ES converges") {
  const SearchSpace space = Box(2);
  CmaEsOptions options;
  options.restart_strategy = "ipop";
  auto cma = MakeCmaEsSampler(options, space, 10);
  auto h = RunCmaes(*cma, space, 1500);
  int max_run = 0;
  for (const auto& t : h) {
    auto it = t.sampler_attrs.find("gdsweep:cma:run");
    if (it != t.sampler_attrs.end()) max_run = std::max(max_run, std::stoi(it->second));
  }
  CHECK(max_run >= 1);
}

TEST_CASE("maximise: the sampler climbs") {
  const SearchSpace space = Box(3);
  const std::vector<Objective> maximize = {{"score", Direction::kMaximize}};
  auto cma = MakeCmaEsSampler({}, space, 11);
  std::vector<TrialRecord> h;
  double best = -INFINITY;
  auto f = [](const Params& p) { return std::vector<double>{-Sphere(p)}; };
  for (int k = 0; k < 150; ++k) {
    best = std::max(best, testing::AskAndTell(*cma, space, maximize, h, f).values[0]);
  }
  CHECK(best > -1e-2);
}

TEST_CASE("several objectives are refused") {
  const SearchSpace space = Box(2);
  auto cma = MakeCmaEsSampler({}, space, 12);
  const std::vector<Objective> two = {{"a", Direction::kMinimize}, {"b", Direction::kMinimize}};
  auto r = cma->Sample({space, two, {}, 0, nullptr});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("one objective") != std::string::npos);
}

}  // namespace gdsweep
