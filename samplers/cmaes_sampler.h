// The CMA-ES sampler, as Optuna's CmaEsSampler: random search until
// n_startup_trials trials are complete, then one CMA-ES (samplers/cmaes/)
// over the numeric parameters, a generation being popsize complete trials;
// categorical parameters are drawn at random (with a warning, as Optuna). A
// space with fewer than two numeric parameters falls back to random search,
// as Optuna does. Single objective only.
//
// State lives in the study, so a resumed study and several workers continue
// the same generation: every trial CMA-ES proposes carries the trial system
// attributes "gdsweep:<variant>:run" and ":generation" (variant cma, sepcma
// or cmawm), the first trial of each generation the optimiser as JSON
// (":state"), and with margin each trial its raw point (":x"). A generation
// is told once popsize of its trials are complete (the first popsize by
// number); trials proposed meanwhile belong to it as well. The parameters
// of trial n are a pure function of (seed, n, the history). Not thread-safe
// (the Sampler contract).
#pragma once

#include <cstdint>
#include <memory>

#include "samplers/sampler.h"

namespace gdsweep {

std::unique_ptr<Sampler> MakeCmaEsSampler(const CmaEsOptions& options, const SearchSpace& space,
                                          uint64_t seed);

}  // namespace gdsweep
