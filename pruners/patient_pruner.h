// Optuna's PatientPruner: once a trial's best value over its last
// patience + 1 steps is no better (by min_delta) than its best before them,
// defer to the wrapped pruner, or prune when there is none. Not thread-safe
// (Pruner).
#pragma once

#include <memory>

#include "pruners/pruner.h"

namespace gdsweep {

class PatientPruner : public Pruner {
 public:
  // `wrapped` may be null.
  PatientPruner(const PatientOptions& options, std::unique_ptr<Pruner> wrapped)
      : patience_(options.patience), min_delta_(options.min_delta), wrapped_(std::move(wrapped)) {}

  PruneDecision Prune(const PruneRequest& req) override;
  bool ReadsHistory() const override { return wrapped_ && wrapped_->ReadsHistory(); }

 private:
  int64_t patience_;
  double min_delta_;
  std::unique_ptr<Pruner> wrapped_;
};

// Whether the values by step (in step order) stopped improving: the best of
// the last patience + 1 is worse than the best before them by more than
// min_delta, NaN ignored. False while there are patience + 1 values or fewer.
bool OutOfPatience(const std::map<int64_t, double>& intermediate, int64_t patience,
                   double min_delta, Direction direction);

}  // namespace gdsweep
