#include "samplers/sampler.h"

#include <doctest/doctest.h>

namespace gdsweep {

TEST_CASE("the factory builds the samplers it knows and names the ones it does not") {
  SearchSpace space = {{"x", IntDistribution{0, 3, false, 1}}};
  SamplerSpec spec;
  for (const char* type : {"random", "grid"}) {
    spec.type = type;
    CHECK(MakeSampler(spec, space, 1).ok());
  }
  spec.type = "anneal";
  auto unknown = MakeSampler(spec, space, 1);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == Error::Kind::kInvalidInput);
  CHECK(unknown.error().message.find("unknown sampler 'anneal'") != std::string::npos);
}

TEST_CASE("the factory refuses an invalid distribution, naming the parameter") {
  SearchSpace space = {{"lr", FloatDistribution{0, 1, true, std::nullopt}}};
  SamplerSpec spec;
  spec.type = "random";
  auto sampler = MakeSampler(spec, space, 1);
  REQUIRE_FALSE(sampler.ok());
  CHECK(sampler.error().message == "search space: parameter 'lr': log scale needs low > 0");
}

TEST_CASE("the grid factory refuses a continuous float") {
  SearchSpace space = {{"lr", FloatDistribution{0, 1, false, std::nullopt}}};
  SamplerSpec spec;
  spec.type = "grid";
  auto sampler = MakeSampler(spec, space, 1);
  REQUIRE_FALSE(sampler.ok());
  CHECK(sampler.error().kind == Error::Kind::kInvalidInput);
  CHECK(sampler.error().message.find("parameter 'lr'") != std::string::npos);
}

}  // namespace gdsweep
