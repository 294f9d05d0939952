// Which parameters multivariate TPE samples jointly in a dynamic (conditional
// or define-by-run) space, as Optuna 3.1 decides from a study's history: the
// intersection search space (the parameters every COMPLETE or PRUNED trial
// has), or, with `group`, _GroupDecomposedSearchSpace (the space split into
// groups of parameters that always appear together). Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/trial.h"

namespace gdsweep::tpe {

// The names every COMPLETE or PRUNED trial of `history` has; empty when there
// is no such trial. Sorted by name.
std::vector<std::string> IntersectionSpace(const std::vector<TrialRecord>& history);

// Optuna's _SearchSpaceGroup over the COMPLETE and PRUNED trials in history
// order: each trial's names split every group into the part it has and the
// part it lacks, its remaining names forming a new group. Each group sorted
// by name; empty groups dropped.
std::vector<std::vector<std::string>> GroupDecomposition(const std::vector<TrialRecord>& history);

}  // namespace gdsweep::tpe
