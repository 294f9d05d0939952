// RandomSampler: every parameter drawn independently and uniformly (in log
// space for log distributions), as Optuna's RandomSampler. The draw for trial n
// is a pure function of (seed, n, parameter name); the history is not read.
// Thread-safe: it holds only its seed, so concurrent Sample calls are fine.
#pragma once

#include <cstdint>

#include "samplers/sampler.h"
#include "samplers/seeding.h"

namespace gdsweep {

class RandomSampler final : public Sampler {
 public:
  explicit RandomSampler(uint64_t seed) : seed_(seed) {}

  Result<std::optional<Params>> Sample(const SampleRequest& req) override;
  bool ReadsHistory() const override { return false; }

 private:
  uint64_t seed_;
};

// One uniform draw from `d` in the internal representation, Contains()-valid:
// float uniform; log float log-uniform; stepped float, int and categorical
// uniform over their grid points; log int as Optuna (log-uniform over
// [low - 0.5, high + 0.5], then rounded onto the grid and clamped).
double SampleUniform(const Distribution& d, Rng& rng);

// Every parameter of `space` drawn as RandomSampler draws trial
// `trial_number`'s: what samplers use for their random trials and parameters.
// A parameter in `given` (a queued point's values) keeps its value.
Params UniformParams(const SearchSpace& space, uint64_t seed, int64_t trial_number,
                     const Params* given = nullptr);

}  // namespace gdsweep
