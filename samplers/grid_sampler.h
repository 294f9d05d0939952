// GridSampler: every point of the cartesian product of the parameters' grids
// (explicit values, or the distribution's own grid), each proposed once, in an
// order shuffled with the study seed. A point is taken by any trial of the
// history holding it, whatever its state (failed trials are retried by the
// engine, not by the grid). Sample is a pure function of (seed, history); the
// grid is never materialised, except for a conditional space, whose valid
// points (each inactive parameter absent, never one point per value it could
// have had) are listed once by walking the space. Not thread-safe: caches
// points by trial_id.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "samplers/sampler.h"

namespace gdsweep {

// The largest grid the sampler accepts.
inline constexpr int64_t kMaxGridPoints = 10'000'000;

// A pseudo-random permutation of [0, size) in O(1) memory: a 6-round Feistel
// network over the smallest even number of bits covering size, walked in
// cycles until it lands inside the range. Thread-safe (immutable).
class SeededPermutation {
 public:
  SeededPermutation(uint64_t size, uint64_t seed);
  uint64_t operator()(uint64_t i) const;  // 0 <= i < size

 private:
  uint64_t Feistel(uint64_t x) const;

  uint64_t size_;
  unsigned half_bits_ = 1;
  std::array<uint64_t, 6> keys_{};
};

class GridSampler final : public Sampler {
 public:
  // Error::Invalid naming the parameter when one has no grid (a continuous
  // float without explicit values) or bad explicit values, or when the grid
  // has more than kMaxGridPoints points.
  static Result<std::unique_ptr<GridSampler>> Make(
      const SearchSpace& space, const std::map<std::string, std::vector<double>>& grid_values,
      uint64_t seed);

  // The first point of the shuffled grid no trial holds; nullopt when every
  // point is taken. `req.space` must be the space the sampler was made for.
  Result<std::optional<Params>> Sample(const SampleRequest& req) override;

  int64_t size() const { return size_; }

 private:
  // One parameter's grid: explicit values, or (values empty) the
  // distribution's own GridValue(0 .. size-1).
  struct Axis {
    std::string name;
    Distribution distribution;
    std::vector<double> values;
    std::vector<std::pair<double, int64_t>> sorted;  // values with their index, by value
    int64_t size = 0;
  };

  // `values`: the explicit grid values, or nullptr for the distribution's grid.
  static Result<Axis> MakeAxis(const Parameter& p, const std::vector<double>* values);
  GridSampler(std::vector<Axis> axes, int64_t size, uint64_t seed);
  // A conditional space: lists its valid points (kMaxGridPoints at most).
  Status ListValidPoints(const SearchSpace& space);
  Params PointAt(int64_t index) const;  // mixed radix, last axis fastest
  double AxisValue(const Axis& axis, int64_t k) const;
  std::optional<int64_t> IndexOf(const Params& params) const;
  std::optional<int64_t> AxisIndexOf(const Axis& axis, double value) const;
  std::optional<int64_t> CachedIndexOf(const TrialRecord& trial);

  std::vector<Axis> axes_;
  int64_t size_;
  // A conditional space only: its valid points, each as one index per axis
  // (-1: the parameter is inactive there), and a point's key -> its position.
  std::vector<std::vector<int64_t>> points_;
  std::unordered_map<std::string, int64_t> point_index_;
  SeededPermutation order_;
  uint64_t seed_;
  // trial_id -> grid index (-1: not a grid point); WAITING trials not cached.
  std::unordered_map<int64_t, int64_t> index_by_trial_;
};

}  // namespace gdsweep
