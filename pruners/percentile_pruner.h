// Optuna's PercentilePruner and MedianPruner (percentile 50): prune a trial
// whose best intermediate value so far is worse than the given percentile of
// the COMPLETE trials' values at the same step. Not thread-safe (Pruner).
#pragma once

#include "pruners/pruner.h"

namespace gdsweep {

class PercentilePruner : public Pruner {
 public:
  explicit PercentilePruner(const PercentileOptions& options) : options_(options) {}

  PruneDecision Prune(const PruneRequest& req) override;

 private:
  PercentileOptions options_;
};

}  // namespace gdsweep
