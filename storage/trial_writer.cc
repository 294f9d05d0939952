#include "storage/trial_writer.h"

#include <chrono>
#include <cmath>

#include "storage/optuna_codec.h"
#include "storage/outbox_writer.h"
#include "storage/trial_reader.h"
#include "sweeper/model/redact.h"

namespace gdsweep::storage {
namespace {

using sql::Database;

Result<int64_t> CountOf(Database& db, const std::string& sql, int64_t id) {
  auto q = db.Prepare(sql);
  if (!q) return q.error();
  q->Bind(1, id);
  auto row = q->Step();
  if (!row) return row.error();
  return *row ? q->Int(0) : 0;
}

// What FinishRunningTrial needs to know of the trial it ends.
struct Ending {
  int64_t study_id = 0;
  int64_t number = 0;
  std::string state;
  std::string tag;
  int attempt = 1;
  std::optional<int64_t> retry_of;
};

OutboxSubject SubjectOf(const Ending& e, int64_t trial_id) {
  return {e.study_id, e.tag, trial_id, e.number};
}

Result<Ending> ReadEnding(Database& db, int64_t trial_id) {
  auto q = db.Prepare(
      "SELECT t.study_id, t.number, t.state, g.tag, g.attempt, g.retry_of "
      "FROM trials t LEFT JOIN gdsweep_trials g "
      "ON g.trial_id = t.trial_id AND g.study_id = t.study_id AND g.number = t.number "
      "WHERE t.trial_id = ?1");
  if (!q) return q.error();
  q->Bind(1, trial_id);
  auto row = q->Step();
  if (!row) return row.error();
  if (!*row) return Error::NotFound("no trial with id " + std::to_string(trial_id));
  return Ending{
      q->Int(0),   q->Int(1), q->Text(2), q->Text(3), static_cast<int>(q->OptInt(4).value_or(1)),
      q->OptInt(5)};
}

// The values to store for an ending trial, checked against its objectives.
Result<std::vector<double>> ValuesToStore(Database& db, int64_t trial_id, const Ending& e,
                                          const TrialOutcome& outcome) {
  if (outcome.state == TrialState::kFail) return std::vector<double>{};
  auto n = CountOf(db, "SELECT count(*) FROM study_directions WHERE study_id = ?1", e.study_id);
  if (!n) return n.error();
  const auto n_objectives = static_cast<size_t>(*n);
  const std::string who = "trial " + std::to_string(e.number);
  std::vector<double> values = outcome.values;
  bool has_nan = false;
  for (double v : values) has_nan = has_nan || std::isnan(v);
  if (outcome.state == TrialState::kComplete) {
    if (values.size() != n_objectives) {
      return Error::Invalid(who + ": " + std::to_string(values.size()) +
                            " value(s) for a study of " + std::to_string(n_objectives) +
                            " objective(s)");
    }
    if (has_nan) return Error::Invalid(who + ": NaN is not an objective value Optuna can store");
    return values;
  }
  // PRUNED: as Optuna's tell, the last intermediate value stands for a single objective.
  if (has_nan || (!values.empty() && values.size() != n_objectives)) return std::vector<double>{};
  if (values.empty() && n_objectives == 1) {
    auto q = db.Prepare(
        "SELECT intermediate_value, intermediate_value_type FROM trial_intermediate_values "
        "WHERE trial_id = ?1 ORDER BY step DESC LIMIT 1");
    if (!q) return q.error();
    q->Bind(1, trial_id);
    auto row = q->Step();
    if (!row) return row.error();
    if (*row) {
      auto v = DecodeValue(q->OptDouble(0), q->Text(1));
      if (v && !std::isnan(*v)) values.push_back(*v);
    }
  }
  return values;
}

// The external values of a trial's params, as enqueue_trial writes them, so
// that Optuna's own optimize can run a WAITING trial too.
Status SetFixedParams(Database& db, int64_t from_trial, int64_t to_trial) {
  auto stored = ReadStoredParams(db, from_trial);
  if (!stored) return stored.error();
  return SetTrialSystemAttr(db, to_trial, "fixed_params", FixedParamsJson(*stored));
}

// Queues a WAITING copy of a failed trial, as Optuna's RetryFailedTrialCallback
// does (same params, "failed_trial" and "retry_history" attributes) with the
// external values in "fixed_params", as enqueue_trial writes them.
Status QueueRetry(Database& db, int64_t trial_id, const Ending& e) {
  auto number = NextTrialNumber(db, e.study_id);
  if (!number) return number.error();
  auto insert = db.Prepare(
      "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
      "VALUES (?1, ?2, 'WAITING', NULL, NULL) RETURNING trial_id");
  if (!insert) return insert.error();
  auto inserted = sql::InsertReturningId(insert->Bind(1, *number).Bind(2, e.study_id));
  if (!inserted) return inserted.error();
  const int64_t copy_id = *inserted;

  auto params = db.Prepare(
      "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
      "SELECT ?1, param_name, param_value, distribution_json FROM trial_params "
      "WHERE trial_id = ?2 ORDER BY param_id");
  if (!params) return params.error();
  if (auto s = params->Bind(1, copy_id).Bind(2, trial_id).Run(); !s) return s;

  const int64_t root = e.retry_of.value_or(e.number);
  const int attempt = e.attempt + 1;
  SweepRow row{.trial_id = copy_id, .study_id = e.study_id, .number = *number, .tag = e.tag};
  row.attempt = attempt;
  row.retry_of = root;
  if (auto s = PutSweepRow(db, row); !s) return s;

  auto history = GetTrialSystemAttr(db, trial_id, "retry_history");
  if (!history) return history.error();
  if (auto s = SetTrialSystemAttr(db, copy_id, "failed_trial", std::to_string(root)); !s) return s;
  if (auto s =
          SetTrialSystemAttr(db, copy_id, "retry_history", AppendToIntList(*history, e.number));
      !s) {
    return s;
  }
  return SetFixedParams(db, trial_id, copy_id);
}

// Stores intermediate values of a RUNNING trial (no outbox message: the
// callers report them).
Status WriteIntermediateRows(Database& db, int64_t trial_id,
                             const std::map<int64_t, double>& values) {
  for (const auto& [step, value] : values) {
    auto [stored, type] = EncodeIntermediate(value);
    auto q = db.Prepare(
        "INSERT INTO trial_intermediate_values "
        "(trial_id, step, intermediate_value, intermediate_value_type) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = excluded."
        "intermediate_value, intermediate_value_type = excluded.intermediate_value_type");
    if (!q) return q.error();
    if (auto s = q->Bind(1, trial_id).Bind(2, step).Bind(3, stored).Bind(4, type).Run(); !s) {
      return s;
    }
  }
  return {};
}

// The run_started message of a trial that just became RUNNING at `start`.
Status ReportStarted(Database& db, int64_t study_id, const TrialRecord& t, double start,
                     std::map<std::string, std::string> params) {
  return AppendRunStarted(db, {study_id, t.tag, t.trial_id, t.number},
                          {t.attempt, t.retry_of, start, std::move(params)});
}

// Starts the trial's next run: counts it in gdsweep_trials.runs and adds its
// row (host from the worker's registration, when it has one).
Status StartRunRow(Database& db, int64_t trial_id, const std::string& worker_id, double now) {
  auto count = db.Prepare("UPDATE gdsweep_trials SET runs = runs + 1 WHERE trial_id = ?1");
  if (!count) return count.error();
  if (auto s = count->Bind(1, trial_id).Run(); !s) return s;
  auto q = db.Prepare(
      "INSERT INTO gdsweep_trial_runs (trial_id, run, attempt, worker_id, host, boot_id, pid, "
      "pid_start_time, started_at, ended_at, outcome, reason) "
      "SELECT trial_id, runs, attempt, NULLIF(?2, ''), "
      "(SELECT host FROM gdsweep_workers WHERE worker_id = ?2), NULL, NULL, NULL, ?3, NULL, "
      "NULL, NULL FROM gdsweep_trials WHERE trial_id = ?1 "
      "ON CONFLICT (trial_id, run) DO UPDATE SET attempt = excluded.attempt, "
      "worker_id = excluded.worker_id, host = excluded.host, boot_id = NULL, pid = NULL, "
      "pid_start_time = NULL, started_at = excluded.started_at, ended_at = NULL, "
      "outcome = NULL, reason = NULL");
  if (!q) return q.error();
  return q->Bind(1, trial_id).Bind(2, worker_id).Bind(3, now).Run();
}

// Ends the trial's current run (if it has one that has not ended).
Status EndRun(Database& db, int64_t trial_id, const std::string& outcome, const std::string& reason,
              double now) {
  auto q = db.Prepare(
      "UPDATE gdsweep_trial_runs SET ended_at = ?2, outcome = ?3, reason = NULLIF(?4, '') "
      "WHERE trial_id = ?1 AND ended_at IS NULL "
      "AND run = (SELECT runs FROM gdsweep_trials WHERE trial_id = ?1)");
  if (!q) return q.error();
  return q->Bind(1, trial_id).Bind(2, now).Bind(3, outcome).Bind(4, RedactText(reason)).Run();
}

// Requeue::kRerun: the RUNNING trial goes back to WAITING as it was before
// this run (same number and params, no start, no intermediate values), and
// the run ends INTERRUPTED.
Status RequeueInPlace(Database& db, int64_t trial_id, const Ending& e,
                      const TrialOutcome& outcome) {
  auto drop = db.Prepare("DELETE FROM trial_intermediate_values WHERE trial_id = ?1");
  if (!drop) return drop.error();
  if (auto s = drop->Bind(1, trial_id).Run(); !s) return s;
  auto wait = db.Prepare(
      "UPDATE trials SET state = 'WAITING', datetime_start = NULL, datetime_complete = NULL "
      "WHERE trial_id = ?1 AND state = 'RUNNING'");
  if (!wait) return wait.error();
  if (auto s = wait->Bind(1, trial_id).Run(); !s) return s;
  auto row = db.Prepare(
      "UPDATE gdsweep_trials SET worker_id = NULL, finished_at = NULL WHERE trial_id = ?1");
  if (!row) return row.error();
  if (auto s = row->Bind(1, trial_id).Run(); !s) return s;
  const double now = NowSeconds();
  if (auto s = EndRun(db, trial_id, "INTERRUPTED", outcome.failure_reason, now); !s) return s;
  if (auto s = SetFixedParams(db, trial_id, trial_id); !s) return s;
  auto tracked = IsTracked(db, e.study_id, e.tag);
  if (!tracked) return tracked.error();
  if (!*tracked) return {};
  RunFinished run;
  run.state = TrialState::kFail;
  run.end_time = now;
  run.reason = RedactText(outcome.failure_reason);
  run.interrupted = true;
  return AppendRunFinished(db, SubjectOf(e, trial_id), run);
}

}  // namespace

Result<std::optional<std::string>> GetTrialSystemAttr(Database& db, int64_t trial_id,
                                                      const std::string& key) {
  auto q = db.Prepare(
      "SELECT value_json FROM trial_system_attributes WHERE trial_id = ?1 AND \"key\" = ?2");
  if (!q) return q.error();
  q->Bind(1, trial_id).Bind(2, key);
  auto row = q->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return q->OptText(0);
}

Status SetTrialSystemAttr(Database& db, int64_t trial_id, const std::string& key,
                          const std::string& value_json) {
  auto q = db.Prepare(
      "INSERT INTO trial_system_attributes (trial_id, \"key\", value_json) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json");
  if (!q) return q.error();
  return q->Bind(1, trial_id).Bind(2, key).Bind(3, value_json).Run();
}

Status StartRun(Database& db, int64_t trial_id, const std::string& worker_id, double now) {
  return StartRunRow(db, trial_id, worker_id, now);
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Numbers run 0, 1, 2, .. without gaps (Optuna's rule too: a trial's number
// is how many trials of its study came before it), so the next one is the
// largest plus one, read from the end of the (study_id, number) index.
Result<int64_t> NextTrialNumber(Database& db, int64_t study_id) {
  if (db.dialect() == sql::Dialect::kPostgres) {
    // Optuna's _create_new_trial numbers a trial under this row lock: taking
    // it too, gdsweep and Optuna never give two trials one number.
    auto lock = db.Prepare("SELECT study_id FROM studies WHERE study_id = ?1 FOR UPDATE");
    if (!lock) return lock.error();
    if (auto s = lock->Bind(1, study_id).Run(); !s) return s.error();
  }
  return CountOf(db, "SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study_id = ?1",
                 study_id);
}

Result<int64_t> CountFreshTrials(Database& db, int64_t study_id, const std::string& tag) {
  auto q = db.Prepare("SELECT fresh_trials FROM gdsweep_sweeps WHERE study_id = ?1 AND tag = ?2");
  if (!q) return q.error();
  q->Bind(1, study_id).Bind(2, tag);
  auto row = q->Step();
  if (!row) return row.error();
  return *row ? q->Int(0) : 0;
}

Status CountFreshTrial(Database& db, int64_t study_id, const std::string& tag) {
  auto q = db.Prepare(
      "INSERT INTO gdsweep_sweeps (study_id, tag, fresh_trials) VALUES (?1, ?2, 1) "
      "ON CONFLICT (study_id, tag) DO UPDATE SET fresh_trials = gdsweep_sweeps.fresh_trials + 1");
  if (!q) return q.error();
  return q->Bind(1, study_id).Bind(2, tag).Run();
}

Status PutSweepRow(Database& db, const SweepRow& row) {
  auto q = db.Prepare(
      "INSERT INTO gdsweep_trials (trial_id, study_id, number, tag, attempt, "
      "retry_of, worker_id, failure_reason, log_path, finished_at, runs, queued_point) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULLIF(?7, ''), NULL, NULLIF(?8, ''), NULL, 0, ?9) "
      "ON CONFLICT (trial_id) DO UPDATE SET study_id = excluded.study_id, "
      "number = excluded.number, tag = excluded.tag, attempt = excluded.attempt, "
      "retry_of = excluded.retry_of, worker_id = excluded.worker_id, "
      "failure_reason = excluded.failure_reason, log_path = excluded.log_path, "
      "finished_at = excluded.finished_at, runs = excluded.runs, "
      "queued_point = excluded.queued_point");
  if (!q) return q.error();
  q->Bind(1, row.trial_id).Bind(2, row.study_id).Bind(3, row.number).Bind(4, row.tag);
  q->Bind(5, row.attempt).Bind(6, row.retry_of).Bind(7, row.worker_id).Bind(8, row.log_path);
  return q->Bind(9, row.queued_point).Run();
}

Result<TrialRecord> InsertRunningTrial(Database& db, const NewTrial& trial) {
  for (const auto& [name, value] : trial.params) {
    const Parameter* p = FindParameter(*trial.space, name);
    if (!p) return Error::Internal("the sampler proposed '" + name + "', not in the space");
    if (!Contains(p->distribution, value)) {
      return Error::Internal("the sampler proposed " + name + " = " + FormatDouble(value) +
                             ", outside " + DescribeDistribution(p->distribution));
    }
  }
  const double now = NowSeconds();
  const std::string start = FormatDatetime(now);
  auto insert = db.Prepare(
      "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
      "VALUES (?1, ?2, 'RUNNING', ?3, NULL) RETURNING trial_id");
  if (!insert) return insert.error();
  auto inserted =
      sql::InsertReturningId(insert->Bind(1, trial.number).Bind(2, trial.study_id).Bind(3, start));
  if (!inserted) return inserted.error();
  TrialRecord t;
  t.trial_id = *inserted;
  t.number = trial.number;
  t.state = TrialState::kRunning;
  t.datetime_start = ParseDatetime(start);
  t.tag = trial.tag;
  t.worker_id = trial.worker_id;

  for (const auto& p : *trial.space) {  // in the space's order, as Optuna suggests them
    auto it = trial.params.find(p.name);
    if (it == trial.params.end()) continue;
    auto q = db.Prepare(
        "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!q) return q.error();
    q->Bind(1, t.trial_id).Bind(2, p.name).Bind(3, it->second);
    if (auto s = q->Bind(4, ToOptunaJson(p.distribution)).Run(); !s) return s.error();
    t.params[p.name] = it->second;
  }

  if (trial.log_path_for) t.log_path = trial.log_path_for(t.number);
  SweepRow row{
      .trial_id = t.trial_id, .study_id = trial.study_id, .number = t.number, .tag = t.tag};
  row.worker_id = t.worker_id;
  row.log_path = t.log_path;
  if (auto s = PutSweepRow(db, row); !s) return s.error();
  if (auto s = StartRunRow(db, t.trial_id, t.worker_id, now); !s) return s.error();
  t.runs = 1;
  if (auto s = CountFreshTrial(db, trial.study_id, t.tag); !s) return s.error();

  auto tracked = IsTracked(db, trial.study_id, t.tag);
  if (!tracked) return tracked.error();
  if (*tracked) {
    std::map<std::string, std::string> text;
    for (const auto& p : *trial.space) {
      auto it = t.params.find(p.name);
      if (it != t.params.end()) text[p.name] = FormatValue(p.distribution, it->second);
    }
    if (auto s = ReportStarted(db, trial.study_id, t, now, std::move(text)); !s) return s.error();
  }
  return t;
}

Status WriteIntermediate(Database& db, int64_t trial_id, const std::map<int64_t, double>& values,
                         const std::map<int64_t, double>& times) {
  auto e = ReadEnding(db, trial_id);
  if (!e) return e.error();
  if (e->state != "RUNNING") {
    return Error::Conflict("trial " + std::to_string(e->number) + " is " + e->state +
                           ", not RUNNING: its intermediate values can no longer change");
  }
  if (values.empty()) return {};
  if (auto s = WriteIntermediateRows(db, trial_id, values); !s) return s;
  auto tracked = IsTracked(db, e->study_id, e->tag);
  if (!tracked) return tracked.error();
  if (!*tracked) return {};
  return AppendIntermediate(db, SubjectOf(*e, trial_id), NowSeconds(), values, times);
}

Status FinishRunningTrial(Database& db, int64_t trial_id, const TrialOutcome& outcome) {
  if (!IsFinished(outcome.state)) {
    return Error::Invalid(std::string("a trial ends COMPLETE, PRUNED or FAIL, not ") +
                          ToString(outcome.state));
  }
  auto e = ReadEnding(db, trial_id);
  if (!e) return e.error();
  if (e->state != "RUNNING") {
    return Error::Conflict("trial " + std::to_string(e->number) + " is " + e->state +
                           ", not RUNNING: a finished trial never changes");
  }
  // Nothing was written before this point, so a kConflict above leaves the
  // caller's transaction clean (Ask skips such a trial and goes on).
  if (outcome.requeue == TrialOutcome::Requeue::kRerun)
    return RequeueInPlace(db, trial_id, *e, outcome);
  if (auto s = WriteIntermediateRows(db, trial_id, outcome.intermediate); !s) return s.error();
  auto values = ValuesToStore(db, trial_id, *e, outcome);
  if (!values) return values.error();
  for (size_t i = 0; i < values->size(); ++i) {
    auto [stored, type] = EncodeValue((*values)[i]);
    auto q = db.Prepare(
        "INSERT INTO trial_values (trial_id, objective, value, value_type) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!q) return q.error();
    q->Bind(1, trial_id).Bind(2, static_cast<int64_t>(i)).Bind(3, stored).Bind(4, type);
    if (auto s = q->Run(); !s) return s.error();
  }

  const double now = NowSeconds();
  auto end = db.Prepare(
      "UPDATE trials SET state = ?2, datetime_complete = ?3 "
      "WHERE trial_id = ?1 AND state = 'RUNNING'");
  if (!end) return end.error();
  end->Bind(1, trial_id).Bind(2, ToString(outcome.state)).Bind(3, FormatDatetime(now));
  if (auto s = end->Run(); !s) return s.error();
  // A reason may quote a server's answer (a Kubernetes API error): no credential is stored.
  const std::string reason = RedactText(outcome.failure_reason);
  auto row = db.Prepare(
      "UPDATE gdsweep_trials SET failure_reason = NULLIF(?2, ''), finished_at = ?3 "
      "WHERE trial_id = ?1");
  if (!row) return row.error();
  if (auto s = row->Bind(1, trial_id).Bind(2, reason).Bind(3, now).Run(); !s) {
    return s.error();
  }
  // Where Optuna 3.1's constraints_func leaves a trial's constraint values.
  if (outcome.constraints && outcome.state != TrialState::kFail) {
    if (auto s = SetTrialSystemAttr(db, trial_id, "constraints",
                                    ConstraintsToJson(*outcome.constraints));
        !s) {
      return s.error();
    }
  }
  // Where Optuna 2.x kept the reason of a failed trial, and dashboards still look.
  if (outcome.state == TrialState::kFail && !reason.empty()) {
    if (auto s = SetTrialSystemAttr(db, trial_id, "fail_reason", StringJson(reason)); !s) {
      return s.error();
    }
  }
  if (auto s = EndRun(db, trial_id, ToString(outcome.state), reason, now); !s) {
    return s.error();
  }
  if (outcome.requeue == TrialOutcome::Requeue::kRetry) {
    if (auto s = QueueRetry(db, trial_id, *e); !s) return s.error();
  }
  auto tracked = IsTracked(db, e->study_id, e->tag);
  if (!tracked) return tracked.error();
  if (*tracked) {
    RunFinished run;
    run.state = outcome.state;
    run.values = *values;
    run.end_time = now;
    run.reason = reason;
    run.points = outcome.intermediate;
    run.times = outcome.intermediate_times;
    if (outcome.state == TrialState::kPruned) {
      auto last = db.Prepare("SELECT max(step) FROM trial_intermediate_values WHERE trial_id = ?1");
      if (!last) return last.error();
      last->Bind(1, trial_id);
      auto found = last->Step();
      if (!found) return found.error();
      if (*found) run.pruned_step = last->OptInt(0);
    }
    if (auto s = AppendRunFinished(db, SubjectOf(*e, trial_id), run); !s) return s.error();
  }
  return {};
}

}  // namespace gdsweep::storage

namespace gdsweep::storage {

Status RecordRunProcess(Database& db, const RunProcess& p) {
  auto q = db.Prepare(
      "UPDATE gdsweep_trial_runs SET host = ?3, boot_id = NULLIF(?4, ''), pid = ?5, "
      "pid_start_time = ?6 WHERE trial_id = ?1 AND run = ?2 AND ended_at IS NULL");
  if (!q) return q.error();
  q->Bind(1, p.trial_id).Bind(2, static_cast<int64_t>(p.run)).Bind(3, p.host).Bind(4, p.boot_id);
  return q->Bind(5, p.pid).Bind(6, p.pid_start_time).Run();
}

Result<std::vector<TrialRun>> ReadTrialRuns(Database& db, int64_t trial_id) {
  auto q = db.Prepare(
      "SELECT run, attempt, worker_id, host, boot_id, pid, pid_start_time, started_at, ended_at, "
      "outcome, reason FROM gdsweep_trial_runs WHERE trial_id = ?1 ORDER BY run");
  if (!q) return q.error();
  q->Bind(1, trial_id);
  std::vector<TrialRun> runs;
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) return runs;
    TrialRun r;
    r.trial_id = trial_id;
    r.run = static_cast<int>(q->Int(0));
    r.attempt = static_cast<int>(q->Int(1));
    r.worker_id = q->Text(2);
    r.host = q->Text(3);
    r.boot_id = q->Text(4);
    r.pid = q->OptInt(5).value_or(0);
    r.pid_start_time = q->OptInt(6).value_or(0);
    r.started_at = q->OptDouble(7).value_or(0);
    r.ended_at = q->OptDouble(8);
    r.outcome = q->Text(9);
    r.reason = q->Text(10);
    runs.push_back(std::move(r));
  }
}

}  // namespace gdsweep::storage
