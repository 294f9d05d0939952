#include "samplers/grid_sampler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <unordered_set>

#include "samplers/seeding.h"

namespace gdsweep {
namespace {

// Explicit values closer than this (relative) are the same point, so a value
// another tool rounded differently still counts as taken.
constexpr double kRelativeTolerance = 1e-9;

bool Close(double a, double b) {
  return a == b || std::abs(a - b) <= kRelativeTolerance * std::max(std::abs(a), std::abs(b));
}

Error AxisError(const std::string& name, const std::string& what) {
  return Error::Invalid("grid sampler: parameter '" + name + "': " + what);
}

// A value as the user wrote it: "5" for an int or a choice index, "0.25" for a float.
std::string Describe(const Distribution& d, double v) {
  if (std::holds_alternative<FloatDistribution>(d) || v != std::round(v)) return FormatDouble(v);
  return std::to_string(std::llround(v));
}

// A valid point of a conditional grid as a hashable key.
std::string PointKey(const std::vector<int64_t>& axis_indices) {
  return std::string(reinterpret_cast<const char*>(axis_indices.data()),
                     axis_indices.size() * sizeof(int64_t));
}

}  // namespace

SeededPermutation::SeededPermutation(uint64_t size, uint64_t seed) : size_(size) {
  const auto bits = static_cast<unsigned>(std::bit_width(size > 0 ? size - 1 : 0));
  half_bits_ = std::max(1u, (bits + 1) / 2);
  for (size_t r = 0; r < keys_.size(); ++r) {
    keys_[r] = DeriveSeed(seed, static_cast<int64_t>(r), StreamId("grid-order"));
  }
}

uint64_t SeededPermutation::Feistel(uint64_t x) const {
  const uint64_t mask = (uint64_t{1} << half_bits_) - 1;
  uint64_t left = x >> half_bits_;
  uint64_t right = x & mask;
  for (uint64_t key : keys_) {
    uint64_t next = left ^ (SplitMix64(right ^ key) & mask);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

uint64_t SeededPermutation::operator()(uint64_t i) const {
  // Cycle walking: the Feistel network permutes [0, 4^half_bits), which is at
  // most 4x size, so the walk from a point inside [0, size) returns inside
  // after ~4 steps on average.
  uint64_t x = Feistel(i);
  while (x >= size_) x = Feistel(x);
  return x;
}

Result<GridSampler::Axis> GridSampler::MakeAxis(const Parameter& p,
                                                const std::vector<double>* values) {
  Axis axis{p.name, p.distribution, {}, {}, 0};
  if (!values) {
    auto n = GridSize(p.distribution);
    if (!n || *n <= 0) {
      return AxisError(p.name,
                       "a continuous float has no grid: give it a step, or list its values "
                       "under sampler.values");
    }
    axis.size = *n;
    return axis;
  }
  if (values->empty()) return AxisError(p.name, "no grid values");
  axis.values = *values;
  for (size_t k = 0; k < values->size(); ++k) {
    if (!Contains(p.distribution, (*values)[k])) {
      return AxisError(p.name, Describe(p.distribution, (*values)[k]) + " is not a value of it");
    }
    axis.sorted.emplace_back((*values)[k], static_cast<int64_t>(k));
  }
  std::sort(axis.sorted.begin(), axis.sorted.end());
  for (size_t k = 1; k < axis.sorted.size(); ++k) {
    if (Close(axis.sorted[k - 1].first, axis.sorted[k].first)) {
      return AxisError(p.name, Describe(p.distribution, axis.sorted[k].first) + " appears twice");
    }
  }
  axis.size = static_cast<int64_t>(values->size());
  return axis;
}

Result<std::unique_ptr<GridSampler>> GridSampler::Make(
    const SearchSpace& space, const std::map<std::string, std::vector<double>>& grid_values,
    uint64_t seed) {
  for (const auto& [name, values] : grid_values) {
    if (!FindParameter(space, name)) return AxisError(name, "not in the search space");
  }
  std::vector<Axis> axes;
  int64_t size = 1;
  std::string sizes;  // "a: 10, b: 3" for the too-large message
  const bool conditional = IsConditional(space);
  for (const auto& p : space) {
    auto it = grid_values.find(p.name);
    auto axis = MakeAxis(p, it == grid_values.end() ? nullptr : &it->second);
    if (!axis) return axis.error();
    sizes += (sizes.empty() ? "" : ", ") + p.name + ": " + std::to_string(axis->size);
    if (conditional) {  // the valid points are counted as they are listed
      axes.push_back(std::move(*axis));
      continue;
    }
    if (axis->size > kMaxGridPoints / size) {  // size * axis->size would pass the limit
      return Error::Invalid("grid sampler: the grid has more than " +
                            std::to_string(kMaxGridPoints) + " points (" + sizes + ", ...)");
    }
    size *= axis->size;
    axes.push_back(std::move(*axis));
  }
  if (!conditional) {
    return std::unique_ptr<GridSampler>(new GridSampler(std::move(axes), size, seed));
  }
  std::unique_ptr<GridSampler> grid(new GridSampler(std::move(axes), 0, seed));
  if (auto s = grid->ListValidPoints(space); !s) return s.error();
  return grid;
}

GridSampler::GridSampler(std::vector<Axis> axes, int64_t size, uint64_t seed)
    : axes_(std::move(axes)), size_(size), order_(static_cast<uint64_t>(size), seed), seed_(seed) {}

// Depth-first over the space in order: an active parameter branches on each of
// its grid values, an inactive one is -1; the last parameter varies fastest,
// as PointAt's mixed radix.
Status GridSampler::ListValidPoints(const SearchSpace& space) {
  std::vector<int64_t> point(axes_.size(), -1);
  Params chosen;
  bool too_many = false;
  auto walk = [&](auto& self, size_t a) -> void {
    if (too_many) return;
    if (a == axes_.size()) {
      if (static_cast<int64_t>(points_.size()) >= kMaxGridPoints) {
        too_many = true;
        return;
      }
      point_index_.emplace(PointKey(point), static_cast<int64_t>(points_.size()));
      points_.push_back(point);
      return;
    }
    if (!IsActive(space[a], chosen)) {
      point[a] = -1;
      self(self, a + 1);
      return;
    }
    for (int64_t k = 0; k < axes_[a].size && !too_many; ++k) {
      point[a] = k;
      chosen[axes_[a].name] = AxisValue(axes_[a], k);
      self(self, a + 1);
    }
    chosen.erase(axes_[a].name);
    point[a] = -1;
  };
  walk(walk, 0);
  if (too_many) {
    return Error::Invalid("grid sampler: the grid has more than " + std::to_string(kMaxGridPoints) +
                          " valid points");
  }
  size_ = static_cast<int64_t>(points_.size());
  order_ = SeededPermutation(static_cast<uint64_t>(size_), seed_);
  return {};
}

double GridSampler::AxisValue(const Axis& axis, int64_t k) const {
  return axis.values.empty() ? GridValue(axis.distribution, k) : axis.values[k];
}

Params GridSampler::PointAt(int64_t index) const {
  Params params;
  if (!points_.empty()) {
    const auto& point = points_[static_cast<size_t>(index)];
    for (size_t a = 0; a < axes_.size(); ++a) {
      if (point[a] >= 0) params[axes_[a].name] = AxisValue(axes_[a], point[a]);
    }
    return params;
  }
  for (auto axis = axes_.rbegin(); axis != axes_.rend(); ++axis) {
    int64_t k = index % axis->size;
    index /= axis->size;
    params[axis->name] = AxisValue(*axis, k);
  }
  return params;
}

std::optional<int64_t> GridSampler::AxisIndexOf(const Axis& axis, double value) const {
  if (!axis.values.empty()) {
    auto it = std::lower_bound(axis.sorted.begin(), axis.sorted.end(),
                               std::pair<double, int64_t>{value, INT64_MIN});
    if (it != axis.sorted.end() && Close(it->first, value)) return it->second;
    if (it != axis.sorted.begin() && Close(std::prev(it)->first, value)) {
      return std::prev(it)->second;
    }
    return std::nullopt;
  }
  if (!Contains(axis.distribution, value)) return std::nullopt;
  double k = value;  // categorical: the index itself
  if (const auto* f = std::get_if<FloatDistribution>(&axis.distribution)) {
    k = (value - f->low) / *f->step;
  } else if (const auto* i = std::get_if<IntDistribution>(&axis.distribution)) {
    k = (value - static_cast<double>(i->low)) / static_cast<double>(i->step);
  }
  return std::clamp<int64_t>(std::llround(k), 0, axis.size - 1);
}

std::optional<int64_t> GridSampler::IndexOf(const Params& params) const {
  if (!points_.empty()) {
    std::vector<int64_t> point(axes_.size(), -1);
    for (size_t a = 0; a < axes_.size(); ++a) {
      auto it = params.find(axes_[a].name);
      if (it == params.end()) continue;
      auto k = AxisIndexOf(axes_[a], it->second);
      if (!k) return std::nullopt;
      point[a] = *k;
    }
    auto it = point_index_.find(PointKey(point));
    if (it == point_index_.end()) return std::nullopt;
    return it->second;
  }
  int64_t index = 0;
  for (const auto& axis : axes_) {
    auto it = params.find(axis.name);
    if (it == params.end()) return std::nullopt;
    auto k = AxisIndexOf(axis, it->second);
    if (!k) return std::nullopt;
    index = index * axis.size + *k;
  }
  return index;
}

std::optional<int64_t> GridSampler::CachedIndexOf(const TrialRecord& trial) {
  if (auto it = index_by_trial_.find(trial.trial_id); it != index_by_trial_.end()) {
    return it->second < 0 ? std::nullopt : std::optional<int64_t>(it->second);
  }
  auto index = IndexOf(trial.params);
  // A trial's params are fixed once it is created; only a WAITING trial
  // (enqueued by hand, e.g. from Optuna) may still be given more.
  if (trial.state != TrialState::kWaiting) index_by_trial_[trial.trial_id] = index.value_or(-1);
  return index;
}

Result<std::optional<Params>> GridSampler::Sample(const SampleRequest& req) {
  bool same_space = req.space.size() == axes_.size();
  for (size_t i = 0; same_space && i < axes_.size(); ++i) {
    same_space = req.space[i].name == axes_[i].name;
  }
  if (!same_space) return Error::Internal("grid sampler: asked for a space it was not made for");
  std::unordered_set<int64_t> taken;
  for (const auto& trial : req.history) {
    if (auto index = CachedIndexOf(trial)) taken.insert(*index);
  }
  if (static_cast<int64_t>(taken.size()) >= size_) return std::optional<Params>();
  if (req.given) {
    // A queued point's values: the first free grid point that has them all
    // (its other parameters complete the point); none: the next free one.
    for (uint64_t position = 0; position < static_cast<uint64_t>(size_); ++position) {
      auto index = static_cast<int64_t>(order_(position));
      if (taken.count(index)) continue;
      Params point = PointAt(index);
      const bool agrees = std::all_of(req.given->begin(), req.given->end(), [&](const auto& g) {
        auto it = point.find(g.first);
        return it != point.end() && Close(it->second, g.second);
      });
      if (agrees) return std::optional<Params>(std::move(point));
    }
  }
  // At most taken.size() + 1 steps: each taken position skipped is a distinct point.
  for (uint64_t position = 0;; ++position) {
    auto index = static_cast<int64_t>(order_(position));
    if (!taken.count(index)) return std::optional<Params>(PointAt(index));
  }
}

}  // namespace gdsweep
