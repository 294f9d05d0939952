// The Sampler seam: given the search space, the objectives and the whole
// trial history of a study (RUNNING and WAITING trials included), propose the
// parameters of the next trial. A sampler does no I/O; the engine calls it
// inside the storage transaction that inserts the new trial, so two workers
// never see the same history. Implementations are not thread-safe; the engine
// owns one per `gdsweep run` process and may keep caches between calls
// (finished trials never change).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/model/trial.h"

namespace gdsweep {

struct SampleRequest {
  const SearchSpace& space;
  const std::vector<Objective>& objectives;
  // Every trial of the study in number order, any state, any sweep tag.
  const std::vector<TrialRecord>& history;
  int64_t trial_number = 0;  // the number the new trial will get
  // Where a sampler that keeps state in the study (CMA-ES, NSGA-II, GP) puts the
  // trial system attributes to store with the new trial (key -> JSON text;
  // keys as TrialRecord::sampler_attrs); they come back in the history.
  // nullptr: nothing is stored (a preview).
  std::map<std::string, std::string>* new_trial_attrs = nullptr;
  // A queued point's given values (Optuna's enqueue_trial "fixed_params"),
  // nullptr: none. A sampler that honours them (tpe, random, grid) keeps each
  // given value and proposes the rest with those values taken as chosen, so a
  // parameter a given value makes active is proposed too. SampleGiven merges
  // for the samplers that do not.
  const Params* given = nullptr;
};

class Sampler {
 public:
  virtual ~Sampler() = default;

  // The parameters for trial `req.trial_number`: every parameter of the space
  // that is active (IsActive over the values chosen for the parameters before
  // it) present and Contains()-valid, every inactive one absent
  // (HasExactlyActive holds); a fixed parameter has its one value. Walk the
  // space in order: parents come before the parameters that depend on them.
  // History trials may lack parameters (conditional ones, or an Optuna
  // define-by-run study). nullopt when the sampler has nothing left to
  // propose (a grid whose every point is taken).
  virtual Result<std::optional<Params>> Sample(const SampleRequest& req) = 0;

  // False when Sample() never looks at req.history (random search): the
  // engine then skips reading the history before each trial.
  virtual bool ReadsHistory() const { return true; }
};

// The sampler's proposal for a queued point that gives some parameters:
// Sample with req.given set, then each given value wins over the proposal, an
// inactive parameter is dropped, and an active one the sampler left out (it
// proposed other values for its parents) is drawn at random with `seed`, with
// a warning. The result has exactly the active parameters (HasExactlyActive).
Result<std::optional<Params>> SampleGiven(Sampler& sampler, const SampleRequest& req,
                                          uint64_t seed);

// Builds the sampler the spec names. `seed` is the study's effective seed
// (the spec's, or the one stored when the study was created).
Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space,
                                             uint64_t seed);

}  // namespace gdsweep
