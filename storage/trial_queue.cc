#include "storage/trial_queue.h"

#include <spdlog/spdlog.h>

#include "storage/optuna_codec.h"
#include "storage/outbox_writer.h"
#include "storage/trial_reader.h"
#include "storage/trial_writer.h"

namespace gdsweep::storage {
namespace {

using sql::Database;

// A trial's point as enqueue_trial(skip_if_exists=True) sees it: its
// "fixed_params" if it has them, else its params. `foreign`: a key outside
// the space (such a trial never equals a point of the space).
struct ExistingPoint {
  Params params;
  bool foreign = false;
};

// The fixed_params JSON of a point of the space, with its values as the
// distributions give them back (1 for a float becomes 1.0).
std::string FixedJson(const SearchSpace& space, const Params& params) {
  std::vector<StoredParam> stored;
  for (const auto& p : space) {
    auto it = params.find(p.name);
    if (it != params.end()) stored.push_back({p.name, ToOptunaJson(p.distribution), it->second});
  }
  return FixedParamsJson(stored);
}

ExistingPoint FromFixed(const SearchSpace& space, const std::string& fixed_json) {
  ExistingPoint e;
  auto point = PointFromJson(fixed_json);
  if (!point) return {{}, true};
  for (const auto& [name, value] : *point) {
    const Parameter* p = FindParameter(space, name);
    auto internal = p ? ToInternal(p->distribution, value) : Result<double>(Error::Invalid(""));
    if (!internal) {
      e.foreign = true;
      continue;
    }
    e.params[name] = *internal;
  }
  return e;
}

Result<std::vector<ExistingPoint>> ExistingPoints(Database& db, int64_t study_id,
                                                  const SearchSpace& space) {
  std::vector<std::pair<int64_t, std::optional<std::string>>> rows;
  {
    auto q = db.Prepare(
        "SELECT t.trial_id, a.value_json FROM trials t LEFT JOIN trial_system_attributes a "
        "ON a.trial_id = t.trial_id AND a.\"key\" = 'fixed_params' WHERE t.study_id = ?1");
    if (!q) return q.error();
    q->Bind(1, study_id);
    auto read = q->ForEachRow(
        [&](const sql::Query& row) { rows.emplace_back(row.Int(0), row.OptText(1)); });
    if (!read) return read.error();
  }
  std::vector<ExistingPoint> out;
  for (const auto& [trial_id, fixed] : rows) {
    if (fixed) {
      out.push_back(FromFixed(space, *fixed));
      continue;
    }
    auto stored = ReadStoredParams(db, trial_id);
    if (!stored) return stored.error();
    ExistingPoint e;
    for (const auto& p : *stored) {
      if (FindParameter(space, p.name)) {
        e.params[p.name] = p.internal;
      } else {
        e.foreign = true;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool SamePoint(const SearchSpace& space, const ExistingPoint& e, const Params& point) {
  if (e.foreign || e.params.size() != point.size()) return false;
  for (const auto& [name, value] : point) {
    auto it = e.params.find(name);
    if (it == e.params.end()) return false;
    if (!SameValue(FindParameter(space, name)->distribution, value, it->second)) return false;
  }
  return true;
}

Result<bool> QueuedFromFileBefore(Database& db, int64_t study_id, const std::string& canonical) {
  auto q =
      db.Prepare("SELECT 1 FROM gdsweep_trials WHERE study_id = ?1 AND queued_point = ?2 LIMIT 1");
  if (!q) return q.error();
  q->Bind(1, study_id).Bind(2, canonical);
  return q->Step();
}

// The gdsweep_trials row of a trial that joins (study, tag) as a fresh trial.
Status AddSweepRow(Database& db, int64_t trial_id, int64_t study_id, int64_t number,
                   const std::string& tag, const std::optional<std::string>& queued_point) {
  SweepRow row{.trial_id = trial_id, .study_id = study_id, .number = number, .tag = tag};
  row.queued_point = queued_point;
  if (auto s = PutSweepRow(db, row); !s) return s;
  return CountFreshTrial(db, study_id, tag);
}

Result<int64_t> InsertWaiting(Database& db, const EnqueueRequest& req, const SearchSpace& space,
                              const Params& params, const std::optional<std::string>& key) {
  auto number = NextTrialNumber(db, req.study_id);
  if (!number) return number.error();
  auto insert = db.Prepare(
      "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
      "VALUES (?1, ?2, 'WAITING', NULL, NULL) RETURNING trial_id");
  if (!insert) return insert.error();
  auto inserted = sql::InsertReturningId(insert->Bind(1, *number).Bind(2, req.study_id));
  if (!inserted) return inserted.error();
  const int64_t trial_id = *inserted;
  if (auto s = SetTrialSystemAttr(db, trial_id, "fixed_params", FixedJson(space, params)); !s) {
    return s.error();
  }
  if (auto s = AddSweepRow(db, trial_id, req.study_id, *number, req.tag, key); !s) {
    return s.error();
  }
  return *number;
}

// What a claimed trial still needs: the parameters to add, or why its queued
// values cannot be used.
struct Completion {
  Params add;
  std::string bad;  // non-empty: fail the trial with this reason
  bool exhausted = false;
};

Result<Completion> CompleteParams(Database& db, const ClaimRequest& req, int64_t trial_id,
                                  int64_t number) {
  Completion c;
  auto stored = ReadStoredParams(db, trial_id);
  if (!stored) return stored.error();
  // A trial with params of its own (a retry, a rerun) runs them as they are:
  // only a queued point (no params yet, as enqueue_trial leaves it) is
  // completed, so a parameter a trial lacks on purpose is never added.
  if (!stored->empty()) return c;
  auto fixed = GetTrialSystemAttr(db, trial_id, "fixed_params");
  if (!fixed) return fixed.error();
  if (*fixed) {
    auto point = PointFromJson(**fixed);
    if (!point) {
      c.bad = "its queued parameters (fixed_params) are not a JSON object of values";
      return c;
    }
    for (const auto& [name, value] : *point) {
      const Parameter* p = FindParameter(*req.space, name);
      if (!p) {
        spdlog::warn("trial {}: queued parameter '{}' is not in the search space; ignored", number,
                     name);
        continue;
      }
      auto internal = ToInternal(p->distribution, value);
      if (!internal) {
        c.bad = "queued value of " + name +
                " does not fit the search space: " + internal.error().message;
        return c;
      }
      c.add[name] = *internal;
    }
  }
  if (LacksActive(*req.space, c.add)) {
    auto sampled = req.sample(number, c.add);
    if (!sampled) return sampled.error();
    if (!*sampled) {
      c.exhausted = true;
      return c;
    }
    for (const auto& [name, value] : **sampled) c.add.emplace(name, value);  // given values win
  }
  std::vector<std::string> dropped;
  c.add = KeepActive(*req.space, c.add, &dropped);
  for (const auto& name : dropped) {
    spdlog::warn("trial {}: queued parameter '{}' is inactive with the point's values; ignored",
                 number, name);
  }
  return c;
}

Status InsertParams(Database& db, const SearchSpace& space, int64_t trial_id, const Params& add) {
  for (const auto& p : space) {  // in the space's order, as Optuna suggests them
    auto it = add.find(p.name);
    if (it == add.end()) continue;
    auto q = db.Prepare(
        "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!q) return q.error();
    q->Bind(1, trial_id).Bind(2, p.name).Bind(3, it->second);
    if (auto s = q->Bind(4, ToOptunaJson(p.distribution)).Run(); !s) return s;
  }
  return {};
}

// Sets the trial RUNNING for the worker and starts its run.
Status StartClaimed(Database& db, const ClaimRequest& req, int64_t trial_id, int64_t number,
                    double now) {
  auto start = db.Prepare(
      "UPDATE trials SET state = 'RUNNING', datetime_start = ?2 "
      "WHERE trial_id = ?1 AND state = 'WAITING'");
  if (!start) return start.error();
  if (auto s = start->Bind(1, trial_id).Bind(2, FormatDatetime(now)).Run(); !s) return s;
  auto own = db.Prepare(
      "UPDATE gdsweep_trials SET worker_id = NULLIF(?2, ''), log_path = NULLIF(?3, '') "
      "WHERE trial_id = ?1");
  if (!own) return own.error();
  own->Bind(1, trial_id).Bind(2, req.worker_id);
  if (auto s = own->Bind(3, req.log_path_for ? req.log_path_for(number) : "").Run(); !s) return s;
  return StartRun(db, trial_id, req.worker_id, now);
}

}  // namespace

Result<EnqueueResult> EnqueuePoints(Database& db, const EnqueueRequest& req,
                                    const SearchSpace& space) {
  EnqueueResult result;
  std::vector<ExistingPoint> existing;
  if (req.skip_if_exists) {
    auto read = ExistingPoints(db, req.study_id, space);
    if (!read) return read.error();
    existing = std::move(*read);
  }
  for (size_t i = 0; i < req.points.size(); ++i) {
    auto params = PointToParams(space, req.points[i]);
    if (!params) return params.error().Wrap("point " + std::to_string(i + 1));
    std::optional<std::string> key;
    if (req.from_study_file) {
      key = FixedJson(space, *params);
      auto before = QueuedFromFileBefore(db, req.study_id, *key);
      if (!before) return before.error();
      if (*before) {
        result.skipped.push_back(i);
        continue;
      }
    }
    if (req.skip_if_exists) {
      bool seen = false;
      for (const auto& e : existing) seen = seen || SamePoint(space, e, *params);
      if (seen) {
        result.skipped.push_back(i);
        continue;
      }
      existing.push_back({*params, false});
    }
    auto number = InsertWaiting(db, req, space, *params, key);
    if (!number) return number.error();
    result.numbers.push_back(*number);
  }
  return result;
}

Result<std::optional<TrialRecord>> ClaimWaitingTrial(Database& db, const ClaimRequest& req) {
  while (true) {
    int64_t trial_id = 0, number = 0;
    bool has_row = false;
    {
      auto q = db.Prepare(
          "SELECT t.trial_id, t.number, g.trial_id IS NOT NULL FROM trials t "
          "LEFT JOIN gdsweep_trials g "
          "ON g.trial_id = t.trial_id AND g.study_id = t.study_id AND g.number = t.number "
          "WHERE t.study_id = ?1 AND t.state = 'WAITING' AND (g.tag = ?2 OR g.trial_id IS NULL) "
          "ORDER BY t.number LIMIT 1");
      if (!q) return q.error();
      q->Bind(1, req.study_id).Bind(2, req.tag);
      auto row = q->Step();
      if (!row) return row.error();
      if (!*row) return std::optional<TrialRecord>();
      trial_id = q->Int(0);
      number = q->Int(1);
      has_row = q->Int(2) != 0;
    }
    auto completion = CompleteParams(db, req, trial_id, number);
    if (!completion) return completion.error();
    if (completion->exhausted) return std::optional<TrialRecord>();
    if (!has_row) {
      if (auto s = AddSweepRow(db, trial_id, req.study_id, number, req.tag, std::nullopt); !s) {
        return s.error();
      }
    }
    if (auto s = InsertParams(db, *req.space, trial_id, completion->add); !s) return s.error();
    const double now = NowSeconds();
    if (auto s = StartClaimed(db, req, trial_id, number, now); !s) return s.error();
    auto t = ReadTrial(db, trial_id);
    if (!t) return t.error();
    auto tracked = IsTracked(db, req.study_id, req.tag);
    if (!tracked) return tracked.error();
    if (*tracked) {
      auto text = StoredParamsText(db, trial_id);
      if (!text) return text.error();
      if (auto s = AppendRunStarted(db, {req.study_id, t->tag, t->trial_id, t->number},
                                    {t->attempt, t->retry_of, now, std::move(*text)});
          !s) {
        return s.error();
      }
    }
    if (completion->bad.empty()) return std::optional<TrialRecord>(std::move(*t));
    spdlog::warn("trial {}: {}; recorded FAIL", number, completion->bad);
    TrialOutcome failed;
    failed.state = TrialState::kFail;
    failed.failure_reason = completion->bad;
    if (auto s = FinishRunningTrial(db, trial_id, failed); !s) return s.error();
  }
}

}  // namespace gdsweep::storage
