// The `auto` sampler: picks, per study and per point in the study's life, the
// sampler expected to do best, and says in the log which and why (once per
// change). The rules (ChooseSampler) are a pure function of the space, the
// objectives, the constraints and the history's size, so every worker and a
// resumed study pick alike. The default of a new study whose file names no
// sampler.type (docs/benchmarks.md "Samplers"). Not thread-safe (the Sampler
// contract).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "samplers/sampler.h"

namespace gdsweep {

struct AutoDecision {
  std::string type;  // the sampler type: "tpe", "gp", "cmaes" or "nsga2"
  std::string why;   // in words, for the log
};

// Trials after which a study of one objective leaves its first sampler (GP
// when there is one, TPE otherwise): TPE goes on, or CMA-ES for a space of
// two or more numeric parameters and nothing categorical.
inline constexpr size_t kAutoLongStudy = 200;
// Trials after which a study of several objectives goes from MOTPE to NSGA-II.
inline constexpr size_t kAutoManyObjectivesSwitch = 250;

// The rules. `gp_available`: this build has a `gp` sampler that accepts the
// space (MakeSampler builds it); until then its place is TPE's.
// `constraints`: the study names constraints; of one objective, TPE then
// (gp and CMA-ES do not read them).
AutoDecision ChooseSampler(const SearchSpace& space, size_t n_objectives, size_t n_trials,
                           bool gp_available, bool constraints = false);

// `spec` is the study's (its options of each sampler are used as given).
Result<std::unique_ptr<Sampler>> MakeAutoSampler(const SamplerSpec& spec, const SearchSpace& space,
                                                 uint64_t seed);

}  // namespace gdsweep
