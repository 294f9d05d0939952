#include "samplers/tpe/tpe_split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "samplers/tpe/hypervolume.h"

namespace gdsweep::tpe {
namespace {

constexpr size_t kFlatWeights = 25;  // Optuna's default_weights: the newest 25 weigh 1

// NumPy's sort order, which Optuna's split uses: NaN after +inf, NaNs equal.
bool Same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
bool Less(double a, double b) { return !std::isnan(a) && (std::isnan(b) || a < b); }

bool Dominates(const double* a, const double* b, size_t m) {
  bool strictly = false;
  for (size_t j = 0; j < m; ++j) {
    if (a[j] > b[j]) return false;
    strictly = strictly || a[j] < b[j];
  }
  return strictly;
}

bool AllFinite(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

}  // namespace

size_t Gamma(size_t n, double fraction, int cap) {
  double g = std::min(std::ceil(fraction * static_cast<double>(n)), static_cast<double>(cap));
  return g > 0 ? static_cast<size_t>(g) : 0;
}

DefaultWeights::DefaultWeights(size_t n) {
  if (n < kFlatWeights) return;
  ramp_ = n - kFlatWeights;
  start_ = 1.0 / static_cast<double>(n);
  if (ramp_ > 1) step_ = (1 - start_) / static_cast<double>(ramp_ - 1);
}

void SplitSingleObjective(std::span<const RankKey> keys, size_t n_below,
                          std::vector<uint8_t>* below) {
  const size_t n = keys.size();
  below->assign(n, n_below >= n ? 1 : 0);
  if (n_below == 0 || n_below >= n) return;
  struct Ranked {
    double primary, value;
    size_t row;
  };
  std::vector<Ranked> ranked(n);
  for (size_t i = 0; i < n; ++i) ranked[i] = {keys[i].primary, keys[i].value, i};
  // The row breaks ties: the same order as a stable sort.
  std::nth_element(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(n_below), ranked.end(),
                   [](const Ranked& a, const Ranked& b) {
                     if (!Same(a.primary, b.primary)) return Less(a.primary, b.primary);
                     if (!Same(a.value, b.value)) return Less(a.value, b.value);
                     return a.row < b.row;
                   });
  for (size_t i = 0; i < n_below; ++i) (*below)[ranked[i].row] = 1;
}

void SplitMultiObjective(std::span<const double> values, size_t m, size_t n_below,
                         std::vector<uint8_t>* below) {
  const size_t n = m == 0 ? 0 : values.size() / m;
  below->assign(n, n_below >= n ? 1 : 0);
  if (n_below == 0 || n_below >= n) return;
  auto row = [&](size_t i) { return values.data() + i * m; };
  // Lexicographic order: nothing can dominate a row that comes before it, so
  // a row is in the current front iff no earlier front row dominates it.
  std::vector<size_t> remaining(n);
  std::iota(remaining.begin(), remaining.end(), 0);
  std::stable_sort(remaining.begin(), remaining.end(), [&](size_t a, size_t b) {
    return std::lexicographical_compare(row(a), row(a) + m, row(b), row(b) + m);
  });
  size_t selected = 0;
  std::vector<size_t> front, rest;
  while (selected < n_below) {
    front.clear();
    rest.clear();
    for (size_t i : remaining) {
      bool dominated = std::any_of(front.begin(), front.end(),
                                   [&](size_t f) { return Dominates(row(f), row(i), m); });
      (dominated ? rest : front).push_back(i);
    }
    if (selected + front.size() <= n_below) {
      for (size_t i : front) (*below)[i] = 1;
      selected += front.size();
      remaining.swap(rest);
      continue;
    }
    // The front does not fit: keep the rows that add the most hypervolume,
    // trials in history order as candidates.
    std::sort(front.begin(), front.end());
    std::vector<double> points;
    for (size_t i : front) points.insert(points.end(), row(i), row(i) + m);
    std::vector<size_t> picked;
    if (AllFinite(points)) {
      picked = GreedyHypervolumeSubset(points, m, n_below - selected, ReferencePoint(points, m));
    } else {  // no finite hypervolume: the earliest trials
      picked.resize(n_below - selected);
      std::iota(picked.begin(), picked.end(), 0);
    }
    for (size_t p : picked) (*below)[front[p]] = 1;
    break;
  }
}

bool SplitByViolation(std::span<const double> violations, size_t n_below,
                      std::vector<uint8_t>* below, std::vector<uint8_t>* feasible) {
  const size_t n = violations.size();
  feasible->assign(n, 0);
  size_t n_feasible = 0;
  for (size_t i = 0; i < n; ++i) {
    if (violations[i] == 0) {
      (*feasible)[i] = 1;
      ++n_feasible;
    }
  }
  below->assign(n, 0);
  if (n_feasible > n_below) return false;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return violations[a] < violations[b]; });
  for (size_t i = 0; i < std::min(n_below, n); ++i) (*below)[order[i]] = 1;
  return true;
}

void SplitConstrained(std::span<const RankKey> keys, std::span<const double> values, size_t m,
                      std::span<const double> violations, size_t n_below,
                      std::vector<uint8_t>* below) {
  std::vector<uint8_t> feasible;
  if (SplitByViolation(violations, n_below, below, &feasible)) return;
  std::vector<uint8_t> feasible_below;
  if (m > 1) {
    std::vector<double> rows;
    for (size_t i = 0; i < feasible.size(); ++i) {
      if (feasible[i])
        rows.insert(rows.end(), values.begin() + i * m, values.begin() + (i + 1) * m);
    }
    SplitMultiObjective(rows, m, n_below, &feasible_below);
  } else {
    std::vector<RankKey> feasible_keys;
    for (size_t i = 0; i < feasible.size(); ++i) {
      if (feasible[i]) feasible_keys.push_back(keys[i]);
    }
    SplitSingleObjective(feasible_keys, n_below, &feasible_below);
  }
  size_t f = 0;
  for (size_t i = 0; i < feasible.size(); ++i) (*below)[i] = feasible[i] ? feasible_below[f++] : 0;
}

std::vector<double> HypervolumeWeights(std::span<const double> values, size_t m) {
  const size_t n = m == 0 ? 0 : values.size() / m;
  std::vector<double> weights(n, 1.0);
  if (n <= 1 || !AllFinite(values)) return weights;
  const std::vector<double> ref = ReferencePoint(values, m);
  const double total = Hypervolume(values, m, ref);
  std::vector<double> others;
  double top = 0;
  for (size_t i = 0; i < n; ++i) {
    others.assign(values.begin(), values.begin() + static_cast<ptrdiff_t>(i * m));
    others.insert(others.end(), values.begin() + static_cast<ptrdiff_t>((i + 1) * m), values.end());
    weights[i] = total - Hypervolume(others, m, ref) + 1e-12;
    top = std::max(top, weights[i]);
  }
  for (double& w : weights) w = std::clamp(w / top, 0.0, 1.0);
  return weights;
}

}  // namespace gdsweep::tpe
