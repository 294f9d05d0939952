#include "samplers/cmaes_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "samplers/cmaes/cma.h"
#include "samplers/cmaes/margin.h"
#include "samplers/cmaes/restart.h"
#include "samplers/cmaes/state_json.h"
#include "samplers/numeric_space.h"
#include "samplers/random_sampler.h"
#include "samplers/seeding.h"

namespace gdsweep {
namespace {

using cmaes::OptimizerState;

constexpr uint64_t kAskStream = StreamId("gdsweep.cmaes.ask");
constexpr uint64_t kRestartStream = StreamId("gdsweep.cmaes.restart");
// A discrete dimension with more levels than this is handled as continuous
// (then rounded) under with_margin: its level list would be too long.
constexpr int64_t kMaxLevels = 100000;

std::string JsonList(const std::vector<double>& xs) {
  std::string s = "[";
  for (size_t i = 0; i < xs.size(); ++i) s += (i ? "," : "") + FormatDouble(xs[i]);
  return s + "]";
}

std::optional<std::vector<double>> ParseList(const std::string& text, size_t n) {
  std::vector<double> out;
  size_t pos = text.find('[');
  if (pos == std::string::npos) return std::nullopt;
  ++pos;
  while (out.size() < n) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str() + pos, &end);
    if (end == text.c_str() + pos) return std::nullopt;
    out.push_back(v);
    pos = static_cast<size_t>(end - text.c_str());
    while (pos < text.size() && (text[pos] == ',' || text[pos] == ' ')) ++pos;
  }
  return out;
}

std::optional<int64_t> ParseInt(const std::map<std::string, std::string>& attrs,
                                const std::string& key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return std::nullopt;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (end == it->second.c_str()) return std::nullopt;
  return v;
}

class CmaEsSampler final : public Sampler {
 public:
  CmaEsSampler(const CmaEsOptions& options, const SearchSpace& space, uint64_t seed)
      : options_(options),
        seed_(seed),
        space_(space),
        numeric_(space_, !options.with_margin),
        prefix_(options.use_separable_cma ? "gdsweep:sepcma:"
                : options.with_margin     ? "gdsweep:cmawm:"
                                          : "gdsweep:cma:"),
        strategy_(options.restart_strategy == "ipop"    ? cmaes::RestartStrategy::kIpop
                  : options.restart_strategy == "bipop" ? cmaes::RestartStrategy::kBipop
                                                        : cmaes::RestartStrategy::kNone) {
    if (options.with_margin) MakeLevels();
  }

  Result<std::optional<Params>> Sample(const SampleRequest& req) override;

 private:
  struct Told {
    OptimizerState state;
    bool changed = false;  // told (or restarted) now: store it with the new trial
  };

  void MakeLevels();
  OptimizerState Fresh(int run, int popsize, double sigma_factor, bool random_mean) const;
  bool Matches(const OptimizerState& s) const;
  OptimizerState Restore(const std::vector<const TrialRecord*>& complete) const;
  Told Advance(OptimizerState s, const std::vector<const TrialRecord*>& complete,
               Direction direction) const;
  std::vector<std::pair<std::vector<double>, double>> Solutions(
      const OptimizerState& s, const std::vector<const TrialRecord*>& complete,
      Direction direction) const;
  void Once(bool& flag, const std::string& message) {
    if (!flag) spdlog::warn("{}", message);
    flag = true;
  }

  const CmaEsOptions options_;
  const uint64_t seed_;
  const SearchSpace space_;
  const NumericSpace numeric_;
  const std::string prefix_;
  const cmaes::RestartStrategy strategy_;
  std::vector<cmaes::Levels> levels_;  // with_margin: per dimension
  bool warned_categorical_ = false, warned_small_ = false, warned_objectives_ = false;
};

void CmaEsSampler::MakeLevels() {
  for (size_t i = 0; i < numeric_.size(); ++i) {
    const Distribution& d = space_[numeric_.param(i)].distribution;
    cmaes::Levels l;
    auto size = GridSize(d);
    if (size && *size <= kMaxLevels) {
      for (int64_t k = 0; k < *size; ++k) l.values.push_back(numeric_.Encode(i, GridValue(d, k)));
    }
    levels_.push_back(std::move(l));
  }
}

OptimizerState CmaEsSampler::Fresh(int run, int popsize, double sigma_factor,
                                   bool random_mean) const {
  const auto& lo = numeric_.lower();
  const auto& hi = numeric_.upper();
  const size_t n = numeric_.size();
  std::vector<double> mean(n);
  Rng rng = MakeRng(seed_, run, kRestartStream);
  double min_range = INFINITY;
  for (size_t i = 0; i < n; ++i) {
    min_range = std::min(min_range, hi[i] - lo[i]);
    const std::string& name = numeric_.names()[i];
    if (random_mean) {
      mean[i] = lo[i] + (hi[i] - lo[i]) * UniformDouble(rng);
    } else if (auto it = options_.x0.find(name); it != options_.x0.end()) {
      mean[i] = std::clamp(numeric_.Encode(i, it->second), lo[i], hi[i]);
    } else {
      mean[i] = lo[i] + (hi[i] - lo[i]) / 2;
    }
  }
  double sigma = options_.sigma0.value_or(min_range / 6) * sigma_factor;
  sigma = std::max(sigma, 1e-10);
  OptimizerState s;
  s.names = numeric_.names();
  s.cma = cmaes::InitCma(std::move(mean), sigma, lo, hi, popsize, options_.use_separable_cma);
  if (options_.with_margin) s.margin = cmaes::InitMargin(s.cma);
  s.restart.run = run;
  return s;
}

bool CmaEsSampler::Matches(const OptimizerState& s) const {
  return s.names == numeric_.names() && s.cma.lower == numeric_.lower() &&
         s.cma.upper == numeric_.upper() && s.cma.separable == options_.use_separable_cma &&
         s.margin.has_value() == options_.with_margin;
}

// The optimiser as stored with the latest complete trial that has one; a
// fresh one when there is none; a fresh run after it when the space changed.
OptimizerState CmaEsSampler::Restore(const std::vector<const TrialRecord*>& complete) const {
  const int first_popsize = options_.popsize.value_or(0);
  for (auto it = complete.rbegin(); it != complete.rend(); ++it) {
    auto attr = (*it)->sampler_attrs.find(prefix_ + "state");
    if (attr == (*it)->sampler_attrs.end()) continue;
    auto s = cmaes::StateFromJson(attr->second);
    if (!s) {
      spdlog::warn("cmaes: trial {}'s stored optimizer is unreadable ({}); looking further back",
                   (*it)->number, s.error().message);
      continue;
    }
    if (Matches(*s)) return std::move(*s);
    return Fresh(s->restart.run + 1, first_popsize, 1, false);
  }
  return Fresh(0, first_popsize, 1, false);
}

// Tells the optimiser each generation that has popsize complete trials (a
// loop: the trial that stored a later state may have failed), restarting it
// when it stopped (restart_strategy).
CmaEsSampler::Told CmaEsSampler::Advance(OptimizerState s,
                                         const std::vector<const TrialRecord*>& complete,
                                         Direction direction) const {
  bool changed = false;
  for (;;) {
    auto solutions = Solutions(s, complete, direction);
    if (static_cast<int>(solutions.size()) < s.cma.popsize) return {std::move(s), changed};
    changed = true;
    if (s.margin) {
      cmaes::TellWithMargin(s.cma, *s.margin, levels_, std::move(solutions));
    } else {
      cmaes::Tell(s.cma, std::move(solutions));
    }
    if (strategy_ == cmaes::RestartStrategy::kNone || !cmaes::ShouldStop(s.cma)) continue;
    cmaes::RestartState rs = s.restart;
    Rng rng = MakeRng(seed_, rs.run + 1, kRestartStream ^ 1);
    const int base = options_.popsize.value_or(cmaes::DefaultPopsize(s.cma.dim));
    cmaes::NextRun next = cmaes::PlanRestart(strategy_, base, options_.inc_popsize, s.cma.popsize,
                                             s.cma.generation, rs, rng);
    spdlog::info("cmaes: run {} stopped after {} generations; restarting ({}) with population {}",
                 s.restart.run, s.cma.generation, options_.restart_strategy, next.popsize);
    OptimizerState fresh = Fresh(rs.run, next.popsize, next.sigma_factor, true);
    fresh.restart = rs;
    s = std::move(fresh);
  }
}

// The first popsize complete trials of the optimiser's current generation:
// their points (the raw draw under margin) and values, minimised.
std::vector<std::pair<std::vector<double>, double>> CmaEsSampler::Solutions(
    const OptimizerState& s, const std::vector<const TrialRecord*>& complete,
    Direction direction) const {
  std::vector<std::pair<std::vector<double>, double>> solutions;
  for (const TrialRecord* t : complete) {
    if (static_cast<int>(solutions.size()) == s.cma.popsize) break;
    if (ParseInt(t->sampler_attrs, prefix_ + "run") != s.restart.run ||
        ParseInt(t->sampler_attrs, prefix_ + "generation") != s.cma.generation) {
      continue;
    }
    std::optional<std::vector<double>> x;
    if (auto it = t->sampler_attrs.find(prefix_ + "x"); it != t->sampler_attrs.end()) {
      x = ParseList(it->second, numeric_.size());
    }
    if (!x) {
      x.emplace();
      for (size_t i = 0; i < numeric_.size(); ++i) {
        auto p = t->params.find(numeric_.names()[i]);
        if (p == t->params.end()) break;
        x->push_back(numeric_.Encode(i, p->second));
      }
      if (x->size() != numeric_.size()) continue;  // a trial without the parameter
    }
    double y = t->values.front();
    if (direction == Direction::kMaximize) y = -y;
    solutions.emplace_back(std::move(*x), std::clamp(y, -DBL_MAX, DBL_MAX));
  }
  return solutions;
}

Result<std::optional<Params>> CmaEsSampler::Sample(const SampleRequest& req) {
  if (req.objectives.size() != 1) {
    return Error::Invalid("the cmaes sampler optimises one objective; this study has " +
                          std::to_string(req.objectives.size()) + " (use nsga2 or tpe)");
  }
  // Categorical and single-valued parameters: random, as Optuna.
  Params params = UniformParams(req.space, seed_, req.trial_number);
  std::vector<const TrialRecord*> complete;
  for (const TrialRecord& t : req.history) {
    if (t.state == TrialState::kComplete && !t.values.empty()) complete.push_back(&t);
  }
  if (static_cast<int>(complete.size()) < options_.n_startup_trials) {
    return std::optional<Params>(std::move(params));
  }
  if (numeric_.size() < 2) {
    Once(warned_small_, "cmaes: CMA-ES needs two or more numeric parameters; this space has " +
                            std::to_string(numeric_.size()) +
                            ", so every parameter is drawn at random");
    return std::optional<Params>(std::move(params));
  }
  if (numeric_.size() < space_.size()) {
    std::string names;
    for (const auto& p : space_) {
      if (std::holds_alternative<CategoricalDistribution>(p.distribution))
        names += (names.empty() ? "" : ", ") + p.name;
    }
    if (!names.empty()) {
      Once(warned_categorical_, "cmaes: categorical parameters (" + names +
                                    ") are drawn at random; CMA-ES handles numbers only");
    }
  }
  const Direction direction = req.objectives.front().direction;
  Told told = Advance(Restore(complete), complete, direction);
  const OptimizerState& s = told.state;

  Rng rng = MakeRng(seed_, req.trial_number, kAskStream);
  const int max_resampling = 10 * s.cma.dim;
  std::vector<double> raw, x;
  if (s.margin) {
    cmaes::AskWithMargin(s.cma, *s.margin, levels_, rng, max_resampling, &raw, &x);
  } else {
    x = cmaes::Ask(s.cma, rng, max_resampling);
  }
  for (size_t i = 0; i < numeric_.size(); ++i) {
    params[numeric_.names()[i]] = numeric_.Decode(i, x[i]);
  }
  if (req.new_trial_attrs) {
    auto& attrs = *req.new_trial_attrs;
    attrs[prefix_ + "run"] = std::to_string(s.restart.run);
    attrs[prefix_ + "generation"] = std::to_string(s.cma.generation);
    if (told.changed) attrs[prefix_ + "state"] = cmaes::ToJson(s);
    if (s.margin) attrs[prefix_ + "x"] = JsonList(raw);
  }
  return std::optional<Params>(std::move(params));
}

}  // namespace

std::unique_ptr<Sampler> MakeCmaEsSampler(const CmaEsOptions& options, const SearchSpace& space,
                                          uint64_t seed) {
  return std::make_unique<CmaEsSampler>(options, space, seed);
}

}  // namespace gdsweep
