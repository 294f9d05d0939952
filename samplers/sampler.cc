#include "samplers/sampler.h"

#include "samplers/gp/gp_sampler.h"
#include "samplers/grid_sampler.h"
#include "samplers/qmc/qmc_sampler.h"
#include "samplers/random_sampler.h"
#include "samplers/tpe/tpe_sampler.h"

namespace gdsweep {

Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space,
                                             uint64_t seed) {
  // The parser validates the space; checked again here because a sampler's
  // math (a log of low, a grid size) is undefined on an invalid distribution.
  for (const auto& p : space) {
    if (auto s = Validate(p.distribution); !s) {
      return s.error().Wrap("search space: parameter '" + p.name + "'");
    }
  }
  if (spec.type == "random") return std::unique_ptr<Sampler>(new RandomSampler(seed));
  if (spec.type == "grid") {
    auto grid = GridSampler::Make(space, spec.grid_values, seed);
    if (!grid) return grid.error();
    return std::unique_ptr<Sampler>(std::move(*grid));
  }
  if (spec.type == "tpe") return MakeTpeSampler(spec.tpe, space, seed);
  if (spec.type == "qmc") return MakeQmcSampler(spec.qmc, space, seed);
  if (spec.type == "gp") return MakeGpSampler(spec.gp, space, seed);
  return Error::Invalid("unknown sampler '" + spec.type +
                        "' (this build has: random, grid, tpe, qmc, gp)");
}

}  // namespace gdsweep
