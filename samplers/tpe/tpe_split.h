// How TPE divides a study's history into the "good" trials, whose density is
// l(x), and the rest, g(x); and how it weighs them. Single-objective: the
// gamma(n) best by value, complete trials before pruned ones. Multi-objective:
// whole non-dominated fronts, the last one cut by greedy hypervolume subset
// selection (MOTPE). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gdsweep::tpe {

// gamma(n) = min(ceil(fraction * n), cap): how many trials are "good".
size_t Gamma(size_t n, double fraction, int cap);

// Optuna's default_weights(n)[i], the weight of the i-th oldest of n
// trials: 1 for n < 25; otherwise the newest 25 weigh 1 and the older n - 25
// ramp linearly (numpy.linspace) from 1/n up to 1, so that old trials fade.
class DefaultWeights {
 public:
  explicit DefaultWeights(size_t n);
  double operator()(size_t i) const {
    if (i >= ramp_) return 1;
    if (i + 1 == ramp_) return ramp_ == 1 ? start_ : 1.0;  // linspace ends at its stop
    return static_cast<double>(i) * step_ + start_;
  }

 private:
  size_t ramp_ = 0;
  double start_ = 1, step_ = 0;
};

// What a single-objective trial is ranked by, smallest first: complete trials
// (primary -inf) by their value; then pruned trials by the last step they
// reached (primary -step, the deepest first), then their value there; pruned
// trials that reported nothing last (primary 1). Values are sign-adjusted so
// smaller is better; a NaN ranks after +inf, as NumPy sorts (a pruned trial's
// NaN is +inf already: Optuna maps it so).
struct RankKey {
  double primary = 0;
  double value = 0;
};

// Sets below[i] = 1 for the n_below smallest keys (earlier rows first on
// ties, as a stable sort), 0 for the others. O(n).
void SplitSingleObjective(std::span<const RankKey> keys, size_t n_below,
                          std::vector<uint8_t>* below);

// values: row-major n x m objective values, sign-adjusted (minimised), no
// NaN. Sets below[i] = 1 for n_below rows: whole non-dominated fronts while
// they fit, then GreedyHypervolumeSubset of the next front with that front's
// ReferencePoint. Only the fronts it needs are computed.
void SplitMultiObjective(std::span<const double> values, size_t m, size_t n_below,
                         std::vector<uint8_t>* below);

// Optuna 3.1's split with constraints (TPESampler's constraints_func), on the
// rows' violations (the sum of positive constraint values; 0 feasible, +inf
// when a trial recorded none). When at most n_below rows are feasible, sets
// below[i] = 1 for the n_below rows of smallest violation (feasible ones
// first, ties in row order) and returns true. Otherwise returns false and
// sets feasible[i] = 1 for the feasible rows: the caller splits those by
// their values, every infeasible row being bad.
bool SplitByViolation(std::span<const double> violations, size_t n_below,
                      std::vector<uint8_t>* below, std::vector<uint8_t>* feasible);

// The whole constrained split: SplitByViolation, and when more than n_below
// trials are feasible, the feasible rows split by SplitSingleObjective (m ==
// 1, on `keys`) or SplitMultiObjective (on row-major n x m `values`).
void SplitConstrained(std::span<const RankKey> keys, std::span<const double> values, size_t m,
                      std::span<const double> violations, size_t n_below,
                      std::vector<uint8_t>* below);

// MOTPE's weights of the good trials (rows of `values`): each row's exclusive
// hypervolume contribution plus 1e-12, divided by the largest; 1 for a single
// row. Dominated rows get ~0.
std::vector<double> HypervolumeWeights(std::span<const double> values, size_t m);

}  // namespace gdsweep::tpe
