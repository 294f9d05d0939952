// The NSGA-II sampler, as Optuna 3.1's NSGAIISampler: generation 0 is drawn
// at random; once population_size trials of a generation are complete, they
// and the previous parents are cut to the elite population
// (samplers/nsga2/selection.h), and each later trial is a child of two (or
// three) parents picked by binary tournament: crossed over with probability
// crossover_prob (else a copy of one parent), then each parameter redrawn at
// random with probability mutation_prob. Categorical parameters always cross
// uniformly. For one or several objectives (one objective: plain ranking).
// Selection and tournaments use constrained domination on the trials'
// constraint values (the study's `constraints:`), as Optuna 3.1's with a
// constraints_func: feasible trials before infeasible ones, infeasible ones
// by their total violation, trials without constraint values after those
// with them; without any constraint values, plain domination.
//
// Each trial carries its generation in the trial system attribute
// "nsga2:generation", as Optuna writes it, so Optuna's NSGAIISampler reads a
// gdsweep study and continues it, and the other way round; trials without it
// (another sampler's) take no part. The parameters of trial n are a pure
// function of (seed, n, the history). Not thread-safe (the Sampler contract).
#pragma once

#include <cstdint>
#include <memory>

#include "samplers/sampler.h"

namespace gdsweep {

// The generation attribute Optuna's NSGAIISampler keeps on every trial.
inline constexpr const char* kNsga2GenerationAttr = "nsga2:generation";

std::unique_ptr<Sampler> MakeNsga2Sampler(const Nsga2Options& options, const SearchSpace& space,
                                          uint64_t seed);

}  // namespace gdsweep
