#include "samplers/nsga2_sampler.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "samplers/nsga2/crossover.h"
#include "samplers/nsga2/selection.h"
#include "samplers/numeric_space.h"
#include "samplers/random_sampler.h"
#include "samplers/seeding.h"

namespace gdsweep {
namespace {

constexpr uint64_t kStream = StreamId("gdsweep.nsga2");
// A crossover whose child leaves a continuous parameter's bounds is tried
// again with new parents (as Optuna), at most this often; then clipped.
constexpr int kMaxCrossoverTries = 100;

std::optional<int64_t> GenerationOf(const TrialRecord& t) {
  auto it = t.sampler_attrs.find(kNsga2GenerationAttr);
  if (it == t.sampler_attrs.end()) return std::nullopt;
  char* end = nullptr;
  const long long g = std::strtoll(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || g < 0) return std::nullopt;
  return g;
}

class Nsga2Sampler final : public Sampler {
 public:
  Nsga2Sampler(const Nsga2Options& options, const SearchSpace& space, uint64_t seed)
      : options_(options),
        seed_(seed),
        space_(space),
        numeric_(space_, true),
        kind_(
            nsga2::CrossoverFromName(options.crossover).value_or(nsga2::CrossoverKind::kUniform)) {
    for (size_t p = 0; p < space_.size(); ++p) {
      const Distribution& d = space_[p].distribution;
      if (std::holds_alternative<CategoricalDistribution>(d) && !IsSingle(d))
        categorical_.push_back(p);
      if (!IsSingle(d)) ++n_relative_;
    }
  }

  Result<std::optional<Params>> Sample(const SampleRequest& req) override;

 private:
  // The parents of the next generation and its number minus one (-1: none).
  struct Parents {
    int64_t generation = -1;
    std::vector<const TrialRecord*> trials;
    std::vector<double> values;      // row-major, minimised
    std::vector<double> violations;  // per trial: Violation() (+inf: no constraint values)
  };
  Parents ParentPopulation(const SampleRequest& req) const;
  size_t Tournament(const Parents& parents, const std::vector<size_t>& exclude, Rng& rng) const;
  Params Child(const Parents& parents, Rng& rng, size_t m) const;

  const Nsga2Options options_;
  const uint64_t seed_;
  const SearchSpace space_;
  const NumericSpace numeric_;
  const nsga2::CrossoverKind kind_;
  std::vector<size_t> categorical_;  // space indices of categoricals with 2+ choices
  size_t n_relative_ = 0;            // parameters with more than one value
};

// Optuna's _collect_parent_population: generation g + 1's parents are the
// elite of g's complete trials and g's parents, once g has population_size
// complete trials.
Nsga2Sampler::Parents Nsga2Sampler::ParentPopulation(const SampleRequest& req) const {
  const size_t m = req.objectives.size();
  std::map<int64_t, std::vector<const TrialRecord*>> by_generation;
  for (const TrialRecord& t : req.history) {
    if (t.state != TrialState::kComplete || t.values.size() != m) continue;
    auto g = GenerationOf(t);
    if (!g) continue;
    bool has_all = true;
    for (const auto& p : space_) has_all = has_all && t.params.count(p.name);
    if (has_all) by_generation[*g].push_back(&t);
  }
  Parents parents;
  const auto size = static_cast<size_t>(options_.population_size);
  for (;;) {
    auto it = by_generation.find(parents.generation + 1);
    if (it == by_generation.end() || it->second.size() < size) return parents;
    std::vector<const TrialRecord*> pool = it->second;
    pool.insert(pool.end(), parents.trials.begin(), parents.trials.end());
    std::vector<double> values;
    for (const TrialRecord* t : pool) {
      for (size_t k = 0; k < m; ++k) {
        const double v = t->values[k];
        values.push_back(req.objectives[k].direction == Direction::kMaximize ? -v : v);
      }
    }
    // Constrained domination throughout: while no trial has constraint
    // values (every violation +inf) it is plain domination, so a study
    // without constraints is ranked as before.
    std::vector<double> violations;
    for (const TrialRecord* t : pool) violations.push_back(Violation(*t));
    Parents next;
    next.generation = parents.generation + 1;
    for (size_t row : nsga2::SelectElite(values, m, size, violations)) {
      next.trials.push_back(pool[row]);
      next.violations.push_back(violations[row]);
      next.values.insert(next.values.end(), values.begin() + static_cast<ptrdiff_t>(row * m),
                         values.begin() + static_cast<ptrdiff_t>((row + 1) * m));
    }
    parents = std::move(next);
  }
}

// Binary tournament among the parents not in `exclude`: two drawn, the first
// if it dominates the second (with constraints: constrained-dominates), else
// the second (Optuna's _select_parent).
size_t Nsga2Sampler::Tournament(const Parents& parents, const std::vector<size_t>& exclude,
                                Rng& rng) const {
  std::vector<size_t> pool;
  for (size_t i = 0; i < parents.trials.size(); ++i) {
    if (std::find(exclude.begin(), exclude.end(), i) == exclude.end()) pool.push_back(i);
  }
  const size_t m = parents.values.size() / parents.trials.size();
  const size_t a = pool[UniformIndex(rng, pool.size())];
  const size_t b = pool[UniformIndex(rng, pool.size())];
  return nsga2::ConstrainedDominates(&parents.values[a * m], parents.violations[a],
                                     &parents.values[b * m], parents.violations[b], m)
             ? a
             : b;
}

// Optuna's perform_crossover: parents by tournament, categoricals uniformly
// from the first and last parent, numeric parameters by the crossover in box
// coordinates; again while a continuous parameter leaves its bounds.
Params Nsga2Sampler::Child(const Parents& parents, Rng& rng, size_t m) const {
  nsga2::CrossoverParams cp;
  cp.swapping_prob = options_.swapping_prob;
  cp.eta = m > 1 ? 20.0 : 2.0;
  const int n_parents = nsga2::ParentsOf(kind_);
  const auto& lo = numeric_.lower();
  const auto& hi = numeric_.upper();
  Params child;
  for (int attempt = 1;; ++attempt) {
    std::vector<size_t> chosen;
    for (int k = 0; k < n_parents; ++k) chosen.push_back(Tournament(parents, chosen, rng));
    child.clear();
    for (size_t p : categorical_) {
      const size_t from = UniformDouble(rng) >= options_.swapping_prob ? chosen.back() : chosen[0];
      child[space_[p].name] = parents.trials[from]->params.at(space_[p].name);
    }
    if (numeric_.size() == 0) return child;
    std::vector<std::vector<double>> coords;
    for (size_t c : chosen) {
      std::vector<double> x(numeric_.size());
      for (size_t i = 0; i < numeric_.size(); ++i) {
        x[i] = numeric_.Encode(i, parents.trials[c]->params.at(numeric_.names()[i]));
      }
      coords.push_back(std::move(x));
    }
    std::vector<double> x = nsga2::Crossover(kind_, coords, lo, hi, cp, rng);
    bool inside = true;
    for (size_t i = 0; i < x.size(); ++i) {
      const Distribution& d = space_[numeric_.param(i)].distribution;
      const auto* f = std::get_if<FloatDistribution>(&d);
      const bool continuous = f && !f->step;  // ints and steps are rounded into bounds
      if (continuous && !(x[i] >= lo[i] && x[i] <= hi[i])) inside = false;
    }
    if (!inside && attempt < kMaxCrossoverTries) continue;
    for (size_t i = 0; i < x.size(); ++i) {
      child[numeric_.names()[i]] = numeric_.Decode(i, std::clamp(x[i], lo[i], hi[i]));
    }
    return child;
  }
}

Result<std::optional<Params>> Nsga2Sampler::Sample(const SampleRequest& req) {
  // Generation 0, mutations and single values: random.
  Params params = UniformParams(req.space, seed_, req.trial_number);
  const Parents parents = ParentPopulation(req);
  if (req.new_trial_attrs) {
    (*req.new_trial_attrs)[kNsga2GenerationAttr] = std::to_string(parents.generation + 1);
  }
  if (parents.generation < 0 || n_relative_ == 0) return std::optional<Params>(std::move(params));

  Rng rng = MakeRng(seed_, req.trial_number, kStream);
  Params child;
  if (UniformDouble(rng) < options_.crossover_prob) {
    child = Child(parents, rng, req.objectives.size());
  } else {
    const TrialRecord* parent = parents.trials[UniformIndex(rng, parents.trials.size())];
    for (const auto& p : space_) {
      if (!IsSingle(p.distribution)) child[p.name] = parent->params.at(p.name);
    }
  }
  const double mutation_prob = options_.mutation_prob.value_or(
      1.0 / std::max<double>(1.0, static_cast<double>(child.size())));
  for (const auto& p : space_) {  // space order: the draws do not depend on names' order
    auto it = child.find(p.name);
    if (it == child.end()) continue;
    const bool keep = UniformDouble(rng) >= mutation_prob;
    // A parent's value outside today's space (it changed) is not inherited.
    if (keep && Contains(p.distribution, it->second)) params[p.name] = it->second;
  }
  return std::optional<Params>(std::move(params));
}

}  // namespace

std::unique_ptr<Sampler> MakeNsga2Sampler(const Nsga2Options& options, const SearchSpace& space,
                                          uint64_t seed) {
  return std::make_unique<Nsga2Sampler>(options, space, seed);
}

}  // namespace gdsweep
