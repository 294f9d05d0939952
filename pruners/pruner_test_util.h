// Trials for the pruners' unit tests: a record from its state and
// intermediate values, and a judgement of one trial against a history.
// Test-only; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pruners/pruner.h"

namespace gdsweep {

inline TrialRecord Trial(int64_t number, TrialState state, std::map<int64_t, double> values) {
  TrialRecord t;
  t.number = number;
  t.state = state;
  t.intermediate = std::move(values);
  return t;
}

// Judges history[index] (RUNNING) and stores the rung values it completed.
inline PruneDecision Judge(Pruner& pruner, std::vector<TrialRecord>& history, size_t index,
                           Direction direction = Direction::kMinimize,
                           const std::string& study = "study") {
  PruneDecision d = pruner.Prune({study, direction, history, history[index]});
  for (const auto& [rung, value] : d.completed_rungs) history[index].completed_rungs[rung] = value;
  return d;
}

}  // namespace gdsweep
