#include "samplers/tpe/hypervolume.h"

#include <algorithm>
#include <limits>

namespace gdsweep::tpe {
namespace {

// Hypervolume of the rows `idx` of `points` over their first `m` objectives.
double Recurse(std::span<const double> points, size_t stride, std::vector<size_t> idx, size_t m,
               std::span<const double> ref) {
  if (idx.empty()) return 0;
  auto at = [&](size_t i, size_t j) { return points[i * stride + j]; };
  if (m == 1) {
    double best = ref[0];
    for (size_t i : idx) best = std::min(best, at(i, 0));
    return ref[0] - best;
  }
  // Sort along objective m - 1; each point opens a slab up to the next one
  // (or the reference), whose cross-section is the hypervolume of the points
  // so far in the first m - 1 objectives.
  const size_t last = m - 1;
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return at(a, last) < at(b, last); });
  if (m == 2) {
    double volume = 0, lowest = ref[0];
    for (size_t s = 0; s < idx.size(); ++s) {
      lowest = std::min(lowest, at(idx[s], 0));
      double next = s + 1 < idx.size() ? at(idx[s + 1], 1) : ref[1];
      volume += (ref[0] - lowest) * (next - at(idx[s], 1));
    }
    return volume;
  }
  double volume = 0;
  std::vector<size_t> prefix;
  for (size_t s = 0; s < idx.size(); ++s) {
    prefix.push_back(idx[s]);
    double next = s + 1 < idx.size() ? at(idx[s + 1], last) : ref[last];
    double height = next - at(idx[s], last);
    if (height > 0) volume += height * Recurse(points, stride, prefix, last, ref);
  }
  return volume;
}

}  // namespace

double Hypervolume(std::span<const double> points, size_t m, std::span<const double> ref) {
  const size_t n = m == 0 ? 0 : points.size() / m;
  std::vector<size_t> inside;
  for (size_t i = 0; i < n; ++i) {
    bool dominates_ref = true;
    for (size_t j = 0; j < m; ++j) dominates_ref = dominates_ref && points[i * m + j] < ref[j];
    if (dominates_ref) inside.push_back(i);
  }
  return Recurse(points, m, std::move(inside), m, ref);
}

std::vector<size_t> GreedyHypervolumeSubset(std::span<const double> points, size_t m, size_t k,
                                            std::span<const double> ref) {
  const size_t n = points.size() / m;
  std::vector<size_t> picked;
  std::vector<bool> taken(n, false);
  std::vector<double> subset;  // rows picked so far, plus one candidate
  double picked_volume = 0;
  while (picked.size() < std::min(k, n)) {
    size_t best = n;
    double best_gain = -1;
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      subset.resize(picked.size() * m);
      subset.insert(subset.end(), points.begin() + static_cast<ptrdiff_t>(i * m),
                    points.begin() + static_cast<ptrdiff_t>((i + 1) * m));
      double gain = Hypervolume(subset, m, ref) - picked_volume;
      if (gain > best_gain) {
        best_gain = gain;
        best = i;
      }
    }
    if (best == n) {  // every gain NaN (infinite points): the earliest row
      best = static_cast<size_t>(std::find(taken.begin(), taken.end(), false) - taken.begin());
    }
    taken[best] = true;
    picked.push_back(best);
    subset.resize((picked.size() - 1) * m);
    subset.insert(subset.end(), points.begin() + static_cast<ptrdiff_t>(best * m),
                  points.begin() + static_cast<ptrdiff_t>((best + 1) * m));
    picked_volume = Hypervolume(subset, m, ref);
  }
  return picked;
}

std::vector<double> ReferencePoint(std::span<const double> points, size_t m) {
  std::vector<double> ref(m, -std::numeric_limits<double>::infinity());
  for (size_t i = 0; i * m < points.size(); ++i) {
    for (size_t j = 0; j < m; ++j) ref[j] = std::max(ref[j], points[i * m + j]);
  }
  for (double& r : ref) {
    r = std::max(1.1 * r, 0.9 * r);
    if (r == 0) r = 1e-12;
  }
  return ref;
}

}  // namespace gdsweep::tpe
