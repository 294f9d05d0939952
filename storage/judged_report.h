// Storing intermediate values and judging them, inside the caller's write
// transaction (Storage::ReportAndJudge): each value is stored, the judge (a
// pruner) is asked, the rungs it completed are stored as Optuna's
// "completed_rung_N" trial system attributes, and a pruned trial is finished
// PRUNED. Nothing here commits. Acts on one Database; thread-compatible.
#pragma once

#include <map>

#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

// Sets the "completed_rung_N" attributes of a trial (value_json as Python's
// json.dumps writes the number).
Status WriteCompletedRungs(sql::Database& db, int64_t trial_id, const std::map<int, double>& rungs);

Result<ReportResult> StoreAndJudge(sql::Database& db, const ReportRequest& req,
                                   TrialHistory& history, const JudgeFn& judge);

}  // namespace gdsweep::storage
