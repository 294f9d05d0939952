#include "samplers/auto_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "samplers/nsga2_sampler.h"
#include "samplers/numeric_space.h"

namespace gdsweep {
namespace {

size_t CountCategorical(const SearchSpace& space) {
  return static_cast<size_t>(std::count_if(space.begin(), space.end(), [](const Parameter& p) {
    return std::holds_alternative<CategoricalDistribution>(p.distribution);
  }));
}

class AutoSampler final : public Sampler {
 public:
  AutoSampler(const SamplerSpec& spec, const SearchSpace& space, uint64_t seed, bool gp_available)
      : spec_(spec), space_(space), seed_(seed), gp_available_(gp_available) {}

  Result<std::optional<Params>> Sample(const SampleRequest& req) override {
    AutoDecision d = ChooseSampler(req.space, req.objectives.size(), req.history.size(),
                                   gp_available_, spec_.tpe.constraints);
    auto sampler = Get(d.type, req);
    if (!sampler) return sampler.error();
    if (d.type != last_) {
      spdlog::info("sampler auto: {} from trial {} ({})", d.type, req.trial_number, d.why);
      last_ = d.type;
    }
    auto params = (*sampler)->Sample(req);
    // MOTPE's trials form NSGA-II's generation 0, so NSGA-II starts from
    // their elite when the study switches to it.
    if (params && d.type == "tpe" && req.objectives.size() > 1 && req.new_trial_attrs) {
      (*req.new_trial_attrs)[kNsga2GenerationAttr] = "0";
    }
    return params;
  }

 private:
  Result<Sampler*> Get(const std::string& type, const SampleRequest& req) {
    auto it = samplers_.find(type);
    if (it != samplers_.end()) return it->second.get();
    SamplerSpec spec = spec_;
    spec.type = type;
    if (type == "cmaes" && spec.cmaes.x0.empty()) spec.cmaes.x0 = BestParams(req);
    auto made = MakeSampler(spec, space_, seed_);
    if (!made) return made.error();
    return (samplers_[type] = std::move(*made)).get();
  }

  // CMA-ES starts from the best trial of the first kAutoLongStudy (those
  // the switch came after, the same in every process).
  Params BestParams(const SampleRequest& req) const {
    const TrialRecord* best = nullptr;
    const bool maximize = req.objectives.front().direction == Direction::kMaximize;
    for (size_t i = 0; i < std::min(req.history.size(), kAutoLongStudy); ++i) {
      const TrialRecord& t = req.history[i];
      if (t.state != TrialState::kComplete || t.values.empty()) continue;
      const double v = t.values.front();
      if (!best || (maximize ? v > best->values.front() : v < best->values.front())) best = &t;
    }
    return best ? best->params : Params{};
  }

  const SamplerSpec spec_;
  const SearchSpace space_;
  const uint64_t seed_;
  const bool gp_available_;
  std::map<std::string, std::unique_ptr<Sampler>> samplers_;
  std::string last_;
};

}  // namespace

AutoDecision ChooseSampler(const SearchSpace& space, size_t n_objectives, size_t n_trials,
                           bool gp_available, bool constraints) {
  if (IsConditional(space)) {
    return {"tpe", "conditional parameters (when:): TPE models each where it is present"};
  }
  if (constraints && n_objectives == 1) {
    return {"tpe", "constraints: TPE ranks feasible trials first (gp and CMA-ES ignore them)"};
  }
  if (n_objectives > 1) {
    if (n_trials < kAutoManyObjectivesSwitch) {
      return {"tpe", "several objectives and fewer than " +
                         std::to_string(kAutoManyObjectivesSwitch) +
                         " trials: MOTPE is the more sample-efficient"};
    }
    return {"nsga2", "several objectives and " + std::to_string(kAutoManyObjectivesSwitch) +
                         "+ trials: NSGA-II, starting from MOTPE's best as its first generation"};
  }
  const size_t categorical = CountCategorical(space);
  if (2 * categorical > space.size()) {
    return {"tpe", "mostly categorical parameters: TPE models them directly"};
  }
  if (n_trials < kAutoLongStudy) {
    if (gp_available) return {"gp", "a short study of mostly numeric parameters: GP"};
    return {"tpe",
            "a short study of mostly numeric parameters (GP would be used here; this "
            "build has none)"};
  }
  size_t numeric = 0;
  for (const auto& p : space) numeric += IsNumeric(p.distribution) ? 1 : 0;
  if (categorical == 0 && numeric >= 2) {
    return {"cmaes", std::to_string(kAutoLongStudy) +
                         "+ trials of numeric parameters: CMA-ES, from the best trial so far"};
  }
  return {"tpe", std::to_string(kAutoLongStudy) + "+ trials with categorical parameters: TPE"};
}

Result<std::unique_ptr<Sampler>> MakeAutoSampler(const SamplerSpec& spec, const SearchSpace& space,
                                                 uint64_t seed) {
  // GP takes part once this build has it and it accepts the space: the only
  // switch there is (see the coordinator's note in docs/study-file.md).
  SamplerSpec gp = spec;
  gp.type = "gp";
  const bool gp_available = MakeSampler(gp, space, seed).ok();
  return std::unique_ptr<Sampler>(new AutoSampler(spec, space, seed, gp_available));
}

}  // namespace gdsweep
