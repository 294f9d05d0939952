// Optuna's HyperbandPruner: trials are spread over brackets of successive
// halving, each with its own min_early_stopping_rate, by a hash of the study
// name and trial number; a trial competes only with its own bracket's trials.
// Not thread-safe; "auto" max_resource and the brackets are fixed at the first
// judgement that finds a COMPLETE trial, as Optuna does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pruners/pruner.h"
#include "pruners/successive_halving_pruner.h"

namespace gdsweep {

class HyperbandPruner : public Pruner {
 public:
  explicit HyperbandPruner(const HyperbandOptions& options) : options_(options) {}

  PruneDecision Prune(const PruneRequest& req) override;

  // The bracket of trial `number`; 0 while the brackets are not yet fixed.
  // Optuna's samplers see only the trials of the sampled trial's bracket.
  int BracketOf(const std::string& study_name, int64_t number) const;

 private:
  // Fixes max_resource and the brackets when it can.
  void TryInitialize(const std::vector<TrialRecord>& history);

  HyperbandOptions options_;
  std::optional<int64_t> n_brackets_;
  std::vector<double> budgets_;  // one per bracket
  std::vector<SuccessiveHalvingPruner> brackets_;
};

}  // namespace gdsweep
