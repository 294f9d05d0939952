// A Sampler decorator for studies pruned by Hyperband: the wrapped sampler
// sees only the trials of the new trial's bracket, as Optuna 3.1's samplers
// do (optuna.pruners._filter_study). The brackets are the study's own pruner's
// (HyperbandPruner::BracketOf): until it has fixed them, every trial is in
// bracket 0 and nothing is filtered. Not thread-safe; the pruner must outlive
// the sampler and not be used from another thread during Sample().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pruners/hyperband_pruner.h"
#include "samplers/sampler.h"

namespace gdsweep {

class BracketSampler final : public Sampler {
 public:
  BracketSampler(std::unique_ptr<Sampler> inner, const HyperbandPruner& pruner,
                 std::string study_name)
      : inner_(std::move(inner)), pruner_(pruner), study_name_(std::move(study_name)) {}

  Result<std::optional<Params>> Sample(const SampleRequest& req) override;
  bool ReadsHistory() const override { return inner_->ReadsHistory(); }

 private:
  std::unique_ptr<Sampler> inner_;
  const HyperbandPruner& pruner_;
  std::string study_name_;
  std::vector<TrialRecord> bracket_;  // the last request's bracket, reused
};

// `sampler` itself unless `pruner` is a HyperbandPruner (not one wrapped by
// another pruner: Optuna filters only for a HyperbandPruner itself); then
// `sampler` wrapped in a BracketSampler over it.
std::unique_ptr<Sampler> FilterByBracket(std::unique_ptr<Sampler> sampler, const Pruner* pruner,
                                         const std::string& study_name);

}  // namespace gdsweep
