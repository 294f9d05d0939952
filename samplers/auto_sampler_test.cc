// The auto sampler: its rules, and the switch from MOTPE to NSGA-II that
// starts from MOTPE's trials.
#include "samplers/auto_sampler.h"

#include <doctest/doctest.h>

#include "samplers/sampler_test_support.h"

namespace gdsweep {
namespace {

const Distribution kFloat = FloatDistribution{0, 1};
const Distribution kCat = CategoricalDistribution{{Choice{"a"}, Choice{"b"}}};

SearchSpace Space(int floats, int categoricals) {
  SearchSpace s;
  for (int i = 0; i < floats; ++i) s.push_back({"f" + std::to_string(i), kFloat});
  for (int i = 0; i < categoricals; ++i) s.push_back({"c" + std::to_string(i), kCat});
  return s;
}

}  // namespace

TEST_CASE("auto's rules: per study and per point in its life") {
  // Several objectives: MOTPE, then NSGA-II.
  CHECK(ChooseSampler(Space(3, 0), 2, 0, false).type == "tpe");
  CHECK(ChooseSampler(Space(3, 0), 2, kAutoManyObjectivesSwitch - 1, true).type == "tpe");
  CHECK(ChooseSampler(Space(3, 0), 2, kAutoManyObjectivesSwitch, true).type == "nsga2");
  // Mostly categorical: TPE throughout.
  CHECK(ChooseSampler(Space(1, 2), 1, 0, true).type == "tpe");
  CHECK(ChooseSampler(Space(1, 2), 1, 5000, true).type == "tpe");
  // Mostly numeric, short: GP when there is one, else TPE.
  CHECK(ChooseSampler(Space(3, 1), 1, 10, true).type == "gp");
  CHECK(ChooseSampler(Space(3, 1), 1, 10, false).type == "tpe");
  // Long: CMA-ES for all-numeric spaces of 2+ parameters, TPE otherwise.
  CHECK(ChooseSampler(Space(3, 0), 1, kAutoLongStudy, true).type == "cmaes");
  CHECK(ChooseSampler(Space(1, 0), 1, kAutoLongStudy, true).type == "tpe");
  CHECK(ChooseSampler(Space(3, 1), 1, kAutoLongStudy, true).type == "tpe");
  CHECK(ChooseSampler(Space(3, 1), 1, 10, false).why.find("GP") != std::string::npos);
  // Constraints: TPE for one objective (it reads them; gp and CMA-ES do not),
  // MOTPE then NSGA-II (both read them) for several.
  CHECK(ChooseSampler(Space(3, 0), 1, 10, true, true).type == "tpe");
  CHECK(ChooseSampler(Space(3, 0), 1, kAutoLongStudy, true, true).type == "tpe");
  CHECK(ChooseSampler(Space(3, 0), 2, kAutoManyObjectivesSwitch, true, true).type == "nsga2");
}

TEST_CASE("auto in a study of two objectives: MOTPE's trials become NSGA-II's generation 0") {
  const SearchSpace space = Space(2, 0);
  const std::vector<Objective> two = {{"a", Direction::kMinimize}, {"b", Direction::kMinimize}};
  SamplerSpec spec;
  spec.type = "auto";
  spec.nsga2.population_size = 10;
  auto sampler = MakeSampler(spec, space, 1);
  REQUIRE(sampler.ok());
  std::vector<TrialRecord> h;
  auto f = [](const Params& p) {
    return std::vector<double>{p.at("f0"), 1 - p.at("f0") + p.at("f1")};
  };
  for (size_t k = 0; k < kAutoManyObjectivesSwitch + 3; ++k) {
    testing::AskAndTell(**sampler, space, two, h, f);
  }
  CHECK(h[0].sampler_attrs.at("nsga2:generation") == "0");
  CHECK(h[kAutoManyObjectivesSwitch - 1].sampler_attrs.at("nsga2:generation") == "0");
  // NSGA-II: generation 0 (250 trials) is complete, so the next is 1.
  CHECK(h[kAutoManyObjectivesSwitch].sampler_attrs.at("nsga2:generation") == "1");
}

TEST_CASE("auto in a long single-objective numeric study goes on with CMA-ES") {
  const SearchSpace space = Space(2, 0);
  const std::vector<Objective> one = {{"loss", Direction::kMinimize}};
  SamplerSpec spec;
  spec.type = "auto";
  auto sampler = MakeSampler(spec, space, 2);
  REQUIRE(sampler.ok());
  std::vector<TrialRecord> h;
  auto f = [](const Params& p) { return std::vector<double>{p.at("f0") + p.at("f1")}; };
  for (size_t k = 0; k < kAutoLongStudy + 2; ++k) testing::AskAndTell(**sampler, space, one, h, f);
  // Until then gp, which keeps its kernel memory with each trial.
  CHECK(h[kAutoLongStudy - 1].sampler_attrs.count("gdsweep:gp:kernel") == 1);
  CHECK(h[kAutoLongStudy - 1].sampler_attrs.count("gdsweep:cma:generation") == 0);
  CHECK(h[kAutoLongStudy].sampler_attrs.count("gdsweep:cma:generation") == 1);
}

TEST_CASE("auto takes TPE for a space with conditional parameters") {
  SearchSpace space = Space(3, 0);
  space.push_back({"opt", kCat});
  Parameter momentum{"momentum", kFloat};
  momentum.when = {Condition{"opt", {0}}};
  space.push_back(momentum);
  for (size_t trials : {size_t{0}, size_t{1000}}) {
    CHECK(ChooseSampler(space, 1, trials, true).type == "tpe");
    CHECK(ChooseSampler(space, 2, trials, true).type == "tpe");
  }
}

}  // namespace gdsweep
