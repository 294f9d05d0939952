// What the TPE sampler keeps between calls: the finished trials of its study,
// each read and transformed once (parameter values into model space, the
// objective values into a ranking key), keyed by trial_id because a finished
// trial never changes; and per parameter the entries sorted by value, kept
// sorted incrementally, which univariate bandwidths need. Memory is
// proportional to the history. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "samplers/tpe/parzen_estimator.h"
#include "samplers/tpe/tpe_split.h"
#include "sweeper/model/search_space.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/model/trial.h"

namespace gdsweep::tpe {

class ObservationCache {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Entry {
    int64_t trial_id = 0;
    int64_t number = 0;
    TrialState state = TrialState::kComplete;
    RankKey key;  // single-objective ranking
    // Optuna 3.1's violation: the sum of positive constraint values; +inf
    // when the trial recorded none (Violation()).
    double violation = 0;
  };
  struct Sorted {
    double x;  // model-space value
    int64_t number;
    uint32_t entry;
  };

  // Forgets everything; the space and objectives every later trial is read
  // against (domains[d] belongs to space[d]).
  void Reset(const SearchSpace& space, std::span<const ParamDomain> domains,
             const std::vector<Objective>& objectives);

  // The entry of finished trial `t`, transformed and added when new; kNone
  // when the trial takes no part in TPE (failed, missing objective values,
  // pruned in a multi-objective study). A trial_id seen before with another
  // number or state means the history was not this study's: returns kNone
  // and sets stale() so the caller can Reset. `position` is t's index in the
  // history: when it held the same trial last time, no lookup is needed.
  uint32_t Intern(const TrialRecord& t, size_t position);
  bool stale() const { return stale_; }

  // Makes sorted() include the entries interned since the last call.
  void SortNew();

  // Model-space values of `t` into out[0..dims), NaN where missing or invalid.
  void Transform(const TrialRecord& t, double* out) const;

  size_t size() const { return entries_.size(); }
  size_t dims() const { return domains_.size(); }
  const Entry& entry(uint32_t e) const { return entries_[e]; }
  double model(uint32_t e, size_t d) const { return model_[e * domains_.size() + d]; }
  // Sign-adjusted objective values (multi-objective studies).
  const double* objectives(uint32_t e) const { return objectives_.data() + e * n_objectives_; }
  // Entries with a valid value of parameter d, by (value, number).
  std::span<const Sorted> sorted(size_t d) const { return sorted_[d]; }
  // How many entries lack a valid value of parameter d.
  size_t missing(size_t d) const { return missing_[d]; }

 private:
  std::vector<std::string> names_;
  std::vector<ParamDomain> domains_;
  std::vector<double> signs_;  // +1 minimise, -1 maximise
  size_t n_objectives_ = 0;
  bool stale_ = false;

  std::vector<Entry> entries_;
  std::vector<double> model_;       // entries x dims
  std::vector<double> objectives_;  // entries x objectives, multi-objective only
  std::unordered_map<int64_t, uint32_t> by_id_;
  std::vector<uint32_t> by_position_;  // history position -> entry, as last seen
  std::vector<std::vector<Sorted>> sorted_;
  std::vector<size_t> missing_;
  size_t sorted_upto_ = 0;  // entries below this are in sorted_
};

}  // namespace gdsweep::tpe
