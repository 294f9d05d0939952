#include "samplers/sampler.h"

#include <spdlog/spdlog.h>

#include "samplers/auto_sampler.h"
#include "samplers/cmaes_sampler.h"
#include "samplers/gp/gp_sampler.h"
#include "samplers/grid_sampler.h"
#include "samplers/nsga2/crossover.h"
#include "samplers/nsga2_sampler.h"
#include "samplers/qmc/qmc_sampler.h"
#include "samplers/random_sampler.h"
#include "samplers/tpe/tpe_sampler.h"

namespace gdsweep {
namespace {

// The parser checks these with the file's line and column; checked again for
// specs built in code (benchmarks, tests).
Status CheckOptions(const SamplerSpec& spec) {
  const CmaEsOptions& c = spec.cmaes;
  if (c.sigma0 && !(*c.sigma0 > 0)) return Error::Invalid("cmaes: sigma0 must be positive");
  if (c.popsize && *c.popsize < 2) return Error::Invalid("cmaes: popsize must be at least 2");
  if (c.inc_popsize < 1) return Error::Invalid("cmaes: inc_popsize must be at least 1");
  if (c.n_startup_trials < 0) return Error::Invalid("cmaes: n_startup_trials must be >= 0");
  if (!c.restart_strategy.empty() && c.restart_strategy != "ipop" &&
      c.restart_strategy != "bipop") {
    return Error::Invalid("cmaes: restart_strategy must be ipop or bipop");
  }
  if (c.use_separable_cma && c.with_margin) {
    return Error::Invalid("cmaes: use_separable_cma and with_margin cannot be combined");
  }
  const Nsga2Options& n = spec.nsga2;
  auto kind = nsga2::CrossoverFromName(n.crossover);
  if (!kind) return Error::Invalid("nsga2: unknown crossover '" + n.crossover + "'");
  if (n.population_size < nsga2::ParentsOf(*kind)) {
    return Error::Invalid("nsga2: population_size must be at least " +
                          std::to_string(nsga2::ParentsOf(*kind)) + " with crossover " +
                          n.crossover);
  }
  auto unit = [](double p) { return p >= 0 && p <= 1; };
  if ((n.mutation_prob && !unit(*n.mutation_prob)) || !unit(n.crossover_prob) ||
      !unit(n.swapping_prob)) {
    return Error::Invalid("nsga2: probabilities must be in [0, 1]");
  }
  return {};
}

}  // namespace

Result<std::optional<Params>> SampleGiven(Sampler& sampler, const SampleRequest& req,
                                          uint64_t seed) {
  auto proposed = sampler.Sample(req);
  if (!proposed || !*proposed || !req.given) return proposed;
  Params merged;
  for (const auto& p : req.space) {
    if (!IsActive(p, merged)) continue;
    if (auto g = req.given->find(p.name); g != req.given->end()) {
      merged[p.name] = g->second;
    } else if (auto it = (*proposed)->find(p.name); it != (*proposed)->end()) {
      merged[p.name] = it->second;
    } else {
      spdlog::warn(
          "trial {}: the sampler proposed no value for '{}', which the queued point's values "
          "make active; drawn at random",
          req.trial_number, p.name);
      Rng rng = MakeRng(seed, req.trial_number, StreamId(p.name));
      merged[p.name] = SampleUniform(p.distribution, rng);
    }
  }
  return std::optional<Params>(std::move(merged));
}

Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space,
                                             uint64_t seed) {
  // The parser validates the space; checked again here because a sampler's
  // math (a log of low, a grid size) is undefined on an invalid distribution.
  for (const auto& p : space) {
    if (p.fixed && IsSingle(p.distribution)) continue;  // low == high, as Optuna records a constant
    if (auto s = Validate(p.distribution); !s) {
      return s.error().Wrap("search space: parameter '" + p.name + "'");
    }
  }
  if (auto s = CheckOptions(spec); !s) return s.error();
  if (spec.type == "random") return std::unique_ptr<Sampler>(new RandomSampler(seed));
  if (spec.type == "grid") {
    auto grid = GridSampler::Make(space, spec.grid_values, seed);
    if (!grid) return grid.error();
    return std::unique_ptr<Sampler>(std::move(*grid));
  }
  if (spec.type == "tpe") return MakeTpeSampler(spec.tpe, space, seed);
  if (spec.type == "cmaes") return MakeCmaEsSampler(spec.cmaes, space, seed);
  if (spec.type == "nsga2") return MakeNsga2Sampler(spec.nsga2, space, seed);
  if (spec.type == "qmc") return MakeQmcSampler(spec.qmc, space, seed);
  if (spec.type == "gp") return MakeGpSampler(spec.gp, space, seed);
  if (spec.type == "auto") return MakeAutoSampler(spec, space, seed);
  return Error::Invalid("unknown sampler '" + spec.type +
                        "' (this build has: random, grid, tpe, cmaes, nsga2, qmc, gp, auto)");
}

}  // namespace gdsweep
