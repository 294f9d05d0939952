// The contract every sampler MakeSampler builds must keep (as Optuna's
// test_samplers.py): values inside the space, every parameter and no other,
// seeded runs reproducible from the history alone, different seeds differ.
#include <doctest/doctest.h>

#include <cmath>

#include "samplers/sampler.h"

namespace gdsweep {
namespace {

// Every sampler type under contract. Adding a sampler is adding its name here.
const std::vector<std::string> kSamplerTypes = {"random", "grid", "tpe", "cmaes",
                                                "nsga2",  "qmc",  "gp",  "auto"};

const std::vector<Objective> kObjectives = {{"loss", Direction::kMinimize}};

// One parameter of every distribution kind.
const SearchSpace kSpace = {
    {"float", FloatDistribution{-2, 3, false, std::nullopt}},
    {"log_float", FloatDistribution{1e-5, 1e-1, true, std::nullopt}},
    {"stepped_float", FloatDistribution{0.2, 0.35, false, 0.025}},
    {"int", IntDistribution{-3, 6, false, 1}},
    {"stepped_int", IntDistribution{1, 9, false, 4}},
    {"log_int", IntDistribution{1, 100, true, 1}},
    {"categorical", CategoricalDistribution{{Choice{}, Choice{true}, Choice{int64_t{3}},
                                             Choice{0.5}, Choice{"adam"}}}},
};

// The spec of `type`; the grid needs values for the continuous floats, which
// the other samplers ignore.
SamplerSpec SpecFor(const std::string& type) {
  SamplerSpec spec;
  spec.type = type;
  spec.grid_values = {{"float", {-2, 0.5, 3}}, {"log_float", {1e-5, 1e-3, 1e-1}}};
  // Generations small enough that 40 trials see several.
  spec.nsga2.population_size = 6;
  return spec;
}

std::unique_ptr<Sampler> Make(const std::string& type, uint64_t seed) {
  auto sampler = MakeSampler(SpecFor(type), kSpace, seed);
  REQUIRE_MESSAGE(sampler.ok(), sampler.error().message);
  return std::move(*sampler);
}

double Loss(const Params& params) {
  double loss = 0;
  for (const auto& [name, v] : params) loss += std::pow(v - 0.3, 2);
  return loss;
}

// A study of `n` trials, each told before the next is asked, so trial k's
// params were proposed from exactly history[0, k). Some trials fail and some
// stay running, as in a real study.
std::vector<TrialRecord> RunStudy(Sampler& sampler, int n) {
  std::vector<TrialRecord> history;
  for (int64_t k = 0; k < n; ++k) {
    std::map<std::string, std::string> attrs;
    auto params = sampler.Sample({kSpace, kObjectives, history, k, &attrs});
    REQUIRE_MESSAGE(params.ok(), params.error().message);
    REQUIRE(params->has_value());
    TrialRecord t;
    t.trial_id = 1000 + k;
    t.number = k;
    t.params = std::move(**params);
    t.sampler_attrs = std::move(attrs);  // as storage keeps them
    t.state = k % 7 == 3   ? TrialState::kFail
              : k % 5 == 4 ? TrialState::kRunning
                           : TrialState::kComplete;
    if (t.state == TrialState::kComplete) t.values = {Loss(t.params)};
    history.push_back(std::move(t));
  }
  return history;
}

}  // namespace

TEST_CASE("contract: every parameter of the space, no other, each inside it") {
  for (const auto& type : kSamplerTypes) {
    CAPTURE(type);
    for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{0xfeedfacecafebeef}}) {
      auto sampler = Make(type, seed);
      for (const auto& trial : RunStudy(*sampler, 40)) {
        REQUIRE(trial.params.size() == kSpace.size());
        for (const auto& p : kSpace) {
          CAPTURE(p.name);
          REQUIRE(trial.params.count(p.name) == 1);
          CHECK(Contains(p.distribution, trial.params.at(p.name)));
        }
      }
    }
  }
}

TEST_CASE("contract: same seed and same history, same params, in any order of asking") {
  for (const auto& type : kSamplerTypes) {
    CAPTURE(type);
    auto first = Make(type, 42);
    const auto history = RunStudy(*first, 30);
    // A second process (or a resumed study) asks for the trials backwards,
    // each from the history its original saw.
    auto second = Make(type, 42);
    for (int64_t k = 29; k >= 0; --k) {
      CAPTURE(k);
      std::vector<TrialRecord> before(history.begin(), history.begin() + k);
      std::map<std::string, std::string> attrs;
      auto params = second->Sample({kSpace, kObjectives, before, k, &attrs});
      REQUIRE(params.ok());
      REQUIRE(params->has_value());
      CHECK(**params == history[static_cast<size_t>(k)].params);
      CHECK(attrs == history[static_cast<size_t>(k)].sampler_attrs);
    }
  }
}

TEST_CASE("contract: a sampler that does not read the history proposes the same without it") {
  for (const auto& type : kSamplerTypes) {
    CAPTURE(type);
    auto sampler = Make(type, 7);
    if (sampler->ReadsHistory()) continue;
    const auto history = RunStudy(*sampler, 20);
    auto blind = Make(type, 7);
    for (int64_t k = 0; k < 20; ++k) {
      CAPTURE(k);
      auto params = blind->Sample({kSpace, kObjectives, {}, k});
      REQUIRE(params.ok());
      REQUIRE(params->has_value());
      CHECK(**params == history[static_cast<size_t>(k)].params);
    }
  }
  CHECK_FALSE(Make("random", 1)->ReadsHistory());
  CHECK(Make("grid", 1)->ReadsHistory());
  CHECK(Make("tpe", 1)->ReadsHistory());
  CHECK(Make("cmaes", 1)->ReadsHistory());
  CHECK(Make("nsga2", 1)->ReadsHistory());
  CHECK(Make("auto", 1)->ReadsHistory());
  CHECK_FALSE(Make("qmc", 1)->ReadsHistory());
  CHECK(Make("gp", 1)->ReadsHistory());
}

TEST_CASE("contract: a different seed gives a different sequence") {
  for (const auto& type : kSamplerTypes) {
    CAPTURE(type);
    auto a = Make(type, 1);
    auto b = Make(type, 2);
    auto params = [](const std::vector<TrialRecord>& h) {
      std::vector<Params> out;
      for (const auto& t : h) out.push_back(t.params);
      return out;
    };
    CHECK(params(RunStudy(*a, 15)) != params(RunStudy(*b, 15)));
  }
}

}  // namespace gdsweep
