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
  // Where a sampler that keeps state in the study (CMA-ES, NSGA-II) puts the
  // trial system attributes to store with the new trial (key -> JSON text;
  // keys as TrialRecord::sampler_attrs); they come back in the history.
  // nullptr: nothing is stored (a preview).
  std::map<std::string, std::string>* new_trial_attrs = nullptr;
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

// Builds the sampler the spec names. `seed` is the study's effective seed
// (the spec's, or the one stored when the study was created).
Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space,
                                             uint64_t seed);

}  // namespace gdsweep
