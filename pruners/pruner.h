// The Pruner seam: given a study's trial history and one RUNNING trial that
// has just reported an intermediate value, decide whether to stop that trial
// now (Optuna's BasePruner.prune). A pruner does no I/O; what it wants kept
// (successive halving's rung values) comes back in the decision for the engine
// to store with the trial. Implementations are not thread-safe and, like
// Optuna's, may fix a setting from the history at their first judgement
// ("auto" resources); the engine owns one per process.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sweeper/model/pruner_spec.h"
#include "sweeper/model/result.h"
#include "sweeper/model/trial.h"

namespace gdsweep {

struct PruneRequest {
  const std::string& study_name;  // Hyperband derives a trial's bracket from it
  Direction direction;            // of the study's single objective
  // Every trial of the study in number order, any state; it may hold an
  // older copy of `trial`, which is ignored in its favour.
  const std::vector<TrialRecord>& history;
  // The trial judged, at its latest step (its largest step in `intermediate`),
  // with the rung values stored for it so far in `completed_rungs`.
  const TrialRecord& trial;
};

struct PruneDecision {
  bool prune = false;
  // Rungs the trial completed in this judgement (successive halving and
  // Hyperband): rung -> value. The engine adds them to the trial's stored
  // completed_rungs before it judges any trial again, pruned or not.
  std::map<int, double> completed_rungs;
};

class Pruner {
 public:
  virtual ~Pruner() = default;

  virtual PruneDecision Prune(const PruneRequest& req) = 0;

  // False when Prune() never looks at req.history (threshold, none, patient
  // alone): the engine may then skip reading it.
  virtual bool ReadsHistory() const { return true; }
};

// Builds the pruner the spec names (a validated spec: sweeper/spec/).
// Invalid: a setting out of Optuna's range, or patient wrapping patient.
Result<std::unique_ptr<Pruner>> MakePruner(const PrunerSpec& spec);

}  // namespace gdsweep
