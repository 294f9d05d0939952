// Reading trials: rows of Optuna's trials, trial_params, trial_values and
// trial_intermediate_values (and the "completed_rung_N" trial system
// attributes), with gdsweep_trials beside them, assembled into
// TrialRecords in number order. Runs inside the caller's transaction; acts on
// one Database, thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/optuna_codec.h"
#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

// The trials of a study with trial_id > `after`, plus those whose ids are in
// `also` (any study), in number order.
Result<std::vector<TrialRecord>> ReadTrialsAfter(sql::Database& db, int64_t study_id, int64_t after,
                                                 const std::vector<int64_t>& also);

// The trials of a study matching `filter`, in number order: a number filter
// goes through trials' (study_id, number) index, a tag filter through
// gdsweep_trials' (study_id, tag) index.
Result<std::vector<TrialRecord>> ReadTrialsFiltered(sql::Database& db, int64_t study_id,
                                                    const TrialFilter& filter);

// One trial by id; kNotFound if there is none.
Result<TrialRecord> ReadTrial(sql::Database& db, int64_t trial_id);

// Brings `history` up to date: reads trials newer than history.max_trial_id
// and re-reads the cached ones that were not finished (finished trials never
// change). The result equals a full read.
Status RefreshTrialHistory(sql::Database& db, int64_t study_id, TrialHistory& history);

// A trial's trial_params rows, in insertion order.
Result<std::vector<StoredParam>> ReadStoredParams(sql::Database& db, int64_t trial_id);

}  // namespace gdsweep::storage
