#include "samplers/nsga2/selection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace gdsweep::nsga2 {

bool Dominates(const double* a, const double* b, size_t m) {
  bool better = false;
  for (size_t k = 0; k < m; ++k) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) better = true;
  }
  return better;
}

bool ConstrainedDominates(const double* a, double violation_a, const double* b, double violation_b,
                          size_t m) {
  const bool none_a = std::isinf(violation_a), none_b = std::isinf(violation_b);
  if (none_a && none_b) return Dominates(a, b, m);
  if (none_a || none_b) return none_b;
  if (violation_a == 0 && violation_b == 0) return Dominates(a, b, m);
  if (violation_a == 0 || violation_b == 0) return violation_a == 0;
  return violation_a < violation_b;
}

std::vector<std::vector<size_t>> NonDominatedSort(std::span<const double> values, size_t m,
                                                  std::span<const double> violations) {
  const size_t n = m ? values.size() / m : 0;
  auto dominates = [&](size_t p, size_t q) {
    return violations.empty() ? Dominates(&values[p * m], &values[q * m], m)
                              : ConstrainedDominates(&values[p * m], violations[p], &values[q * m],
                                                     violations[q], m);
  };
  std::vector<size_t> dominated_count(n, 0);
  std::vector<std::vector<size_t>> dominates_list(n);
  for (size_t p = 0; p < n; ++p) {
    for (size_t q = p + 1; q < n; ++q) {
      if (dominates(p, q)) {
        dominates_list[p].push_back(q);
        ++dominated_count[q];
      } else if (dominates(q, p)) {
        dominates_list[q].push_back(p);
        ++dominated_count[p];
      }
    }
  }
  std::vector<size_t> population(n);
  std::iota(population.begin(), population.end(), 0);
  std::vector<std::vector<size_t>> fronts;
  while (!population.empty()) {
    // Optuna's order: a member taken from position i is replaced by the last.
    std::vector<size_t> front;
    size_t i = 0;
    while (i < population.size()) {
      if (dominated_count[population[i]] == 0) {
        front.push_back(population[i]);
        population[i] = population.back();
        population.pop_back();
      } else {
        ++i;
      }
    }
    for (size_t x : front) {
      for (size_t y : dominates_list[x]) --dominated_count[y];
    }
    fronts.push_back(std::move(front));
  }
  return fronts;
}

std::vector<double> CrowdingDistance(std::span<const double> values, size_t m,
                                     std::vector<size_t>& rows) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> distance(values.size() / std::max<size_t>(m, 1), 0.0);
  const size_t n = rows.size();
  if (n == 0) return {};
  for (size_t k = 0; k < m; ++k) {
    auto v = [&](size_t row) { return values[row * m + k]; };
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return v(a) < v(b); });
    if (v(rows.front()) == v(rows.back())) continue;
    std::vector<double> vs;
    vs.push_back(-kInf);
    for (size_t r : rows) vs.push_back(v(r));
    vs.push_back(kInf);
    double v_min = 0, v_max = 0;
    for (double x : vs) {
      if (x != -kInf) {
        v_min = x;
        break;
      }
    }
    for (auto it = vs.rbegin(); it != vs.rend(); ++it) {
      if (*it != kInf) {
        v_max = *it;
        break;
      }
    }
    double width = v_max - v_min;
    if (!(width > 0)) width = 1.0;
    for (size_t j = 0; j < n; ++j) {
      const double gap = vs[j] == vs[j + 2] ? 0.0 : vs[j + 2] - vs[j];
      distance[rows[j]] += gap / width;
    }
  }
  std::vector<double> out(n);
  for (size_t j = 0; j < n; ++j) out[j] = distance[rows[j]];
  return out;
}

std::vector<size_t> SelectElite(std::span<const double> values, size_t m, size_t size,
                                std::span<const double> violations) {
  std::vector<size_t> elite;
  for (auto& front : NonDominatedSort(values, m, violations)) {
    if (elite.size() + front.size() < size) {
      elite.insert(elite.end(), front.begin(), front.end());
      continue;
    }
    std::vector<double> d = CrowdingDistance(values, m, front);
    // Optuna sorts by distance (stable) and reverses: largest first, ties in
    // reverse order.
    std::vector<size_t> order(front.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d[a] < d[b]; });
    std::reverse(order.begin(), order.end());
    for (size_t j = 0; j < order.size() && elite.size() < size; ++j)
      elite.push_back(front[order[j]]);
    break;
  }
  return elite;
}

}  // namespace gdsweep::nsga2
