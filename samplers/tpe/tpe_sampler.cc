#include "samplers/tpe/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "samplers/seeding.h"
#include "samplers/tpe/observation_cache.h"
#include "samplers/tpe/parzen_estimator.h"
#include "samplers/tpe/search_space_groups.h"
#include "samplers/tpe/tpe_split.h"

namespace gdsweep {
namespace {

using tpe::ObservationCache;
using tpe::ParamDomain;

constexpr double kSamplerInf = std::numeric_limits<double>::infinity();
// The random stream of a multivariate trial (univariate ones use one stream
// per parameter, StreamId(name), as random sampling does).
constexpr uint64_t kJointStream = StreamId("gdsweep.tpe.multivariate");

// A uniform draw from `d`, as random sampling: float uniform; log float
// log-uniform; stepped float, int and categorical uniform over the grid; log
// int log-uniform over [low - 1/2, high + 1/2], then rounded.
double UniformValue(const Distribution& d, Rng& rng) {
  auto between = [&](double lo, double hi) { return lo + UniformDouble(rng) * (hi - lo); };
  if (const auto* f = std::get_if<FloatDistribution>(&d); f && !f->step) {
    if (f->log) return Snap(d, std::exp(between(std::log(f->low), std::log(f->high))));
    return Snap(d, between(f->low, f->high));
  }
  if (const auto* i = std::get_if<IntDistribution>(&d); i && i->log) {
    return Snap(d, std::exp(between(std::log(static_cast<double>(i->low) - 0.5),
                                    std::log(static_cast<double>(i->high) + 0.5))));
  }
  return GridValue(d, static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(*GridSize(d)))));
}

// Optuna leaves single-valued distributions out of TPE: they have one value.
double OnlyValue(const Distribution& d) { return GridSize(d) ? GridValue(d, 0) : Snap(d, 0); }

class TpeSampler final : public Sampler {
 public:
  TpeSampler(const TpeOptions& options, const SearchSpace& space, uint64_t seed)
      : options_(options), seed_(seed) {
    est_options_.consider_prior = options.consider_prior;
    est_options_.prior_weight = options.prior_weight;
    est_options_.consider_magic_clip = options.consider_magic_clip;
    est_options_.consider_endpoints = options.consider_endpoints;
    est_options_.multivariate = options.multivariate || options.group;
    Reset(space, {});
  }

  Result<std::optional<Params>> Sample(const SampleRequest& req) override;

 private:
  enum Role : uint8_t { kBelow = 1, kAbove = 2 };
  // A trial that takes part, in history order: a cached finished trial, or
  // (constant_liar) a running one.
  struct Item {
    uint32_t entry;    // ObservationCache index, kNone for a running trial
    uint32_t running;  // row of running_model_
    int64_t number;
    uint8_t role;
    double weight;  // MOTPE's hypervolume weight when good; else unused
  };
  // One observation of one parameter.
  struct Obs {
    double x;
    int64_t number;
    double weight;
  };
  static bool Before(const Obs& a, const Obs& b) {
    return a.x < b.x || (a.x == b.x && a.number < b.number);
  }

  void Reset(const SearchSpace& space, const std::vector<Objective>& objectives);
  size_t Collect(const std::vector<TrialRecord>& history);
  void Split(size_t n_finished);
  // With constraints: fills below_flags_ as Optuna 3.1 does (feasible trials
  // first, tpe::SplitConstrained).
  void SplitConstrained(size_t n_below);
  double Value(const Item& item, size_t d) const {
    return item.entry != ObservationCache::kNone
               ? cache_.model(item.entry, d)
               : running_model_[item.running * domains_.size() + d];
  }
  double SampleIndependent(size_t d, int64_t trial_number);
  // The groups of parameters (space indices) sampled jointly: Optuna's
  // intersection search space, or its group decomposition; single-valued
  // parameters left out.
  std::vector<std::vector<size_t>> JointGroups(const std::vector<TrialRecord>& history) const;
  void SampleJoint(const std::vector<size_t>& dims, uint64_t stream, int64_t trial_number,
                   Params& params);
  size_t BestCandidate(size_t count) const;

  const TpeOptions options_;
  const uint64_t seed_;
  tpe::EstimatorOptions est_options_;
  SearchSpace space_;
  std::vector<Objective> objectives_;
  std::vector<ParamDomain> domains_;
  ObservationCache cache_;

  // Per-call scratch, kept to avoid allocating on every trial.
  std::vector<Item> items_;
  std::vector<double> running_model_;
  std::vector<uint8_t> entry_role_;
  std::vector<uint32_t> entry_rank_;
  std::vector<tpe::RankKey> keys_;
  std::vector<double> mo_values_;
  std::vector<uint8_t> below_flags_;
  std::vector<Obs> below_obs_, running_obs_;
  std::vector<double> below_w_, above_w_;
  std::vector<std::vector<double>> below_cols_, above_cols_;
  tpe::ParzenEstimator below_est_, above_est_;
  std::vector<double> candidates_, log_l_, log_g_;
};

void TpeSampler::Reset(const SearchSpace& space, const std::vector<Objective>& objectives) {
  space_ = space;
  objectives_ = objectives;
  domains_.clear();
  for (size_t d = 0; d < space.size(); ++d)
    domains_.push_back(tpe::MakeDomain(space[d].distribution));
  cache_.Reset(space_, domains_, objectives_);
  below_cols_.assign(domains_.size(), {});
  above_cols_.assign(domains_.size(), {});
}

// Fills items_ from the history; returns the number of finished trials that
// take part (COMPLETE, and PRUNED in single-objective studies).
size_t TpeSampler::Collect(const std::vector<TrialRecord>& history) {
  items_.clear();
  running_model_.clear();
  size_t n_finished = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    const TrialRecord& t = history[i];
    if (t.state == TrialState::kComplete || t.state == TrialState::kPruned) {
      uint32_t e = cache_.Intern(t, i);
      if (e == ObservationCache::kNone) continue;
      items_.push_back({e, 0, t.number, kAbove, 1.0});
      ++n_finished;
    } else if (t.state == TrialState::kRunning && options_.constant_liar) {
      auto row =
          static_cast<uint32_t>(running_model_.size() / std::max<size_t>(domains_.size(), 1));
      running_model_.resize(running_model_.size() + domains_.size());
      cache_.Transform(t, running_model_.data() + row * domains_.size());
      items_.push_back({ObservationCache::kNone, row, t.number, kAbove, 1.0});
    }
  }
  cache_.SortNew();
  return n_finished;
}

// Marks the gamma(n) best finished trials kBelow, everything else kAbove.
void TpeSampler::Split(size_t n_finished) {
  const size_t n_below =
      std::min(tpe::Gamma(n_finished, options_.gamma_fraction, options_.gamma_cap), n_finished);
  const size_t m = objectives_.size();
  keys_.clear();
  mo_values_.clear();
  for (const Item& item : items_) {
    if (item.entry == ObservationCache::kNone) continue;
    if (m > 1) {
      const double* v = cache_.objectives(item.entry);
      mo_values_.insert(mo_values_.end(), v, v + m);
    } else {
      keys_.push_back(cache_.entry(item.entry).key);
    }
  }
  if (options_.constraints) {
    SplitConstrained(n_below);
  } else {
    if (m > 1) {
      tpe::SplitMultiObjective(mo_values_, m, n_below, &below_flags_);
    } else {
      tpe::SplitSingleObjective(keys_, n_below, &below_flags_);
    }
  }
  entry_role_.assign(cache_.size(), 0);
  entry_rank_.resize(cache_.size());
  size_t finished = 0;
  std::vector<double>& good_values = mo_values_;  // reused: the good rows, in order
  size_t n_good_values = 0;
  for (Item& item : items_) {
    if (item.entry == ObservationCache::kNone) continue;
    item.role = below_flags_[finished++] ? kBelow : kAbove;
    entry_role_[item.entry] = item.role;
    if (m > 1 && item.role == kBelow) {
      const double* v = cache_.objectives(item.entry);
      std::copy(v, v + m, good_values.begin() + static_cast<ptrdiff_t>(n_good_values++ * m));
    }
  }
  if (m > 1) {
    // MOTPE: the good trials weigh by their hypervolume contribution; with
    // constraints, the feasible ones among themselves, infeasible ones 1e-12.
    good_values.resize(n_good_values * m);
    if (options_.constraints) {
      std::vector<double> feasible_values;
      size_t g = 0;
      for (const Item& item : items_) {
        if (item.role != kBelow) continue;
        if (cache_.entry(item.entry).violation == 0) {
          feasible_values.insert(feasible_values.end(), good_values.begin() + g * m,
                                 good_values.begin() + (g + 1) * m);
        }
        ++g;
      }
      std::vector<double> weights = tpe::HypervolumeWeights(feasible_values, m);
      size_t f = 0;
      for (Item& item : items_) {
        if (item.role != kBelow) continue;
        item.weight = cache_.entry(item.entry).violation == 0 ? weights[f++] : 1e-12;
      }
    } else {
      std::vector<double> weights = tpe::HypervolumeWeights(good_values, m);
      size_t g = 0;
      for (Item& item : items_) {
        if (item.role == kBelow) item.weight = weights[g++];
      }
    }
  }
}

void TpeSampler::SplitConstrained(size_t n_below) {
  std::vector<double> violations;
  for (const Item& item : items_) {
    if (item.entry != ObservationCache::kNone)
      violations.push_back(cache_.entry(item.entry).violation);
  }
  tpe::SplitConstrained(keys_, mo_values_, objectives_.size(), violations, n_below, &below_flags_);
}

std::vector<std::vector<size_t>> TpeSampler::JointGroups(
    const std::vector<TrialRecord>& history) const {
  std::vector<std::vector<std::string>> named;
  if (options_.group) {
    named = tpe::GroupDecomposition(history);
  } else {
    named.push_back(tpe::IntersectionSpace(history));
  }
  std::vector<std::vector<size_t>> groups;
  for (const auto& names : named) {
    std::vector<size_t> dims;
    for (size_t d = 0; d < space_.size(); ++d) {
      if (IsSingle(space_[d].distribution)) continue;
      if (std::find(names.begin(), names.end(), space_[d].name) != names.end()) dims.push_back(d);
    }
    if (!dims.empty()) groups.push_back(std::move(dims));
  }
  return groups;
}

// A queued point's given value of `name`, if it has one.
std::optional<double> Given(const SampleRequest& req, const std::string& name) {
  if (!req.given) return std::nullopt;
  auto it = req.given->find(name);
  return it == req.given->end() ? std::nullopt : std::optional<double>(it->second);
}

Result<std::optional<Params>> TpeSampler::Sample(const SampleRequest& req) {
  if (!(req.space == space_) || !(req.objectives == objectives_)) {
    Reset(req.space, req.objectives);
  }
  if (objectives_.empty()) return Error::Invalid("TPE needs at least one objective");
  size_t n_finished = Collect(req.history);
  if (cache_.stale()) {  // a history from another study: start over
    Reset(req.space, req.objectives);
    n_finished = Collect(req.history);
  }
  Params params;
  if (n_finished < static_cast<size_t>(std::max(options_.n_startup_trials, 0))) {
    for (const auto& p : space_) {
      if (!IsActive(p, params)) continue;
      if (const auto given = Given(req, p.name)) {
        params[p.name] = *given;
        continue;
      }
      Rng rng = MakeRng(seed_, req.trial_number, StreamId(p.name));
      params[p.name] = UniformValue(p.distribution, rng);
    }
    return std::optional<Params>(std::move(params));
  }
  Split(n_finished);
  // As Optuna's define-by-run: the multivariate groups are sampled first
  // (their values are used for the parameters that turn out active); every
  // other active parameter is sampled independently, in space order.
  Params joint;
  if (est_options_.multivariate) {
    const auto groups = JointGroups(req.history);
    for (size_t g = 0; g < groups.size(); ++g) {
      const uint64_t stream =
          g == 0 ? kJointStream : kJointStream ^ StreamId(space_[groups[g][0]].name);
      SampleJoint(groups[g], stream, req.trial_number, joint);
    }
  }
  for (size_t d = 0; d < space_.size(); ++d) {
    const Parameter& p = space_[d];
    if (!IsActive(p, params)) continue;
    if (const auto given = Given(req, p.name)) {
      params[p.name] = *given;  // a queued point's value: the rest is sampled around it
    } else if (IsSingle(p.distribution)) {
      params[p.name] = OnlyValue(p.distribution);
    } else if (auto it = joint.find(p.name); it != joint.end()) {
      params[p.name] = it->second;
    } else {
      params[p.name] = SampleIndependent(d, req.trial_number);
    }
  }
  return std::optional<Params>(std::move(params));
}

// Univariate TPE for parameter d: l and g over the trials that have it.
double TpeSampler::SampleIndependent(size_t d, int64_t trial_number) {
  const bool multi = objectives_.size() > 1;
  below_obs_.clear();
  running_obs_.clear();
  size_t n_below = 0, n_above = 0;
  // History order gives each trial its rank in its set, which sets its
  // weight (old trials fade).
  for (const Item& item : items_) {
    const double x = Value(item, d);
    if (std::isnan(x)) continue;
    if (item.role == kBelow) {
      below_obs_.push_back({x, item.number, multi ? item.weight : static_cast<double>(n_below)});
      ++n_below;
      continue;
    }
    if (item.entry != ObservationCache::kNone) {
      entry_rank_[item.entry] = static_cast<uint32_t>(n_above);
    } else {
      running_obs_.push_back({x, item.number, static_cast<double>(n_above)});
    }
    ++n_above;
  }
  if (!multi) {
    const tpe::DefaultWeights below_weight(n_below);
    for (Obs& o : below_obs_) o.weight = below_weight(static_cast<size_t>(o.weight));
  }
  const tpe::DefaultWeights above_weight(n_above);
  // Both sets sorted by value: the bad one by merging the cache's sorted
  // order (finished trials) with the few running trials.
  std::sort(below_obs_.begin(), below_obs_.end(), Before);
  std::vector<double>& below_x = below_cols_[d];
  below_x.clear();
  below_w_.clear();
  for (const Obs& o : below_obs_) {
    below_x.push_back(o.x);
    below_w_.push_back(o.weight);
  }
  std::sort(running_obs_.begin(), running_obs_.end(), Before);
  std::vector<double>& above_x = above_cols_[d];
  above_x.clear();
  above_w_.clear();
  size_t r = 0;
  auto emit_running_before = [&](const Obs* limit) {
    for (; r < running_obs_.size() && (!limit || Before(running_obs_[r], *limit)); ++r) {
      above_x.push_back(running_obs_[r].x);
      above_w_.push_back(above_weight(static_cast<size_t>(running_obs_[r].weight)));
    }
  };
  for (const ObservationCache::Sorted& s : cache_.sorted(d)) {
    if (entry_role_[s.entry] != kAbove) continue;
    if (r < running_obs_.size()) {
      Obs here{s.x, s.number, 0};
      emit_running_before(&here);
    }
    above_x.push_back(s.x);
    above_w_.push_back(above_weight(entry_rank_[s.entry]));
  }
  emit_running_before(nullptr);

  const ParamDomain* dims[] = {&domains_[d]};
  const double* below_col[] = {below_x.data()};
  const double* above_col[] = {above_x.data()};
  below_est_.Build(dims, below_col, below_w_.data(), below_x.size(), est_options_);
  above_est_.Build(dims, above_col, above_w_.data(), above_x.size(), est_options_);

  const size_t count = static_cast<size_t>(std::max(options_.n_ei_candidates, 1));
  Rng rng = MakeRng(seed_, trial_number, StreamId(space_[d].name));
  candidates_.resize(count);
  log_l_.resize(count);
  log_g_.resize(count);
  below_est_.Sample(rng, count, candidates_.data());
  below_est_.LogPdf(candidates_.data(), count, log_l_.data());
  above_est_.LogPdf(candidates_.data(), count, log_g_.data());
  return candidates_[BestCandidate(count)];
}

// Multivariate TPE over the parameters `group`: one joint estimator per set
// over the trials that have every one of them, kernels in history order.
void TpeSampler::SampleJoint(const std::vector<size_t>& group, uint64_t stream,
                             int64_t trial_number, Params& params) {
  const size_t n_dims = group.size();
  if (n_dims == 0) return;
  const bool multi = objectives_.size() > 1;
  for (size_t j = 0; j < n_dims; ++j) {
    below_cols_[j].clear();
    above_cols_[j].clear();
  }
  below_w_.clear();
  above_w_.clear();
  for (const Item& item : items_) {
    bool complete = true;
    for (size_t d : group) complete = complete && !std::isnan(Value(item, d));
    if (!complete) continue;
    auto& cols = item.role == kBelow ? below_cols_ : above_cols_;
    for (size_t j = 0; j < n_dims; ++j) cols[j].push_back(Value(item, group[j]));
    // The rank for now; weights once the set sizes are known.
    auto& w = item.role == kBelow ? below_w_ : above_w_;
    w.push_back(item.role == kBelow && multi ? item.weight : static_cast<double>(w.size()));
  }
  if (!multi) {
    const tpe::DefaultWeights below_weight(below_w_.size());
    for (double& w : below_w_) w = below_weight(static_cast<size_t>(w));
  }
  const tpe::DefaultWeights above_weight(above_w_.size());
  for (double& w : above_w_) w = above_weight(static_cast<size_t>(w));

  std::vector<const ParamDomain*> dims;
  std::vector<const double*> below_col, above_col;
  for (size_t j = 0; j < n_dims; ++j) {
    dims.push_back(&domains_[group[j]]);
    below_col.push_back(below_cols_[j].data());
    above_col.push_back(above_cols_[j].data());
  }
  below_est_.Build(dims, below_col, below_w_.data(), below_w_.size(), est_options_);
  above_est_.Build(dims, above_col, above_w_.data(), above_w_.size(), est_options_);

  const size_t count = static_cast<size_t>(std::max(options_.n_ei_candidates, 1));
  Rng rng = MakeRng(seed_, trial_number, stream);
  candidates_.resize(count * n_dims);
  log_l_.resize(count);
  log_g_.resize(count);
  below_est_.Sample(rng, count, candidates_.data());
  below_est_.LogPdf(candidates_.data(), count, log_l_.data());
  above_est_.LogPdf(candidates_.data(), count, log_g_.data());
  const size_t best = BestCandidate(count);
  for (size_t j = 0; j < n_dims; ++j) {
    params[space_[group[j]].name] = candidates_[best * n_dims + j];
  }
}

// argmax of log l - log g, the first on ties (numpy.argmax).
size_t TpeSampler::BestCandidate(size_t count) const {
  size_t best = 0;
  double best_score = -kSamplerInf;
  for (size_t c = 0; c < count; ++c) {
    double score = log_l_[c] - log_g_[c];
    if (score > best_score) {
      best_score = score;
      best = c;
    }
  }
  return best;
}

}  // namespace

std::unique_ptr<Sampler> MakeTpeSampler(const TpeOptions& options, const SearchSpace& space,
                                        uint64_t seed) {
  return std::make_unique<TpeSampler>(options, space, seed);
}

}  // namespace gdsweep
