#include "pruners/pruner_spec_check.h"

#include <cstdint>
#include <string>

namespace gdsweep {
namespace {

using Problem = std::optional<PrunerSpecProblem>;

std::string Number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Problem AtLeast(const char* key, int64_t value, int64_t low) {
  if (value >= low) return std::nullopt;
  return PrunerSpecProblem{
      key, "must be at least " + std::to_string(low) + ", got " + std::to_string(value)};
}

Problem CheckPercentile(const PrunerSpec& spec) {
  const auto& o = spec.percentile;
  if (spec.type == PrunerType::kPercentile && !(o.percentile >= 0.0 && o.percentile <= 100.0)) {
    return PrunerSpecProblem{"percentile",
                             "must be from 0 to 100 inclusive, got " + Number(o.percentile)};
  }
  if (auto p = AtLeast("n_startup_trials", o.n_startup_trials, 0)) return p;
  if (auto p = AtLeast("n_warmup_steps", o.n_warmup_steps, 0)) return p;
  if (auto p = AtLeast("interval_steps", o.interval_steps, 1)) return p;
  return AtLeast("n_min_trials", o.n_min_trials, 1);
}

Problem CheckSuccessiveHalving(const SuccessiveHalvingOptions& o) {
  if (o.min_resource) {
    if (auto p = AtLeast("min_resource", *o.min_resource, 1)) return p;
  }
  if (auto p = AtLeast("reduction_factor", o.reduction_factor, 2)) return p;
  if (auto p = AtLeast("min_early_stopping_rate", o.min_early_stopping_rate, 0)) return p;
  if (auto p = AtLeast("bootstrap_count", o.bootstrap_count, 0)) return p;
  if (o.bootstrap_count > 0 && !o.min_resource) {
    return PrunerSpecProblem{"bootstrap_count",
                             "a bootstrap_count above 0 needs an explicit min_resource, not "
                             "'auto' (as in Optuna)"};
  }
  return std::nullopt;
}

Problem CheckHyperband(const HyperbandOptions& o) {
  if (auto p = AtLeast("min_resource", o.min_resource, 1)) return p;
  if (o.max_resource && *o.max_resource < o.min_resource) {
    return PrunerSpecProblem{"max_resource", "must be at least min_resource (" +
                                                 std::to_string(o.min_resource) + "), got " +
                                                 std::to_string(*o.max_resource) +
                                                 "; with less, Hyperband has no bracket"};
  }
  if (auto p = AtLeast("reduction_factor", o.reduction_factor, 2)) return p;
  if (auto p = AtLeast("bootstrap_count", o.bootstrap_count, 0)) return p;
  if (o.bootstrap_count > 0 && !o.max_resource) {
    return PrunerSpecProblem{"bootstrap_count",
                             "a bootstrap_count above 0 needs an explicit max_resource, not "
                             "'auto' (as in Optuna)"};
  }
  return std::nullopt;
}

Problem CheckThreshold(const ThresholdOptions& o) {
  if (!o.lower && !o.upper) {
    return PrunerSpecProblem{"", "a threshold pruner needs 'lower', 'upper' or both"};
  }
  if (o.lower && o.upper && *o.lower > *o.upper) {
    return PrunerSpecProblem{
        "lower", "must not be above upper (" + Number(*o.upper) + "), got " + Number(*o.lower)};
  }
  if (auto p = AtLeast("n_warmup_steps", o.n_warmup_steps, 0)) return p;
  return AtLeast("interval_steps", o.interval_steps, 1);
}

Problem CheckPatient(const PatientOptions& o) {
  if (auto p = AtLeast("patience", o.patience, 0)) return p;
  if (!(o.min_delta >= 0.0)) {
    return PrunerSpecProblem{"min_delta", "must not be negative, got " + Number(o.min_delta)};
  }
  if (!o.wrapped_pruner) return std::nullopt;
  if (o.wrapped_pruner->type == PrunerType::kPatient) {
    return PrunerSpecProblem{"wrapped_pruner.type",
                             "a patient pruner cannot wrap another patient pruner; give one "
                             "patient pruner with the patience you want"};
  }
  auto inner = CheckPrunerSpec(*o.wrapped_pruner);
  if (inner) inner->key = inner->key.empty() ? "wrapped_pruner" : "wrapped_pruner." + inner->key;
  return inner;
}

}  // namespace

std::optional<PrunerSpecProblem> CheckPrunerSpec(const PrunerSpec& spec) {
  switch (spec.type) {
    case PrunerType::kNone:
      return std::nullopt;
    case PrunerType::kMedian:
    case PrunerType::kPercentile:
      return CheckPercentile(spec);
    case PrunerType::kSuccessiveHalving:
      return CheckSuccessiveHalving(spec.successive_halving);
    case PrunerType::kHyperband:
      return CheckHyperband(spec.hyperband);
    case PrunerType::kThreshold:
      return CheckThreshold(spec.threshold);
    case PrunerType::kPatient:
      return CheckPatient(spec.patient);
  }
  return std::nullopt;
}

}  // namespace gdsweep
