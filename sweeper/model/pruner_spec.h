// PrunerSpec: the `pruner` section of a study file (docs/study-file.md,
// "Pruner") after validation: which early-stopping rule judges a trial's
// intermediate values, with Optuna 3.1's parameter names and defaults. Plain
// structs; thread-compatible. pruners/ turns one into a Pruner.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

namespace gdsweep {

enum class PrunerType {
  kNone,               // never prunes (the default: no `pruner` section)
  kMedian,             // Optuna's MedianPruner
  kPercentile,         // PercentilePruner
  kSuccessiveHalving,  // SuccessiveHalvingPruner (asynchronous successive halving)
  kHyperband,          // HyperbandPruner
  kThreshold,          // ThresholdPruner
  kPatient,            // PatientPruner, optionally wrapping another pruner
};

// "none", "median", "percentile", "successive_halving", "hyperband",
// "threshold", "patient": the study file's names.
const char* ToString(PrunerType type);

// median and percentile.
struct PercentileOptions {
  double percentile = 50.0;      // kept: the top `percentile` %; median: always 50
  int64_t n_startup_trials = 5;  // no pruning until this many trials are COMPLETE
  int64_t n_warmup_steps = 0;    // no pruning before this step
  int64_t interval_steps = 1;    // judge every this many steps after the warmup
  int64_t n_min_trials = 1;      // completed trials that must have reported the step
};

struct SuccessiveHalvingOptions {
  std::optional<int64_t> min_resource;  // none: "auto" (estimated from the first COMPLETE trials)
  int64_t reduction_factor = 4;
  int64_t min_early_stopping_rate = 0;
  int64_t bootstrap_count = 0;  // > 0 needs an explicit min_resource
};

struct HyperbandOptions {
  int64_t min_resource = 1;
  std::optional<int64_t> max_resource;  // none: "auto" (last step of the first COMPLETE trials + 1)
  int64_t reduction_factor = 3;
  int64_t bootstrap_count = 0;  // > 0 needs an explicit max_resource
};

struct ThresholdOptions {
  std::optional<double> lower;  // prune below it; none: -infinity
  std::optional<double> upper;  // prune above it; none: +infinity
  int64_t n_warmup_steps = 0;
  int64_t interval_steps = 1;
};

struct PrunerSpec;

struct PatientOptions {
  int64_t patience = 0;    // steps without improvement tolerated
  double min_delta = 0.0;  // improvement smaller than this does not count
  // The pruner consulted once patience has run out (never itself patient);
  // nullptr: prune then.
  std::shared_ptr<const PrunerSpec> wrapped_pruner;
};

// Only the options of `type` are read.
struct PrunerSpec {
  PrunerType type = PrunerType::kNone;
  PercentileOptions percentile;  // median and percentile
  SuccessiveHalvingOptions successive_halving;
  HyperbandOptions hyperband;
  ThresholdOptions threshold;
  PatientOptions patient;
};

}  // namespace gdsweep
