// Optuna's SuccessiveHalvingPruner (asynchronous successive halving): when a
// trial reaches a rung's step, its value there is kept as the rung's value,
// and it goes on only if that value is in the best 1/reduction_factor of all
// values recorded at that rung. Not thread-safe; "auto" min_resource is fixed
// at the first judgement that finds a COMPLETE trial, as Optuna does.
#pragma once

#include <optional>
#include <vector>

#include "pruners/pruner.h"

namespace gdsweep {

class SuccessiveHalvingPruner : public Pruner {
 public:
  explicit SuccessiveHalvingPruner(const SuccessiveHalvingOptions& options);

  PruneDecision Prune(const PruneRequest& req) override;

  // The same judgement with `trials` as the study's trials (Hyperband passes
  // one bracket's).
  PruneDecision PruneAmong(const PruneRequest& req, const std::vector<const TrialRecord*>& trials);

 private:
  std::optional<int64_t> min_resource_;
  int64_t reduction_factor_;
  int64_t min_early_stopping_rate_;
  int64_t bootstrap_count_;
};

}  // namespace gdsweep
