// The quasi-random sampler (`sampler: {type: qmc}`), as Optuna's QMCSampler:
// trial n gets point n of a scrambled Sobol or Halton sequence over the whole
// space (one dimension per parameter, in the study file's order), mapped to
// each parameter by samplers/qmc/unit_space.h. The point is a pure function of
// (seed, trial number): parallel workers and a resumed study take their own
// points of the same sequence, and the history is never read. Thread-safe: it
// holds only its options.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "samplers/sampler.h"

namespace gdsweep {

// Point `index` of the sequence as parameters of `space` (at most
// kMaxQmcDimension of them); the GP sampler's start-up trials use it too.
Params QmcParams(const SearchSpace& space, bool halton, std::optional<uint64_t> scramble_seed,
                 uint64_t index);

std::unique_ptr<Sampler> MakeQmcSampler(const QmcOptions& options, const SearchSpace& space,
                                        uint64_t seed);

}  // namespace gdsweep
