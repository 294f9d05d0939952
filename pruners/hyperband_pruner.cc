#include "pruners/hyperband_pruner.h"

#include "pruners/hyperband_brackets.h"
#include "pruners/step_rules.h"

namespace gdsweep {

void HyperbandPruner::TryInitialize(const std::vector<TrialRecord>& history) {
  if (!options_.max_resource) {
    std::optional<int64_t> last;
    for (const auto& t : history) {
      if (t.state != TrialState::kComplete) continue;
      if (auto step = LastStep(t.intermediate); step && (!last || *step > *last)) last = step;
    }
    if (!last) return;
    options_.max_resource = *last + 1;
  }
  if (!n_brackets_) {
    n_brackets_ =
        NumBrackets(options_.min_resource, *options_.max_resource, options_.reduction_factor);
  }
  budgets_ = BracketBudgets(*n_brackets_, options_.reduction_factor);
  for (int64_t b = 0; b < *n_brackets_; ++b) {
    SuccessiveHalvingOptions sh;
    sh.min_resource = options_.min_resource;
    sh.reduction_factor = options_.reduction_factor;
    sh.min_early_stopping_rate = b;
    sh.bootstrap_count = options_.bootstrap_count;
    brackets_.emplace_back(sh);
  }
}

int HyperbandPruner::BracketOf(const std::string& study_name, int64_t number) const {
  if (brackets_.empty()) return 0;
  return gdsweep::BracketOf(study_name, number, budgets_);
}

PruneDecision HyperbandPruner::Prune(const PruneRequest& req) {
  if (brackets_.empty()) {
    TryInitialize(req.history);
    if (brackets_.empty()) return {};  // no COMPLETE trial yet, or no bracket fits
  }
  const int bracket = BracketOf(req.study_name, req.trial.number);
  std::vector<const TrialRecord*> trials;
  for (const auto& t : req.history) {
    if (BracketOf(req.study_name, t.number) == bracket) trials.push_back(&t);
  }
  return brackets_[bracket].PruneAmong(req, trials);
}

}  // namespace gdsweep
