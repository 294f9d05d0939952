#include "storage/sql_storage.h"

#include <algorithm>
#include <functional>

#include "storage/judged_report.h"
#include "storage/pg_db.h"
#include "storage/schema.h"
#include "storage/sqlite_db.h"
#include "storage/study_copy.h"
#include "storage/study_registry.h"
#include "storage/tracking_outbox.h"
#include "storage/trial_queue.h"
#include "storage/trial_reader.h"
#include "storage/trial_writer.h"

namespace gdsweep {

using storage::SqlStorage;
using Tx = sql::Transaction;

Result<std::unique_ptr<Storage>> OpenSqliteStorage(const SqliteOptions& options) {
  sqlite::DatabaseOptions db_options;
  db_options.path = options.path;
  db_options.busy_timeout_ms = options.busy_timeout_ms;
  db_options.synchronous_full = options.synchronous_full;
  db_options.read_only = options.read_only;
  auto db = sqlite::Database::Open(db_options);
  if (!db) return db.error();
  auto schema =
      options.read_only ? storage::CheckSchemaReadOnly(**db) : storage::EnsureSchema(**db);
  if (!schema) return schema.error();
  return std::unique_ptr<Storage>(new SqlStorage(std::move(*db)));
}

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const PostgresOptions& options) {
  pg::ConnectionOptions db_options;
  db_options.url = options.url;
  db_options.reconnect_timeout_ms = options.reconnect_timeout_ms;
  db_options.read_only = options.read_only;
  auto db = pg::Database::Open(db_options);
  if (!db) return db.error();
  auto schema =
      options.read_only ? storage::CheckSchemaReadOnly(**db) : storage::EnsureSchema(**db);
  if (!schema) return schema.error();
  return std::unique_ptr<Storage>(new SqlStorage(std::move(*db)));
}

bool IsPostgresUrl(const std::string& url) { return pg::IsPostgresUrl(url); }

Result<std::unique_ptr<Storage>> OpenStorage(const std::string& path_or_url, bool read_only,
                                             bool synchronous_full) {
  if (IsPostgresUrl(path_or_url)) {
    PostgresOptions options;
    options.url = path_or_url;
    options.read_only = read_only;
    return OpenPostgresStorage(options);
  }
  SqliteOptions options;
  options.path = path_or_url;
  options.read_only = read_only;
  options.synchronous_full = synchronous_full;
  return OpenSqliteStorage(options);
}
std::string RedactDatabaseUrl(const std::string& url) { return pg::RedactUrl(url); }

namespace storage {

namespace {

using sql::InTransaction;
constexpr Tx::Kind kRead = Tx::Kind::kRead;
constexpr Tx::Kind kWrite = Tx::Kind::kWrite;  // the whole database (studies made, removed)

// Locks `study_ids` (sorted, so two writers never wait on each other) for
// the rest of a kStudyWrite transaction.
Status LockStudies(sql::Database& db, std::vector<int64_t> study_ids) {
  std::sort(study_ids.begin(), study_ids.end());
  study_ids.erase(std::unique(study_ids.begin(), study_ids.end()), study_ids.end());
  for (int64_t id : study_ids) {
    if (auto s = db.LockStudy(id); !s) return s;
  }
  return {};
}

// The studies `sql` (?1 bound to `key`) names, locked; none on SQLite, whose
// every write transaction holds the whole file.
template <typename K>
Status LockStudiesOf(sql::Database& db, const std::string& sql, const K& key) {
  if (db.dialect() == sql::Dialect::kSqlite) return {};
  auto q = db.Prepare(sql);
  if (!q) return q.error();
  q->Bind(1, key);
  std::vector<int64_t> ids;
  if (auto s = q->ForEachRow([&](sql::Query& r) { ids.push_back(r.Int(0)); }); !s) return s;
  return LockStudies(db, std::move(ids));
}

// Runs body() in a kStudyWrite transaction once `lock()` has locked the
// studies it writes: writers of other studies do not wait for it.
template <typename L, typename F>
auto InStudyTransaction(sql::Database& db, L&& lock, F&& body,
                        const std::function<void()>& on_retry = nullptr) -> decltype(body()) {
  return InTransaction(
      db, Tx::Kind::kStudyWrite,
      [&]() -> decltype(body()) {
        if (auto s = lock(); !s) return s.error();
        return body();
      },
      on_retry);
}

auto StudyLock(sql::Database& db, int64_t study_id) {
  return [&db, study_id] { return db.LockStudy(study_id); };
}

auto TrialStudyLock(sql::Database& db, int64_t trial_id) {
  return [&db, trial_id] {
    return LockStudiesOf(db, "SELECT study_id FROM trials WHERE trial_id = ?1", trial_id);
  };
}

// No study: the rows written are the caller's own (its worker row, its runs).
Status NoStudy() { return {}; }

// What an attempt that was cut off read into a history may include its own
// writes, which were not committed: the retry reads the history afresh.
std::function<void()> ForgetHistory(TrialHistory& history, bool refreshed) {
  return [&history, refreshed] {
    if (refreshed) history = TrialHistory{};
  };
}

}  // namespace

Status SqlStorage::CheckWritable() const {
  if (db_->read_only()) return Error::Internal("the database was opened read-only");
  return {};
}

Result<const SearchSpace*> SqlStorage::SpaceOf(int64_t study_id) {
  auto updated_at = LoadSpaceUpdatedAt(*db_, study_id);
  if (!updated_at) return updated_at.error();
  auto it = spaces_.find(study_id);
  if (it == spaces_.end() || it->second.updated_at != *updated_at) {
    auto space = LoadStoredSpace(*db_, study_id);
    if (!space) return space.error();
    it = spaces_.insert_or_assign(study_id, CachedSpace{*updated_at, std::move(*space)}).first;
  }
  return &it->second.space;
}

Result<StudyInfo> SqlStorage::OpenStudy(const StudyRegistration& reg) {
  if (auto s = CheckWritable(); !s) return s.error();
  return InTransaction(*db_, kWrite, [&] { return OpenOrCreateStudy(*db_, reg); });
}

Result<StudyInfo> SqlStorage::GetStudy(const std::string& name) {
  return InTransaction(*db_, kRead, [&] { return LoadStudyByName(*db_, name); });
}

Result<std::vector<StudySummary>> SqlStorage::ListStudies() {
  return InTransaction(*db_, kRead, [&] { return LoadStudySummaries(*db_); });
}

// One attempt of Ask's transaction (the caller commits); `claimed`: the trial
// was a WAITING one the history may hold.
Result<AskResult> SqlStorage::AskOnce(const AskRequest& req, TrialHistory& history,
                                      const SampleFn& sample, bool& claimed) {
  AskResult result;
  claimed = false;
  // A finish that conflicts wrote nothing (FinishRunningTrial checks the
  // state before writing), so skipping it leaves the transaction clean.
  for (const auto& [trial_id, outcome] : req.finish_first) {
    auto t = FinishRunningTrial(*db_, trial_id, outcome);
    if (t) continue;
    if (t.error().kind != Error::Kind::kConflict) return t.error();
    result.finish_errors.emplace_back(trial_id, t.error());
  }
  for (const auto& p : req.processes) {
    if (auto s = RecordRunProcess(*db_, p); !s) return s.error();
  }
  if (req.refresh_history) {
    if (auto s = RefreshTrialHistory(*db_, req.study_id, history); !s) return s.error();
  }

  auto space = SpaceOf(req.study_id);
  if (!space) return space.error();
  ClaimRequest claim{req.study_id,
                     req.tag,
                     req.worker_id,
                     req.log_path_for,
                     *space,
                     [&](int64_t number, const Params& given) {
                       return req.sample_given ? req.sample_given(history, number, given)
                                               : sample(history, number);
                     }};
  auto waiting = ClaimWaitingTrial(*db_, claim);
  if (!waiting) return waiting.error();
  if (*waiting) {
    claimed = true;
    result.trial = std::move(**waiting);
    return result;
  }

  // Committed even when no trial starts: the finishes above must stick.
  if (req.n_trials) {
    auto fresh = CountFreshTrials(*db_, req.study_id, req.tag);
    if (!fresh) return fresh.error();
    if (*fresh >= *req.n_trials) {
      result.kind = AskResult::Kind::kBudgetExhausted;
      return result;
    }
  }
  auto number = NextTrialNumber(*db_, req.study_id);
  if (!number) return number.error();
  auto params = sample(history, *number);
  if (!params) return params.error();
  if (!*params) {
    result.kind = AskResult::Kind::kSamplerExhausted;
    return result;
  }
  NewTrial fresh{req.study_id,        *number, req.tag,         req.worker_id,
                 std::move(**params), *space,  req.log_path_for};
  auto inserted = InsertRunningTrial(*db_, fresh);
  if (!inserted) return inserted.error();
  if (req.new_trial_attrs) {
    for (const auto& [key, value_json] : *req.new_trial_attrs) {
      if (auto s = SetTrialSystemAttr(*db_, inserted->trial_id, key, value_json); !s) {
        return s.error();
      }
    }
    inserted->sampler_attrs = *req.new_trial_attrs;
  }
  result.trial = std::move(*inserted);
  return result;
}

Result<AskResult> SqlStorage::Ask(const AskRequest& req, TrialHistory& history,
                                  const SampleFn& sample) {
  if (auto s = CheckWritable(); !s) return s.error();
  bool claimed = false;
  auto result = InStudyTransaction(
      *db_, StudyLock(*db_, req.study_id), [&] { return AskOnce(req, history, sample, claimed); },
      ForgetHistory(history, req.refresh_history));
  if (!result || result->kind != AskResult::Kind::kTrial) return result;
  if (claimed) {
    for (auto& t : history.trials) {
      if (t.trial_id == result->trial.trial_id) t = result->trial;
    }
  } else if (req.refresh_history) {
    // Only a refreshed history may grow here: max_trial_id must not pass
    // trials that other workers inserted and this one has not read yet.
    history.max_trial_id = std::max(history.max_trial_id, result->trial.trial_id);
    history.trials.push_back(result->trial);
  }
  return result;
}

Status SqlStorage::RefreshHistory(int64_t study_id, TrialHistory& history) {
  return InTransaction(
      *db_, kRead, [&] { return RefreshTrialHistory(*db_, study_id, history); },
      ForgetHistory(history, true));
}

Status SqlStorage::FinishTrial(int64_t trial_id, const TrialOutcome& outcome) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, TrialStudyLock(*db_, trial_id),
                            [&] { return FinishRunningTrial(*db_, trial_id, outcome); });
}

Status SqlStorage::ReportIntermediate(int64_t trial_id, const std::map<int64_t, double>& values,
                                      const std::map<int64_t, double>& times) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, TrialStudyLock(*db_, trial_id),
                            [&] { return WriteIntermediate(*db_, trial_id, values, times); });
}

Result<ReportResult> SqlStorage::ReportAndJudge(const ReportRequest& req, TrialHistory& history,
                                                const JudgeFn& judge) {
  if (auto s = CheckWritable(); !s) return s.error();
  return InStudyTransaction(
      *db_, StudyLock(*db_, req.study_id), [&] { return StoreAndJudge(*db_, req, history, judge); },
      ForgetHistory(history, req.refresh_history));
}

Result<std::vector<TrialRecord>> SqlStorage::ListTrials(int64_t study_id,
                                                        const TrialFilter& filter) {
  return InTransaction(*db_, kRead, [&] { return ReadTrialsFiltered(*db_, study_id, filter); });
}

Result<SearchSpace> SqlStorage::ListParams(int64_t study_id) {
  return InTransaction(*db_, kRead, [&]() -> Result<SearchSpace> {
    auto stored = LoadStoredSpace(*db_, study_id);
    if (!stored && stored.error().kind != Error::Kind::kNotFound) return stored.error();
    SearchSpace params = stored ? std::move(*stored) : SearchSpace{};
    if (auto s = AddTrialParams(*db_, study_id, params); !s) return s.error();
    return params;
  });
}

Status SqlStorage::RegisterWorker(const WorkerInfo& w) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, StudyLock(*db_, w.study_id), [&]() -> Status {
    auto q = db_->Prepare(
        "INSERT INTO gdsweep_workers (worker_id, study_id, host, pid, started_at, heartbeat_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (worker_id) DO UPDATE SET "
        "study_id = excluded.study_id, host = excluded.host, pid = excluded.pid, "
        "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at");
    if (!q) return q.error();
    q->Bind(1, w.worker_id).Bind(2, w.study_id).Bind(3, w.host).Bind(4, w.pid);
    const double beat = w.heartbeat_at > 0 ? w.heartbeat_at : w.started_at;
    return q->Bind(5, w.started_at).Bind(6, beat).Run();
  });
}

Status SqlStorage::Heartbeat(const std::string& worker_id, double now) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, NoStudy, [&]() -> Status {
    auto q = db_->Prepare("UPDATE gdsweep_workers SET heartbeat_at = ?2 WHERE worker_id = ?1");
    if (!q) return q.error();
    if (auto s = q->Bind(1, worker_id).Bind(2, now).Run(); !s) return s;
    if (db_->Changes() == 0) {
      return Error::NotFound("worker " + worker_id +
                             " is no longer registered (another process took it for dead and "
                             "failed its trials)");
    }
    return {};
  });
}

Result<std::vector<WorkerInfo>> SqlStorage::ListWorkers(int64_t study_id) {
  return InTransaction(*db_, kRead, [&]() -> Result<std::vector<WorkerInfo>> {
    auto q = db_->Prepare(
        "SELECT worker_id, study_id, host, pid, started_at, heartbeat_at FROM gdsweep_workers "
        "WHERE study_id = ?1 ORDER BY started_at, worker_id");
    if (!q) return q.error();
    q->Bind(1, study_id);
    std::vector<WorkerInfo> out;
    auto s = q->ForEachRow([&](sql::Query& r) {
      out.push_back({r.Text(0), r.Int(1), r.Text(2), r.Int(3), r.Double(4), r.Double(5)});
    });
    if (!s) return s.error();
    return out;
  });
}

Status SqlStorage::RemoveWorker(const std::string& worker_id) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, NoStudy, [&]() -> Status {
    auto q = db_->Prepare("DELETE FROM gdsweep_workers WHERE worker_id = ?1");
    if (!q) return q.error();
    return q->Bind(1, worker_id).Run();
  });
}

Result<std::vector<TrialRecord>> SqlStorage::RequeueTrialsOfWorker(const std::string& worker_id,
                                                                   const std::string& reason) {
  if (auto s = CheckWritable(); !s) return s.error();
  auto studies = [&] {
    return LockStudiesOf(*db_,
                         "SELECT study_id FROM gdsweep_workers WHERE worker_id = ?1 UNION "
                         "SELECT study_id FROM gdsweep_trials WHERE worker_id = ?1",
                         worker_id);
  };
  return InStudyTransaction(*db_, studies, [&]() -> Result<std::vector<TrialRecord>> {
    std::vector<int64_t> running;
    {
      auto q = db_->Prepare(
          "SELECT g.trial_id FROM gdsweep_trials g JOIN trials t "
          "ON t.trial_id = g.trial_id AND t.study_id = g.study_id AND t.number = g.number "
          "WHERE g.worker_id = ?1 AND t.state = 'RUNNING' ORDER BY t.number");
      if (!q) return q.error();
      q->Bind(1, worker_id);
      auto s = q->ForEachRow([&](sql::Query& r) { running.push_back(r.Int(0)); });
      if (!s) return s.error();
    }
    std::vector<TrialRecord> requeued;
    for (int64_t trial_id : running) {
      auto t = ReadTrial(*db_, trial_id);
      if (!t) return t.error();
      TrialOutcome outcome;
      outcome.state = TrialState::kFail;  // ignored: kRerun
      outcome.failure_reason = reason;
      outcome.requeue = TrialOutcome::Requeue::kRerun;
      if (auto s = FinishRunningTrial(*db_, trial_id, outcome); !s) return s.error();
      requeued.push_back(std::move(*t));
    }
    auto q = db_->Prepare("DELETE FROM gdsweep_workers WHERE worker_id = ?1");
    if (!q) return q.error();
    if (auto s = q->Bind(1, worker_id).Run(); !s) return s.error();
    // A dead worker delivers nothing: its outbox leases are free at once.
    auto leases = db_->Prepare(
        "UPDATE gdsweep_tracking_targets SET lease_owner = NULL, lease_until = NULL "
        "WHERE lease_owner = ?1");
    if (!leases) return leases.error();
    if (auto s = leases->Bind(1, worker_id).Run(); !s) return s.error();
    return requeued;
  });
}

Status SqlStorage::RecordRunProcesses(const std::vector<RunProcess>& processes) {
  if (auto s = CheckWritable(); !s) return s;
  // Each update names its run and checks it has not ended: no study lock.
  return InStudyTransaction(*db_, NoStudy, [&]() -> Status {
    for (const auto& p : processes) {
      if (auto s = RecordRunProcess(*db_, p); !s) return s;
    }
    return {};
  });
}

Result<std::vector<TrialRun>> SqlStorage::ListTrialRuns(int64_t trial_id) {
  return InTransaction(*db_, kRead, [&] { return ReadTrialRuns(*db_, trial_id); });
}

Status SqlStorage::AdoptTrial(int64_t trial_id, const std::string& from_worker,
                              const std::string& to_worker) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, TrialStudyLock(*db_, trial_id), [&]() -> Status {
    auto q = db_->Prepare(
        "UPDATE gdsweep_trials SET worker_id = ?3 WHERE trial_id = ?1 AND worker_id = ?2 AND "
        "EXISTS (SELECT 1 FROM trials t WHERE t.trial_id = ?1 AND t.state = 'RUNNING')");
    if (!q) return q.error();
    if (auto s = q->Bind(1, trial_id).Bind(2, from_worker).Bind(3, to_worker).Run(); !s) return s;
    if (db_->Changes() != 1) {
      return Error::Conflict("trial id " + std::to_string(trial_id) + " is not RUNNING under " +
                             from_worker);
    }
    return {};
  });
}

// --- Tracking outbox ---

Result<TrackingTarget> SqlStorage::SetTrackingTarget(int64_t study_id, const std::string& tag,
                                                     const TrackingTarget& target) {
  if (auto s = CheckWritable(); !s) return s.error();
  return InStudyTransaction(*db_, StudyLock(*db_, study_id),
                            [&] { return UpsertTrackingTarget(*db_, study_id, tag, target); });
}

Result<std::optional<TrackingTarget>> SqlStorage::GetTrackingTarget(int64_t study_id,
                                                                    const std::string& tag) {
  return InTransaction(*db_, kRead, [&] { return LoadTrackingTarget(*db_, study_id, tag); });
}

Result<std::vector<std::pair<int64_t, std::string>>> SqlStorage::ListTrackingTargets() {
  return InTransaction(*db_, kRead, [&] { return LoadTrackingTargets(*db_); });
}

Result<std::vector<OutboxMessage>> SqlStorage::ClaimOutbox(int64_t study_id, const std::string& tag,
                                                           const std::string& owner, double lease_s,
                                                           int limit) {
  if (auto s = CheckWritable(); !s) return s.error();
  return InStudyTransaction(*db_, StudyLock(*db_, study_id), [&] {
    return ClaimPendingMessages(*db_, study_id, tag, owner, NowSeconds(), lease_s, limit);
  });
}

Status SqlStorage::SettleOutbox(int64_t study_id, const std::string& tag,
                                const OutboxUpdate& update) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, StudyLock(*db_, study_id),
                            [&] { return ApplyOutboxUpdate(*db_, study_id, tag, update); });
}

Status SqlStorage::ReleaseOutboxLease(int64_t study_id, const std::string& tag,
                                      const std::string& owner) {
  if (auto s = CheckWritable(); !s) return s;
  return InStudyTransaction(*db_, StudyLock(*db_, study_id),
                            [&] { return DropOutboxLease(*db_, study_id, tag, owner); });
}

Result<OutboxCounts> SqlStorage::CountOutbox(int64_t study_id, const std::string& tag) {
  return InTransaction(*db_, kRead, [&] { return CountMessages(*db_, study_id, tag); });
}

Result<int64_t> SqlStorage::ReviveOutbox(int64_t study_id, const std::string& tag) {
  if (auto s = CheckWritable(); !s) return s.error();
  return InStudyTransaction(*db_, StudyLock(*db_, study_id),
                            [&] { return ReviveDeadMessages(*db_, study_id, tag); });
}

Result<std::vector<OutboxMessage>> SqlStorage::DeadOutbox(int64_t study_id,
                                                          const std::string& tag) {
  return InTransaction(*db_, kRead, [&] { return LoadDeadMessages(*db_, study_id, tag); });
}

Result<std::optional<TrackingRun>> SqlStorage::GetTrackingRun(int64_t study_id,
                                                              const std::string& tag,
                                                              int64_t trial_id) {
  return InTransaction(*db_, kRead, [&] { return LoadTrackingRun(*db_, study_id, tag, trial_id); });
}

// --- Queue and study management ---

Result<EnqueueResult> SqlStorage::Enqueue(const EnqueueRequest& req) {
  if (auto s = CheckWritable(); !s) return s.error();
  return InStudyTransaction(*db_, StudyLock(*db_, req.study_id), [&]() -> Result<EnqueueResult> {
    auto space = SpaceOf(req.study_id);
    if (!space) return space.error();
    return EnqueuePoints(*db_, req, **space);
  });
}

Status SqlStorage::DeleteStudy(const std::string& name) {
  if (auto s = CheckWritable(); !s) return s;
  return InTransaction(*db_, kWrite, [&] { return DeleteStudyRows(*db_, name); });
}

Status SqlStorage::RenameStudy(const std::string& from, const std::string& to) {
  if (auto s = CheckWritable(); !s) return s;
  return InTransaction(*db_, kWrite, [&] { return RenameStudyRow(*db_, from, to); });
}

Result<StudyDump> SqlStorage::ExportStudy(const std::string& name) {
  return InTransaction(*db_, kRead, [&] { return ReadStudyDump(*db_, name); });
}

Result<StudyInfo> SqlStorage::ImportStudy(const StudyDump& dump, const std::string& name) {
  if (auto s = CheckWritable(); !s) return s.error();
  return InTransaction(*db_, kWrite, [&] { return WriteStudyDump(*db_, dump, name); });
}

}  // namespace storage
}  // namespace gdsweep
