// Optuna's ThresholdPruner: prune a trial whose latest intermediate value is
// NaN or outside [lower, upper], judged after the warmup every interval_steps.
// Reads no history. Not thread-safe (Pruner).
#pragma once

#include "pruners/pruner.h"

namespace gdsweep {

class ThresholdPruner : public Pruner {
 public:
  explicit ThresholdPruner(const ThresholdOptions& options) : options_(options) {}

  PruneDecision Prune(const PruneRequest& req) override;
  bool ReadsHistory() const override { return false; }

 private:
  ThresholdOptions options_;
};

}  // namespace gdsweep
