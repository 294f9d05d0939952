// Writing trials inside the caller's write transaction: a new RUNNING trial,
// starting a run, intermediate values, finishing a RUNNING trial and
// queueing its retry or putting it back to WAITING, each run of a trial
// (gdsweep_trial_runs), all as Optuna writes them (numbers, states, value type
// tags, "fail_reason", "failed_trial", "retry_history" and "fixed_params"
// attributes) plus gdsweep_trials rows and, when the trial's (study, tag) has
// a tracking target, the outbox message of each change (outbox_writer.h).
// Nothing here commits. Acts on one Database; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

double NowSeconds();

// The value_json of a trial_system_attributes row, if there is one.
Result<std::optional<std::string>> GetTrialSystemAttr(sql::Database& db, int64_t trial_id,
                                                      const std::string& key);
// Sets (or replaces) a trial_system_attributes row.
Status SetTrialSystemAttr(sql::Database& db, int64_t trial_id, const std::string& key,
                          const std::string& value_json);

// Optuna's number for the next trial of a study: how many it has.
Result<int64_t> NextTrialNumber(sql::Database& db, int64_t study_id);
// Fresh trials of (study, tag): those that are not a retry of another (kept
// as a count in gdsweep_sweeps).
Result<int64_t> CountFreshTrials(sql::Database& db, int64_t study_id, const std::string& tag);

// Counts one more fresh trial of (study, tag) in gdsweep_sweeps.
Status CountFreshTrial(sql::Database& db, int64_t study_id, const std::string& tag);

// A trial's gdsweep_trials row as it is first written (a new, queued or
// retried trial); empty strings and unset optionals are stored as NULL.
struct SweepRow {
  int64_t trial_id = 0;
  int64_t study_id = 0;
  int64_t number = 0;
  std::string tag;
  int attempt = 1;
  std::optional<int64_t> retry_of;
  std::string worker_id;
  std::string log_path;
  std::optional<std::string> queued_point;
};
// Writes the row, replacing one of the same trial_id (the upsert both SQLite
// and PostgreSQL take).
Status PutSweepRow(sql::Database& db, const SweepRow& row);

struct NewTrial {
  int64_t study_id = 0;
  int64_t number = 0;  // NextTrialNumber(), read in the same transaction
  std::string tag;
  std::string worker_id;
  Params params;
  const SearchSpace* space = nullptr;  // the distributions of `params`
  std::function<std::string(int64_t number)> log_path_for;
};
// Inserts a RUNNING trial; returns it.
Result<TrialRecord> InsertRunningTrial(sql::Database& db, const NewTrial& trial);

// Starts the next run of a trial that has a gdsweep_trials row: counts it in
// gdsweep_trials.runs and adds its gdsweep_trial_runs row (ClaimWaitingTrial).
Status StartRun(sql::Database& db, int64_t trial_id, const std::string& worker_id, double now);

// kConflict unless the trial is RUNNING; kNotFound if there is none.
// `times`: step -> when reported, for the outbox (Storage::ReportIntermediate).
Status WriteIntermediate(sql::Database& db, int64_t trial_id,
                         const std::map<int64_t, double>& values,
                         const std::map<int64_t, double>& times = {});

// Ends a RUNNING trial (kConflict otherwise) and queues its retry as asked,
// or puts it back to WAITING (Requeue::kRerun). Ends its current run.
Status FinishRunningTrial(sql::Database& db, int64_t trial_id, const TrialOutcome& outcome);

// Records where a started run runs (gdsweep_trial_runs); a run that ended or
// is unknown is left alone.
Status RecordRunProcess(sql::Database& db, const RunProcess& process);

// The runs of a trial, in run order.
Result<std::vector<TrialRun>> ReadTrialRuns(sql::Database& db, int64_t trial_id);

}  // namespace gdsweep::storage
