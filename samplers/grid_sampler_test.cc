#include "samplers/grid_sampler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

namespace gdsweep {
namespace {

const std::vector<Objective> kGridObjectives = {{"loss", Direction::kMinimize}};

// A shared study history that "workers" ask against, as the engine would:
// each proposal is appended at once as a RUNNING trial.
struct History {
  const SearchSpace& space;
  std::vector<TrialRecord> trials;

  std::optional<Params> Ask(Sampler& sampler) {
    auto n = static_cast<int64_t>(trials.size());
    auto params = sampler.Sample({space, kGridObjectives, trials, n});
    REQUIRE(params.ok());
    if (*params) Add(**params, TrialState::kRunning);
    return *params;
  }
  // Asks until the sampler has nothing left; fails rather than hang past `limit`.
  std::vector<Params> AskUntilDone(Sampler& sampler, size_t limit) {
    std::vector<Params> out;
    while (auto p = Ask(sampler)) {
      out.push_back(*p);
      REQUIRE_MESSAGE(out.size() <= limit, "the grid never runs out");
    }
    return out;
  }
  void Add(Params params, TrialState state) {
    TrialRecord t;
    t.number = static_cast<int64_t>(trials.size());
    t.trial_id = 500 + t.number;
    t.state = state;
    t.params = std::move(params);
    trials.push_back(std::move(t));
  }
};

std::unique_ptr<GridSampler> MakeGrid(const SearchSpace& space, uint64_t seed = 1,
                                      std::map<std::string, std::vector<double>> values = {}) {
  auto grid = GridSampler::Make(space, values, seed);
  REQUIRE(grid.ok());
  return std::move(*grid);
}

std::string MakeError(const SearchSpace& space,
                      std::map<std::string, std::vector<double>> values = {}) {
  auto grid = GridSampler::Make(space, values, 1);
  REQUIRE_FALSE(grid.ok());
  CHECK(grid.error().kind == Error::Kind::kInvalidInput);
  return grid.error().message;
}

const SearchSpace kGridSpace = {
    {"depth", IntDistribution{0, 2, false, 1}},
    {"opt", CategoricalDistribution{{Choice{"sgd"}, Choice{"adam"}, Choice{}}}},
    {"drop", FloatDistribution{0.0, 0.5, false, 0.25}},
};

// Every point of kGridSpace, in its internal representation.
std::set<Params> AllPoints() {
  std::set<Params> all;
  for (double depth : {0, 1, 2}) {
    for (double opt : {0, 1, 2}) {
      for (double drop : {0.0, 0.25, 0.5})
        all.insert({{"depth", depth}, {"opt", opt}, {"drop", drop}});
    }
  }
  return all;
}

}  // namespace

TEST_CASE("a full run covers every point exactly once, then nothing") {
  auto grid = MakeGrid(kGridSpace);
  CHECK(grid->size() == 27);
  History h{kGridSpace, {}};
  std::set<Params> seen;
  for (int i = 0; i < 27; ++i) {
    auto p = h.Ask(*grid);
    REQUIRE(p.has_value());
    CHECK(seen.insert(*p).second);
  }
  CHECK(seen == AllPoints());
  CHECK_FALSE(h.Ask(*grid).has_value());
  CHECK_FALSE(h.Ask(*grid).has_value());
}

TEST_CASE("the order is shuffled with the seed") {
  auto order = [](uint64_t seed) {
    auto grid = MakeGrid(kGridSpace, seed);
    History h{kGridSpace, {}};
    return h.AskUntilDone(*grid, 27);
  };
  auto a = order(1);
  CHECK(a == order(1));
  CHECK(a != order(2));
  CHECK_FALSE(std::is_sorted(a.begin(), a.end()));
}

TEST_CASE("explicit values replace a parameter's own grid") {
  SearchSpace space = {{"lr", FloatDistribution{1e-4, 1, true, std::nullopt}},
                       {"layers", IntDistribution{1, 8, false, 1}}};
  auto grid = MakeGrid(space, 3, {{"lr", {1e-3, 1e-2, 0.1}}, {"layers", {2, 8}}});
  CHECK(grid->size() == 6);
  History h{space, {}};
  std::set<std::pair<double, double>> seen;
  for (const auto& p : h.AskUntilDone(*grid, 6)) {
    CHECK(seen.insert({p.at("lr"), p.at("layers")}).second);
  }
  CHECK(seen == std::set<std::pair<double, double>>{
                    {1e-3, 2}, {1e-3, 8}, {1e-2, 2}, {1e-2, 8}, {0.1, 2}, {0.1, 8}});
}

TEST_CASE("two workers interleaving over one history never duplicate a point") {
  // Two processes: two samplers with the study's seed, one shared history.
  auto a = MakeGrid(kGridSpace, 7);
  auto b = MakeGrid(kGridSpace, 7);
  History h{kGridSpace, {}};
  std::set<Params> seen;
  for (int i = 0; i < 27; ++i) {
    auto p = h.Ask(i % 3 == 0 ? *a : *b);
    REQUIRE(p.has_value());
    CHECK(seen.insert(*p).second);
  }
  CHECK(seen == AllPoints());
  CHECK_FALSE(h.Ask(*a).has_value());
  CHECK_FALSE(h.Ask(*b).has_value());
}

TEST_CASE("a point is taken by a trial in any state") {
  for (auto state : {TrialState::kRunning, TrialState::kWaiting, TrialState::kComplete,
                     TrialState::kPruned, TrialState::kFail}) {
    CAPTURE(ToString(state));
    auto grid = MakeGrid(kGridSpace);
    History h{kGridSpace, {}};
    Params first = *h.Ask(*grid);
    auto fresh = MakeGrid(kGridSpace);
    History other{kGridSpace, {}};
    other.Add(first, state);
    auto next = other.Ask(*fresh);
    REQUIRE(next.has_value());
    CHECK(*next != first);
  }
}

TEST_CASE("history values another tool rounded differently still take the point") {
  SearchSpace space = {{"x", FloatDistribution{0, 1, false, 0.1}}};
  auto grid = MakeGrid(space);
  History h{space, {}};
  for (double x : {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}) {
    h.Add({{"x", x}}, TrialState::kComplete);  // 0.3, not 3 * 0.1
  }
  CHECK_FALSE(h.Ask(*grid).has_value());
}

TEST_CASE("trials off the grid or missing a parameter take nothing") {
  auto grid = MakeGrid(kGridSpace);
  History h{kGridSpace, {}};
  h.Add({{"depth", 1}, {"opt", 0}, {"drop", 0.1}}, TrialState::kComplete);  // off the step
  h.Add({{"depth", 1}, {"opt", 0}}, TrialState::kComplete);
  h.Add({}, TrialState::kFail);
  CHECK(h.AskUntilDone(*grid, 27).size() == 27);
}

TEST_CASE("a grid too large for memory is sampled lazily") {
  SearchSpace space = {{"a", IntDistribution{0, 9999, false, 1}},
                       {"b", IntDistribution{0, 999, false, 1}}};
  auto grid = MakeGrid(space);
  CHECK(grid->size() == kMaxGridPoints);
  History h{space, {}};
  std::set<Params> seen;
  for (int i = 0; i < 200; ++i) CHECK(seen.insert(*h.Ask(*grid)).second);
}

TEST_CASE("refusals name the parameter") {
  SearchSpace continuous = {{"depth", IntDistribution{0, 2, false, 1}},
                            {"lr", FloatDistribution{1e-4, 1, true, std::nullopt}}};
  CHECK(MakeError(continuous).find("parameter 'lr': a continuous float has no grid") !=
        std::string::npos);
  CHECK(MakeError(kGridSpace, {{"depht", {1}}}).find("'depht': not in the search space") !=
        std::string::npos);
  CHECK(MakeError(kGridSpace, {{"depth", {}}}).find("'depth': no grid values") !=
        std::string::npos);
  CHECK(MakeError(kGridSpace, {{"depth", {5}}}).find("'depth': 5 is not a value") !=
        std::string::npos);
  CHECK(MakeError(kGridSpace, {{"drop", {0.25, 0.0, 0.25}}}).find("'drop': 0.25 appears twice") !=
        std::string::npos);
}

TEST_CASE("asking with another space is a bug, reported") {
  auto grid = MakeGrid(kGridSpace);
  SearchSpace other = {{"depth", IntDistribution{0, 2, false, 1}}};
  std::vector<TrialRecord> none;
  auto params = grid->Sample({other, kGridObjectives, none, 0});
  REQUIRE_FALSE(params.ok());
  CHECK(params.error().kind == Error::Kind::kInternal);
}

TEST_CASE("grids over the limit are refused, without overflowing") {
  SearchSpace big = {{"a", IntDistribution{0, 9999, false, 1}},
                     {"b", IntDistribution{0, 1000, false, 1}}};
  CHECK(MakeError(big) ==
        "grid sampler: the grid has more than 10000000 points (a: 10000, "
        "b: 1001, ...)");
  const int64_t huge = int64_t{1} << 40;
  SearchSpace overflow = {{"a", IntDistribution{0, huge, false, 1}},
                          {"b", IntDistribution{0, huge, false, 1}},
                          {"c", IntDistribution{0, huge, false, 1}}};
  CHECK(MakeError(overflow).find("more than 10000000 points") != std::string::npos);
}

TEST_CASE("the seeded permutation is a bijection of [0, size)") {
  for (uint64_t size : {1, 2, 3, 4, 5, 7, 64, 1000, 4097}) {
    CAPTURE(size);
    SeededPermutation perm(size, 11);
    std::vector<bool> hit(size, false);
    for (uint64_t i = 0; i < size; ++i) {
      uint64_t x = perm(i);
      REQUIRE(x < size);
      CHECK_FALSE(hit[x]);
      hit[x] = true;
    }
  }
  SeededPermutation p1(1000, 1), p2(1000, 2);
  int same = 0;
  for (uint64_t i = 0; i < 1000; ++i) same += p1(i) == p2(i) ? 1 : 0;
  CHECK(same < 20);  // ~1 expected for unrelated permutations
}

}  // namespace gdsweep
