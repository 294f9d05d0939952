// The ranges Optuna 3.1's pruner constructors accept, checked on a PrunerSpec
// in one place for the study-file parser (which points at the key) and for
// MakePruner. Pure function; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "sweeper/model/pruner_spec.h"

namespace gdsweep {

struct PrunerSpecProblem {
  // The setting at fault, relative to the pruner section: "reduction_factor",
  // "wrapped_pruner.type"; "" for the section as a whole.
  std::string key;
  std::string message;  // "must be at least 2, got 1"
};

// The first setting out of range, or nullopt. Besides Optuna's own rules:
// Hyperband's max_resource must not be below min_resource (Optuna would then
// have no bracket and never prune), and patient never wraps patient.
std::optional<PrunerSpecProblem> CheckPrunerSpec(const PrunerSpec& spec);

}  // namespace gdsweep
