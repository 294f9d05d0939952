#include "samplers/tpe/observation_cache.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gdsweep::tpe {
namespace {

constexpr double kCacheInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Beyond this many new entries one sort beats inserting them one by one.
constexpr size_t kResortAbove = 64;

bool Before(const ObservationCache::Sorted& a, const ObservationCache::Sorted& b) {
  return a.x < b.x || (a.x == b.x && a.number < b.number);
}

}  // namespace

void ObservationCache::Reset(const SearchSpace& space, std::span<const ParamDomain> domains,
                             const std::vector<Objective>& objectives) {
  names_.clear();
  for (const auto& p : space) names_.push_back(p.name);
  domains_.assign(domains.begin(), domains.end());
  signs_.clear();
  for (const auto& o : objectives) signs_.push_back(o.direction == Direction::kMaximize ? -1 : 1);
  n_objectives_ = objectives.size();
  stale_ = false;
  entries_.clear();
  model_.clear();
  objectives_.clear();
  by_id_.clear();
  by_position_.clear();
  sorted_.assign(domains_.size(), {});
  missing_.assign(domains_.size(), 0);
  sorted_upto_ = 0;
}

void ObservationCache::Transform(const TrialRecord& t, double* out) const {
  for (size_t d = 0; d < domains_.size(); ++d) {
    auto it = t.params.find(names_[d]);
    out[d] = it == t.params.end() ? kNaN : ToModel(domains_[d], it->second);
  }
}

uint32_t ObservationCache::Intern(const TrialRecord& t, size_t position) {
  if (position < by_position_.size() && by_position_[position] != kNone) {
    const Entry& e = entries_[by_position_[position]];
    if (e.trial_id == t.trial_id && e.number == t.number && e.state == t.state) {
      return by_position_[position];
    }
  }
  if (by_position_.size() <= position) by_position_.resize(position + 1, kNone);
  if (auto it = by_id_.find(t.trial_id); it != by_id_.end()) {
    const Entry& e = entries_[it->second];
    if (e.number == t.number && e.state == t.state) return by_position_[position] = it->second;
    stale_ = true;
    return kNone;
  }
  Entry e{t.trial_id, t.number, t.state, {}, Violation(t)};
  const bool multi = n_objectives_ > 1;
  if (t.state == TrialState::kComplete) {
    if (t.values.size() != n_objectives_) return kNone;
    e.key = {-kCacheInf, signs_[0] * t.values[0]};  // a NaN stays NaN: last, after +inf
  } else if (t.state == TrialState::kPruned && !multi) {
    // Optuna's ranking of pruned trials: the deepest step first, then the
    // value reported there, a NaN there counting as +inf.
    if (t.intermediate.empty()) {
      e.key = {1, 0};
    } else {
      const auto& [step, value] = *t.intermediate.rbegin();
      e.key = {-static_cast<double>(step), std::isnan(value) ? kCacheInf : signs_[0] * value};
    }
  } else {
    return kNone;
  }
  const auto index = static_cast<uint32_t>(entries_.size());
  entries_.push_back(e);
  model_.resize(model_.size() + domains_.size());
  Transform(t, model_.data() + index * domains_.size());
  if (multi) {
    for (size_t j = 0; j < n_objectives_; ++j) {
      double v = signs_[j] * t.values[j];
      objectives_.push_back(std::isnan(v) ? kCacheInf : v);
    }
  }
  by_id_.emplace(t.trial_id, index);
  return by_position_[position] = index;
}

void ObservationCache::SortNew() {
  const size_t n = entries_.size();
  if (sorted_upto_ == n) return;
  for (size_t d = 0; d < domains_.size(); ++d) {
    auto& sorted = sorted_[d];
    const bool resort = n - sorted_upto_ > kResortAbove;
    for (size_t e = sorted_upto_; e < n; ++e) {
      double x = model(static_cast<uint32_t>(e), d);
      if (std::isnan(x)) {
        ++missing_[d];
        continue;
      }
      Sorted s{x, entries_[e].number, static_cast<uint32_t>(e)};
      if (resort) {
        sorted.push_back(s);
      } else {
        sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), s, Before), s);
      }
    }
    if (resort) std::sort(sorted.begin(), sorted.end(), Before);
  }
  sorted_upto_ = n;
}

}  // namespace gdsweep::tpe
