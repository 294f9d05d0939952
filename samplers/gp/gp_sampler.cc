#include "samplers/gp/gp_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "samplers/gp/acquisition.h"
#include "samplers/gp/gp_regression.h"
#include "samplers/gp/kernel_memory.h"
#include "samplers/gp/kernel_selection.h"
#include "samplers/gp/output_warping.h"
#include "samplers/qmc/qmc_sampler.h"
#include "samplers/qmc/unit_space.h"
#include "samplers/seeding.h"

namespace gdsweep {
namespace {

// Up to this many COMPLETE trials the fit has restarts.
constexpr size_t kRestartTrials = 40;
// The kernels are compared afresh once this many more trials are COMPLETE.
constexpr size_t kReselectEvery = 5;

bool Numeric(const Distribution& d) { return !std::holds_alternative<CategoricalDistribution>(d); }

// The trials the GP learns from, in its coordinates.
struct Observations {
  std::vector<std::vector<double>> x;        // COMPLETE trials
  std::vector<double> y;                     // their values, to be maximised
  std::vector<std::vector<double>> pending;  // RUNNING and WAITING trials
  gp::SqueezedValues squeezed;               // y warped (output_warping.h), once standardised
};

// The GP coordinates of a trial's params, or nullopt when a parameter is
// missing or outside the space (a trial of an earlier version of the study).
std::optional<std::vector<double>> Coordinates(const SearchSpace& space, const Params& params) {
  std::vector<double> x;
  for (const auto& p : space) {
    auto it = params.find(p.name);
    if (it == params.end() || !Contains(p.distribution, it->second)) return std::nullopt;
    x.push_back(Numeric(p.distribution) ? ToUnit(p.distribution, it->second) : it->second);
  }
  return x;
}

Observations Collect(const SampleRequest& req) {
  Observations o;
  const bool maximize = req.objectives.front().direction == Direction::kMaximize;
  for (const auto& t : req.history) {
    const bool complete = t.state == TrialState::kComplete && !t.values.empty();
    const bool pending = t.state == TrialState::kRunning || t.state == TrialState::kWaiting;
    if (!complete && !pending) continue;
    auto x = Coordinates(req.space, t.params);
    if (!x) continue;
    if (pending) {
      o.pending.push_back(std::move(*x));
      continue;
    }
    const double v = t.values.front();
    if (std::isnan(v)) continue;
    o.x.push_back(std::move(*x));
    o.y.push_back(maximize ? v : -v);
  }
  // Infinite values become the worst (or best) finite one, as Optuna does.
  double lo = INFINITY, hi = -INFINITY;
  for (double v : o.y) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  for (double& v : o.y) {
    if (!std::isfinite(v)) v = std::isfinite(lo) ? (v > 0 ? hi : lo) : 0.0;
  }
  return o;
}

// Keeps at most `cap` observations: the best half of that, and a seeded
// uniform subsample of the others.
void Cap(Observations& o, size_t cap, Rng& rng) {
  if (o.y.size() <= cap) return;
  std::vector<size_t> order(o.y.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return o.y[a] > o.y[b]; });
  std::vector<size_t> keep(order.begin(), order.begin() + cap / 2);
  std::vector<size_t> rest(order.begin() + cap / 2, order.end());
  for (size_t i = rest.size() - 1; i > 0; --i) std::swap(rest[i], rest[UniformIndex(rng, i + 1)]);
  keep.insert(keep.end(), rest.begin(), rest.begin() + static_cast<long>(cap - keep.size()));
  std::sort(keep.begin(), keep.end());
  Observations kept;
  for (size_t i : keep) {
    kept.x.push_back(std::move(o.x[i]));
    kept.y.push_back(o.y[i]);
    if (!o.squeezed.y.empty()) {
      kept.squeezed.y.push_back(o.squeezed.y[i]);
      kept.squeezed.log_slope.push_back(o.squeezed.log_slope[i]);
    }
  }
  kept.pending = std::move(o.pending);
  o = std::move(kept);
}

class GpSampler final : public Sampler {
 public:
  GpSampler(const GpOptions& options, uint64_t seed) : options_(options), seed_(seed) {}

  Result<std::optional<Params>> Sample(const SampleRequest& req) override {
    if (req.objectives.size() != 1) {
      return Error::Invalid("the gp sampler optimises one objective; this study has " +
                            std::to_string(req.objectives.size()));
    }
    Observations o = Collect(req);
    const auto number = static_cast<uint64_t>(req.trial_number);
    if (o.y.empty() || static_cast<int>(o.y.size()) < options_.n_startup_trials) {
      return std::optional<Params>(QmcParams(req.space, false, seed_, number));
    }
    const size_t complete = o.y.size();  // before the cap: the kernels' clock
    Rng rng = MakeRng(seed_, req.trial_number, StreamId("gp-subsample"));
    Cap(o, kMaxFitTrials, rng);
    gp::Standardize(o.y);
    o.squeezed = gp::SqueezeWorseHalf(o.y);
    // The hyperparameters are fitted on at most kMaxHyperparameterTrials of
    // them (the best half and a subsample), O(n^3) per likelihood step; the
    // GP then conditions on all.
    Observations fit_set{o.x, o.y, {}, o.squeezed};
    Cap(fit_set, kMaxHyperparameterTrials, rng);

    gp::AcquisitionSpace acq_space;
    std::vector<bool> categorical;
    for (const auto& p : req.space) {
      const auto* c = std::get_if<CategoricalDistribution>(&p.distribution);
      acq_space.n_choices.push_back(c ? static_cast<int>(c->choices.size()) : 0);
      categorical.push_back(c != nullptr);
    }
    gp::FitOptions fit;
    fit.deterministic_objective = options_.deterministic_objective;
    fit.seed = DeriveSeed(seed_, req.trial_number, StreamId("gp-fit"));
    // Restarts guard against a poor local optimum of the likelihood while
    // there is little data and a fit is cheap; past that, one start from the
    // default hyperparameters (as Optuna 4) keeps a suggestion fast.
    fit.n_restarts = fit_set.y.size() <= kRestartTrials ? 2 : 0;
    // The candidate models (kernel_selection.h: ARD on the squeezed values,
    // additive on the raw ones) are compared every kReselectEvery COMPLETE
    // trials; between comparisons only the chosen one is refitted. Each fit
    // starts from the hyperparameters its kernel was last chosen with.
    auto memory = gp::RecallKernelMemory(req.history, req.space.size());
    const bool compare = !memory || complete < memory->selected_at ||
                         complete >= memory->selected_at + kReselectEvery;
    if (!memory) memory.emplace();
    // Between comparisons the one candidate is the chosen model.
    auto selected = gp::FitSelectingModel(
        fit_set.x, fit_set.y, fit_set.squeezed, categorical, fit,
        compare ? gp::SamplerCandidates(categorical.size())
                : std::vector<gp::ModelChoice>{{memory->chosen, memory->squeezed}},
        &memory->fitted);
    memory->squeezed = selected.squeezed;
    memory->chosen = selected.gp.params().kind;
    if (compare) memory->selected_at = complete;
    if (req.new_trial_attrs)
      (*req.new_trial_attrs)[gp::kKernelMemoryAttr] = gp::KernelMemoryJson(*memory);
    gp::GpRegressor model = std::move(selected.gp);
    if (fit_set.y.size() < o.y.size()) {
      model = gp::GpRegressor::WithParams(o.x, memory->squeezed ? o.squeezed.y : o.y, categorical,
                                          model.params());
    }
    // The incumbent and the local searches' starts come from the posterior
    // mean at the evaluated points, not from the observed values: with a
    // noisy objective the best observation is mostly lucky noise, and EI
    // over it explores where the model is unsure rather than where the
    // objective is good (the "plug-in" EI; Picheny et al. 2013). Without
    // noise the fitted noise is tiny and the mean is the observation.
    const std::vector<double> fitted_mean = model.MeanAtData();
    const double best = *std::max_element(fitted_mean.begin(), fitted_mean.end());
    std::vector<size_t> order(o.y.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return fitted_mean[a] > fitted_mean[b]; });
    std::vector<std::vector<double>> starts;
    for (size_t k = 0; k < std::min<size_t>(order.size(), 3); ++k) starts.push_back(o.x[order[k]]);
    if (!o.pending.empty()) {
      std::vector<double> mean, var;
      model.PredictMany(o.pending, mean, var);
      model = model.Extended(o.pending, mean);
    }
    gp::AcquisitionOptions acq;
    acq.seed = DeriveSeed(seed_, req.trial_number, StreamId("gp-acquisition"));
    const auto x = gp::MaximizeLogEi(model, best, acq_space, starts, acq);

    Params params;
    for (size_t i = 0; i < req.space.size(); ++i) {
      const auto& d = req.space[i].distribution;
      params[req.space[i].name] = Numeric(d) ? FromUnit(d, x[i]) : Snap(d, x[i]);
    }
    return std::optional<Params>(std::move(params));
  }

 private:
  GpOptions options_;
  uint64_t seed_;
};

}  // namespace

Result<std::unique_ptr<Sampler>> MakeGpSampler(const GpOptions& options, const SearchSpace& space,
                                               uint64_t seed) {
  if (std::none_of(space.begin(), space.end(),
                   [](const Parameter& p) { return Numeric(p.distribution); })) {
    return Error::Invalid(
        "the gp sampler needs at least one float or int parameter; for a space of categorical "
        "parameters only, use tpe");
  }
  return std::unique_ptr<Sampler>(new GpSampler(options, seed));
}

}  // namespace gdsweep
