#include "report/importance.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <variant>

namespace gdsweep::report {
namespace {

constexpr int kMaxBins = 10;

// Groups of x: by value when x has at most `bins` distinct values (choices,
// small integer ranges), else by quantile with equal values kept together.
std::vector<int> GroupsOf(const std::vector<double>& x, int bins) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  size_t distinct = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || x[order[i]] != x[order[i - 1]]) ++distinct;
  }
  std::vector<int> group(x.size());
  const bool by_value = distinct <= static_cast<size_t>(bins);
  int g = -1;
  size_t first_rank = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || x[order[i]] != x[order[i - 1]]) {
      first_rank = i;
      g = by_value ? g + 1 : static_cast<int>(first_rank * bins / order.size());
    }
    group[order[i]] = g;
  }
  // Renumber densely (quantile bins can be skipped by long runs of ties).
  std::vector<int> ids(group);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int& v : group)
    v = static_cast<int>(std::lower_bound(ids.begin(), ids.end(), v) - ids.begin());
  return group;
}

}  // namespace

double EpsilonSquared(const std::vector<double>& y, const std::vector<int>& group) {
  const size_t n = y.size();
  if (n == 0 || group.size() != n) return 0;
  const int k = *std::max_element(group.begin(), group.end()) + 1;
  if (n <= static_cast<size_t>(k)) return 0;
  const double mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
  std::vector<double> sum(k, 0.0), count(k, 0.0);
  double sst = 0;
  for (size_t i = 0; i < n; ++i) {
    sum[group[i]] += y[i];
    count[group[i]] += 1;
    sst += (y[i] - mean) * (y[i] - mean);
  }
  if (sst <= 0) return 0;
  double ssw = 0;
  for (size_t i = 0; i < n; ++i) {
    const double gm = sum[group[i]] / count[group[i]];
    ssw += (y[i] - gm) * (y[i] - gm);
  }
  const double within = ssw / static_cast<double>(n - k);
  const double total = sst / static_cast<double>(n - 1);
  return std::max(0.0, 1.0 - within / total);
}

std::vector<ParamImportance> ParamImportances(const std::vector<const TrialRecord*>& trials,
                                              const SearchSpace& params, size_t objective) {
  std::vector<const TrialRecord*> counted;
  for (const TrialRecord* t : trials) {
    if (t->state == TrialState::kComplete && objective < t->values.size() &&
        std::isfinite(t->values[objective])) {
      counted.push_back(t);
    }
  }
  std::vector<ParamImportance> out;
  if (counted.size() < 3) return out;
  const int bins =
      std::clamp(static_cast<int>(std::sqrt(static_cast<double>(counted.size()))), 2, kMaxBins);
  for (const Parameter& p : params) {
    std::vector<double> x, y;
    const auto* f = std::get_if<FloatDistribution>(&p.distribution);
    const auto* i = std::get_if<IntDistribution>(&p.distribution);
    const bool log = (f && f->log) || (i && i->log);
    for (const TrialRecord* t : counted) {
      auto it = t->params.find(p.name);
      if (it == t->params.end()) continue;
      x.push_back(log && it->second > 0 ? std::log(it->second) : it->second);
      y.push_back(t->values[objective]);
    }
    if (x.empty()) continue;
    const bool categorical = std::holds_alternative<CategoricalDistribution>(p.distribution);
    const int groups = categorical ? static_cast<int>(x.size()) : bins;
    out.push_back({p.name, EpsilonSquared(y, GroupsOf(x, groups))});
  }
  double total = 0;
  for (const auto& imp : out) total += imp.importance;
  for (auto& imp : out) {
    imp.importance = total > 0 ? imp.importance / total : 1.0 / static_cast<double>(out.size());
  }
  std::sort(out.begin(), out.end(), [](const ParamImportance& a, const ParamImportance& b) {
    return a.importance != b.importance ? a.importance > b.importance : a.name < b.name;
  });
  return out;
}

}  // namespace gdsweep::report
