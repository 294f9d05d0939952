#include "sweeper/bracket_sampler.h"

#include <algorithm>

namespace gdsweep {

Result<std::optional<Params>> BracketSampler::Sample(const SampleRequest& req) {
  const int bracket = pruner_.BracketOf(study_name_, req.trial_number);
  auto in_bracket = [&](const TrialRecord& t) {
    return pruner_.BracketOf(study_name_, t.number) == bracket;
  };
  if (std::all_of(req.history.begin(), req.history.end(), in_bracket)) {
    return inner_->Sample(req);  // brackets not fixed yet, or one bracket: no copy
  }
  bracket_.clear();
  std::copy_if(req.history.begin(), req.history.end(), std::back_inserter(bracket_), in_bracket);
  SampleRequest inner{req.space, req.objectives, bracket_, req.trial_number, req.new_trial_attrs};
  inner.given = req.given;
  return inner_->Sample(inner);
}

std::unique_ptr<Sampler> FilterByBracket(std::unique_ptr<Sampler> sampler, const Pruner* pruner,
                                         const std::string& study_name) {
  const auto* hyperband = dynamic_cast<const HyperbandPruner*>(pruner);
  if (!hyperband) return sampler;
  return std::make_unique<BracketSampler>(std::move(sampler), *hyperband, study_name);
}

}  // namespace gdsweep
