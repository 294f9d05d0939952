// The Sampler contract over a conditional space with a fixed parameter, for
// every sampler (and TPE in each of its modes): every active parameter present
// and inside its distribution, every inactive one absent, the fixed one at its
// value; seeded runs reproducible; a grid proposes each valid combination once.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "samplers/sampler.h"

namespace gdsweep {
namespace {

const std::vector<Objective> kConditionalObjectives = {{"loss", Direction::kMinimize}};

// opt: sgd (0), adam (1), rmsprop (2). momentum when opt is sgd or rmsprop;
// nesterov when opt is sgd; dampening when nesterov is false (nested); beta2
// when opt is adam; batch fixed at 64.
SearchSpace ConditionalSpace() {
  SearchSpace s;
  s.push_back({"opt", CategoricalDistribution{{Choice{"sgd"}, Choice{"adam"}, Choice{"rmsprop"}}}});
  s.push_back({"lr", FloatDistribution{1e-5, 1e-1, true, std::nullopt}});
  s.push_back({"momentum", FloatDistribution{0.0, 0.75, false, 0.25}, {{"opt", {0, 2}}}});
  s.push_back({"nesterov", CategoricalDistribution{{Choice{true}, Choice{false}}}, {{"opt", {0}}}});
  s.push_back({"dampening", IntDistribution{0, 2, false, 1}, {{"nesterov", {1}}}});
  s.push_back({"beta2", IntDistribution{1, 3, false, 1}, {{"opt", {1}}}});
  s.push_back({"batch", IntDistribution{64, 64, false, 1}, {}, true});
  return s;
}

struct Variant {
  std::string name;
  SamplerSpec spec;
};

std::vector<Variant> Variants() {
  std::vector<Variant> out;
  for (const std::string type : {"random", "grid", "tpe"}) {
    SamplerSpec s;
    s.type = type;
    s.grid_values = {{"lr", {1e-4, 1e-2}}};
    s.tpe.n_startup_trials = 5;
    out.push_back({type, s});
  }
  SamplerSpec multi = out.back().spec;
  multi.tpe.multivariate = true;
  out.push_back({"tpe multivariate", multi});
  multi.tpe.group = true;
  out.push_back({"tpe multivariate group", multi});
  multi.tpe.constant_liar = true;
  out.push_back({"tpe multivariate group constant_liar", multi});
  return out;
}

double ConditionalLoss(const Params& params) {
  double loss = 0;
  for (const auto& [name, v] : params) loss += std::pow(v - 0.3, 2);
  return loss;
}

// Trials told one after another; some fail, some stay running. Stops early
// when the sampler has nothing left (a grid).
std::vector<TrialRecord> RunConditionalStudy(Sampler& sampler, const SearchSpace& space, int n) {
  std::vector<TrialRecord> history;
  for (int64_t k = 0; k < n; ++k) {
    auto params = sampler.Sample({space, kConditionalObjectives, history, k});
    REQUIRE_MESSAGE(params.ok(), params.error().message);
    if (!params->has_value()) break;
    TrialRecord t;
    t.trial_id = 1000 + k;
    t.number = k;
    t.params = std::move(**params);
    t.state = k % 7 == 3   ? TrialState::kFail
              : k % 5 == 4 ? TrialState::kRunning
                           : TrialState::kComplete;
    if (t.state == TrialState::kComplete) t.values = {ConditionalLoss(t.params)};
    history.push_back(std::move(t));
  }
  return history;
}

std::unique_ptr<Sampler> MakeConditional(const SamplerSpec& spec, const SearchSpace& space,
                                         uint64_t seed) {
  auto sampler = MakeSampler(spec, space, seed);
  REQUIRE_MESSAGE(sampler.ok(), sampler.error().message);
  return std::move(*sampler);
}

}  // namespace

TEST_CASE("conditional contract: active parameters present and valid, inactive ones absent") {
  const SearchSpace space = ConditionalSpace();
  for (const auto& v : Variants()) {
    CAPTURE(v.name);
    for (uint64_t seed : {uint64_t{0}, uint64_t{3}}) {
      auto sampler = MakeConditional(v.spec, space, seed);
      std::set<std::string> seen;
      for (const auto& trial : RunConditionalStudy(*sampler, space, 40)) {
        CAPTURE(trial.number);
        CHECK(HasExactlyActive(space, trial.params));
        for (const auto& [name, value] : trial.params) {
          const Parameter* p = FindParameter(space, name);
          REQUIRE(p);
          CHECK(Contains(p->distribution, value));
          seen.insert(name);
        }
        CHECK(trial.params.at("batch") == 64);
        const double opt = trial.params.at("opt");
        CHECK(trial.params.count("momentum") == (opt == 0 || opt == 2 ? 1u : 0u));
        CHECK(trial.params.count("beta2") == (opt == 1 ? 1u : 0u));
        CHECK(trial.params.count("dampening") ==
              (trial.params.count("nesterov") && trial.params.at("nesterov") == 1 ? 1u : 0u));
      }
      // Every branch was reached, nested one included.
      CHECK(seen.size() == space.size());
    }
  }
}

TEST_CASE("conditional contract: same seed and history, same params, asked in any order") {
  const SearchSpace space = ConditionalSpace();
  for (const auto& v : Variants()) {
    CAPTURE(v.name);
    auto first = MakeConditional(v.spec, space, 42);
    const auto history = RunConditionalStudy(*first, space, 30);
    auto second = MakeConditional(v.spec, space, 42);
    for (int64_t k = static_cast<int64_t>(history.size()) - 1; k >= 0; --k) {
      CAPTURE(k);
      std::vector<TrialRecord> before(history.begin(), history.begin() + k);
      auto params = second->Sample({space, kConditionalObjectives, before, k});
      REQUIRE(params.ok());
      REQUIRE(params->has_value());
      CHECK(**params == history[static_cast<size_t>(k)].params);
    }
  }
}

TEST_CASE("a queued point's given values are kept and the parameters they activate proposed") {
  // As Optuna's enqueue_trial with some params: opt given, its branch's
  // parameters (momentum, nesterov, maybe dampening; or beta2) sampled, in
  // every sampler, in the startup phase and after it. Regression: a queued
  // {opt: sgd} took the sampler's own point for the rest, made for the opt it
  // drew (adam: no momentum; a momentum where adam was given).
  const SearchSpace space = ConditionalSpace();
  const Params sgd = {{"opt", 0}, {"lr", 0.001}};
  const Params adam = {{"opt", 1}};
  const Params nested = {{"opt", 0}, {"nesterov", 1}};  // dampening: active through nesterov
  for (const auto& v : Variants()) {
    CAPTURE(v.name);
    for (int warm : {0, 12}) {
      CAPTURE(warm);
      auto sampler = MakeConditional(v.spec, space, 5);
      const auto history = RunConditionalStudy(*sampler, space, warm);
      for (const Params* given : {&sgd, &adam, &nested}) {
        for (int64_t k = warm; k < warm + 4; ++k) {
          SampleRequest req{space, kConditionalObjectives, history, k};
          req.given = given;
          // tpe and random honour given values themselves; the grid's own
          // points may not hold lr 0.001, so SampleGiven completes them.
          auto params =
              v.spec.type == "grid" ? SampleGiven(*sampler, req, 5) : sampler->Sample(req);
          REQUIRE_MESSAGE(params.ok(), params.error().message);
          REQUIRE(params->has_value());
          const Params& got = **params;
          CHECK(HasExactlyActive(space, got));
          for (const auto& [name, value] : *given) CHECK(got.at(name) == value);
          CHECK(got.count("momentum") == (given == &adam ? 0u : 1u));
          CHECK(got.count("beta2") == (given == &adam ? 1u : 0u));
          if (given == &nested) CHECK(got.count("dampening") == 1);
        }
      }
    }
  }
}

TEST_CASE("grid over a conditional space: each valid combination once, then exhausted") {
  const SearchSpace space = ConditionalSpace();
  SamplerSpec spec;
  spec.type = "grid";
  spec.grid_values = {{"lr", {1e-4, 1e-2}}};
  auto sampler = MakeConditional(spec, space, 9);
  // lr 2 values x (sgd: momentum 4 x nesterov (true | false x dampening 3) = 16;
  // adam: beta2 3; rmsprop: momentum 4) = 2 x 23.
  const auto history = RunConditionalStudy(*sampler, space, 100);
  CHECK(history.size() == 46);
  std::set<Params> distinct;
  for (const auto& t : history) distinct.insert(t.params);
  CHECK(distinct.size() == 46);
}

}  // namespace gdsweep
