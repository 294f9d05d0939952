// The Gaussian-process sampler (`sampler: {type: gp}`), after Optuna 4's
// GPSampler: the first n_startup_trials COMPLETE trials are quasi-random
// (scrambled Sobol, point = trial number); then a GP (gp_regression.h) is
// fitted to the COMPLETE trials (parameters scaled to [0,1], log ones in log
// space; objective standardised, its worse half squeezed logarithmically)
// with the ARD or the additive kernel, whichever the data favour
// (kernel_selection.h; compared every few trials, each fit starting from the
// last one's hyperparameters: kernel_memory.h), RUNNING and WAITING trials
// are added at the GP's predicted mean (kriging believer: a point being
// evaluated loses its expected improvement, so parallel workers spread out),
// and the point maximising log expected improvement (acquisition.h) over the
// best posterior mean at the trials so far (not the best observed value,
// which noise inflates) is proposed, rounded onto ints, steps and choices.
// Single objective. FAIL and PRUNED trials are ignored. Past kMaxFitTrials
// COMPLETE trials the GP sees the best half of that many and a seeded
// subsample of the rest, so a suggestion's time and memory stop growing with
// the history (O(kMaxFitTrials^2) memory); its hyperparameters are fitted on
// at most kMaxHyperparameterTrials of those.
//
// The parameters of trial n are a pure function of (seed, n, the history).
// Not thread-safe (the Sampler contract).
#pragma once

#include <cstdint>
#include <memory>

#include "samplers/sampler.h"

namespace gdsweep {

// The most COMPLETE trials the GP conditions on, and the most its
// hyperparameters are fitted to (each a best half and a seeded subsample).
constexpr size_t kMaxFitTrials = 300;
constexpr size_t kMaxHyperparameterTrials = 100;

// Fails on a space without a float or int parameter (the parser refuses it
// first, pointing at the study file).
Result<std::unique_ptr<Sampler>> MakeGpSampler(const GpOptions& options, const SearchSpace& space,
                                               uint64_t seed);

}  // namespace gdsweep
