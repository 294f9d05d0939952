// Compares what a study file asks for with what a database holds: objectives,
// search spaces, and the distributions Optuna recorded in a study's trials.
// Differences come in two kinds: changes a user may accept (allow_changes),
// and ones Optuna itself refuses to mix in one study (another distribution
// kind, log flag or categorical choices; another number of objectives).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"

namespace gdsweep::storage {

struct SpecDifferences {
  std::vector<std::string> changes;       // accepted with allow_changes
  std::vector<std::string> incompatible;  // never accepted
  bool empty() const { return changes.empty() && incompatible.empty(); }
  void Add(SpecDifferences other);
};

// Optuna's check_distribution_compatibility: same kind, same log flag, and
// for categorical the same choices.
bool OptunaCompatible(const Distribution& stored, const Distribution& file);

SpecDifferences CompareObjectives(const std::vector<Objective>& stored,
                                  const std::vector<Objective>& file);
// For a study Optuna made: its directions only (it has no metric names).
SpecDifferences CompareDirections(const std::vector<Direction>& stored,
                                  const std::vector<Objective>& file);
SpecDifferences CompareSpaces(const SearchSpace& stored, const SearchSpace& file);
// Every distinct {name, distribution} found in a study's trial_params must be
// the file's distribution for that name.
SpecDifferences CompareTrialDistributions(
    const std::vector<std::pair<std::string, Distribution>>& found, const SearchSpace& file);

// kConflict naming every difference on one line, or success: when there are
// none, or when allow_changes and all of them are acceptable changes. Each
// difference, and so the message, starts with the key path of the study file
// it concerns ("search_space.lr: the study has ..., the file ..."), which the
// CLI turns into the key's place in the file.
Status CheckDifferences(const std::string& study, const SpecDifferences& diff, bool allow_changes);

}  // namespace gdsweep::storage
