#include "storage/trial_reader.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace gdsweep::storage {
namespace {

using sql::Database;
using sql::Query;

// Optuna's columns, then gdsweep's (NULL for a trial gdsweep did not make).
// gdsweep_trials must agree on study and number: a row left behind by a trial
// Optuna deleted never attaches to a new trial that reuses its id.
constexpr const char* kSelectTrials =
    "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete, "
    "g.tag, g.attempt, g.retry_of, g.worker_id, g.failure_reason, g.log_path, g.runs "
    "FROM trials t LEFT JOIN gdsweep_trials g "
    "ON g.trial_id = t.trial_id AND g.study_id = t.study_id AND g.number = t.number ";

// The detail tables, for a JSON list of trial ids bound to ?1 ({ids}: WithIds).
constexpr const char* kSelectParams =
    "SELECT trial_id, param_name, param_value FROM trial_params "
    "WHERE {ids}";
constexpr const char* kSelectValues =
    "SELECT trial_id, objective, value, value_type FROM trial_values "
    "WHERE {ids}";
constexpr const char* kSelectIntermediate =
    "SELECT trial_id, step, intermediate_value, intermediate_value_type "
    "FROM trial_intermediate_values WHERE {ids}";
// Successive halving's rung values, Optuna's "completed_rung_N" attributes.
constexpr const char* kSelectRungs =
    "SELECT trial_id, substr(\"key\", 16), value_json FROM trial_system_attributes "
    "WHERE {ids} AND \"key\" LIKE 'completed\\_rung\\_%' "
    "ESCAPE '\\'";
// The state samplers keep in the study (TrialRecord::sampler_attrs).
constexpr const char* kSelectSamplerAttrs =
    "SELECT trial_id, \"key\", value_json FROM trial_system_attributes "
    "WHERE {ids} "
    "AND (\"key\" LIKE 'gdsweep:%' OR \"key\" = 'nsga2:generation')";

// Optuna 3.1's constraint values ("constraints", a JSON list).
constexpr const char* kSelectConstraints =
    "SELECT trial_id, value_json FROM trial_system_attributes "
    "WHERE {ids} AND \"key\" = 'constraints'";

// `sql` with {ids} replaced by the dialect's test of trial_id against ?1.
std::string WithIds(const Database& db, const char* sql) {
  std::string s = sql;
  const size_t at = s.find("{ids}");
  return s.replace(at, 5, sql::InIdList(db, "trial_id", 1));
}

std::string IdList(const std::vector<TrialRecord>& trials) {
  std::string s = "[";
  for (size_t i = 0; i < trials.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(trials[i].trial_id);
  }
  return s + "]";
}

std::string IdList(const std::vector<int64_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

Result<TrialRecord> RowToTrial(const Query& q) {
  TrialRecord t;
  t.trial_id = q.Int(0);
  t.number = q.Int(1);
  auto state = TrialStateFromString(q.Text(2));
  if (!state)
    return Error::Io("trial " + std::to_string(t.number) + " has unknown state '" + q.Text(2) +
                     "'");
  t.state = *state;
  if (auto s = q.OptText(3)) t.datetime_start = ParseDatetime(*s);
  if (auto s = q.OptText(4)) t.datetime_complete = ParseDatetime(*s);
  t.tag = q.Text(5);
  t.attempt = static_cast<int>(q.OptInt(6).value_or(1));
  t.retry_of = q.OptInt(7);
  t.worker_id = q.Text(8);
  t.failure_reason = q.Text(9);
  t.log_path = q.Text(10);
  t.runs = static_cast<int>(q.OptInt(11).value_or(0));
  return t;
}

// Runs a trials query (already bound) and appends its rows.
Status CollectRows(Query& q, std::vector<TrialRecord>& out) {
  while (true) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return {};
    auto t = RowToTrial(q);
    if (!t) return t.error();
    out.push_back(std::move(*t));
  }
}

// Fills params, values, intermediate values, rung values and sampler
// attributes of `trials`, one query each.
Status FillDetails(Database& db, std::vector<TrialRecord>& trials) {
  if (trials.empty()) return {};
  std::unordered_map<int64_t, TrialRecord*> by_id;
  for (auto& t : trials) by_id[t.trial_id] = &t;
  auto trial = [&](int64_t id) -> TrialRecord* {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : it->second;
  };
  const std::string ids = IdList(trials);

  auto params = db.Prepare(WithIds(db, kSelectParams));
  if (!params) return params.error();
  params->Bind(1, ids);
  while (true) {
    auto row = params->Step();
    if (!row) return row.error();
    if (!*row) break;
    if (auto* t = trial(params->Int(0))) t->params[params->Text(1)] = params->Double(2);
  }

  auto values = db.Prepare(WithIds(db, kSelectValues));
  if (!values) return values.error();
  values->Bind(1, ids);
  while (true) {
    auto row = values->Step();
    if (!row) return row.error();
    if (!*row) break;
    auto* t = trial(values->Int(0));
    if (!t) continue;
    auto& v = t->values;
    const auto objective = static_cast<size_t>(std::max<int64_t>(0, values->Int(1)));
    if (v.size() <= objective) v.resize(objective + 1, std::nan(""));
    v[objective] = DecodeValue(values->OptDouble(2), values->Text(3)).value_or(std::nan(""));
  }

  auto inter = db.Prepare(WithIds(db, kSelectIntermediate));
  if (!inter) return inter.error();
  inter->Bind(1, ids);
  while (true) {
    auto row = inter->Step();
    if (!row) return row.error();
    if (!*row) break;
    if (auto* t = trial(inter->Int(0))) {
      t->intermediate[inter->Int(1)] =
          DecodeValue(inter->OptDouble(2), inter->Text(3)).value_or(std::nan(""));
    }
  }

  auto rungs = db.Prepare(WithIds(db, kSelectRungs));
  if (!rungs) return rungs.error();
  rungs->Bind(1, ids);
  while (true) {
    auto row = rungs->Step();
    if (!row) return row.error();
    if (!*row) break;
    auto* t = trial(rungs->Int(0));
    const std::string rung = rungs->Text(1);
    auto value = ParsePythonFloatJson(rungs->Text(2));
    if (!t || !value || rung.empty() || rung.find_first_not_of("0123456789") != std::string::npos ||
        rung.size() > 9) {
      continue;  // not a rung Optuna would have written
    }
    t->completed_rungs[std::stoi(rung)] = *value;
  }

  auto attrs = db.Prepare(WithIds(db, kSelectSamplerAttrs));
  if (!attrs) return attrs.error();
  attrs->Bind(1, ids);
  while (true) {
    auto row = attrs->Step();
    if (!row) return row.error();
    if (!*row) break;
    if (auto* t = trial(attrs->Int(0))) t->sampler_attrs[attrs->Text(1)] = attrs->Text(2);
  }

  auto constraints = db.Prepare(WithIds(db, kSelectConstraints));
  if (!constraints) return constraints.error();
  constraints->Bind(1, ids);
  while (true) {
    auto row = constraints->Step();
    if (!row) return row.error();
    if (!*row) break;
    auto* t = trial(constraints->Int(0));
    if (!t) continue;
    t->constraints = ConstraintsFromJson(constraints->Text(1));  // unreadable: none
  }
  return {};
}

void SortByNumber(std::vector<TrialRecord>& trials) {
  auto less = [](const TrialRecord& a, const TrialRecord& b) {
    return a.number != b.number ? a.number < b.number : a.trial_id < b.trial_id;
  };
  if (!std::is_sorted(trials.begin(), trials.end(), less)) {
    std::sort(trials.begin(), trials.end(), less);
  }
}

}  // namespace

Result<std::vector<TrialRecord>> ReadTrialsAfter(Database& db, int64_t study_id, int64_t after,
                                                 const std::vector<int64_t>& also) {
  std::vector<TrialRecord> out;
  {
    // A first read walks the study's (study_id, number) index; later ones
    // start from the rowid (`+` keeps SQLite from preferring the study index
    // and scanning every trial of the study again).
    auto q = db.Prepare(std::string(kSelectTrials) +
                        (after <= 0 ? "WHERE t.study_id = ?1 AND t.trial_id > ?2 "
                                    : "WHERE +t.study_id = ?1 AND t.trial_id > ?2 ") +
                        "ORDER BY t.number, t.trial_id");
    if (!q) return q.error();
    q->Bind(1, study_id).Bind(2, after);
    if (auto s = CollectRows(*q, out); !s) return s.error();
  }
  if (!also.empty()) {
    auto q = db.Prepare(std::string(kSelectTrials) + "WHERE " + sql::InIdList(db, "t.trial_id", 1));
    if (!q) return q.error();
    q->Bind(1, IdList(also));
    if (auto s = CollectRows(*q, out); !s) return s.error();
    SortByNumber(out);
  }
  if (auto s = FillDetails(db, out); !s) return s.error();
  return out;
}

Result<std::vector<TrialRecord>> ReadTrialsFiltered(Database& db, int64_t study_id,
                                                    const TrialFilter& filter) {
  std::vector<TrialRecord> out;
  std::optional<std::string> state;
  if (filter.state) state = ToString(*filter.state);
  if (filter.number) {  // one trial, by the (study_id, number) index
    auto q = db.Prepare(std::string(kSelectTrials) +
                        "WHERE t.study_id = ?1 AND t.number = ?2 AND (t.state = ?3 OR ?3 IS NULL) "
                        "AND (g.tag = ?4 OR ?4 IS NULL) ORDER BY t.trial_id");
    if (!q) return q.error();
    q->Bind(1, study_id).Bind(2, *filter.number).Bind(3, state).Bind(4, filter.tag);
    if (auto s = CollectRows(*q, out); !s) return s.error();
  } else if (filter.tag) {
    // CROSS JOIN: SQLite then reads gdsweep_trials first, by its (study_id,
    // tag) index, instead of walking every trial of the study in number order
    // (PostgreSQL plans the join itself and takes no ON after a CROSS JOIN).
    const std::string join = db.dialect() == sql::Dialect::kPostgres ? " JOIN " : " CROSS JOIN ";
    auto q = db.Prepare(
        "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete, "
        "g.tag, g.attempt, g.retry_of, g.worker_id, g.failure_reason, g.log_path, g.runs "
        "FROM gdsweep_trials g" +
        join +
        "trials t "
        "ON t.trial_id = g.trial_id AND t.study_id = g.study_id AND t.number = g.number "
        "WHERE g.study_id = ?1 AND g.tag = ?2 AND (t.state = ?3 OR ?3 IS NULL) "
        "ORDER BY t.number, t.trial_id");
    if (!q) return q.error();
    q->Bind(1, study_id).Bind(2, *filter.tag).Bind(3, state);
    if (auto s = CollectRows(*q, out); !s) return s.error();
  } else {
    auto q = db.Prepare(std::string(kSelectTrials) +
                        "WHERE t.study_id = ?1 AND (t.state = ?2 OR ?2 IS NULL) "
                        "ORDER BY t.number, t.trial_id");
    if (!q) return q.error();
    q->Bind(1, study_id).Bind(2, state);
    if (auto s = CollectRows(*q, out); !s) return s.error();
  }
  if (auto s = FillDetails(db, out); !s) return s.error();
  return out;
}

Result<TrialRecord> ReadTrial(Database& db, int64_t trial_id) {
  std::vector<TrialRecord> out;
  {
    auto q = db.Prepare(std::string(kSelectTrials) + "WHERE t.trial_id = ?1");
    if (!q) return q.error();
    q->Bind(1, trial_id);
    if (auto s = CollectRows(*q, out); !s) return s.error();
  }
  if (out.empty()) return Error::NotFound("no trial with id " + std::to_string(trial_id));
  if (auto s = FillDetails(db, out); !s) return s.error();
  return std::move(out.front());
}

Status RefreshTrialHistory(Database& db, int64_t study_id, TrialHistory& history) {
  std::vector<int64_t> unfinished;
  std::unordered_map<int64_t, size_t> index;  // of the unfinished ones: only they change
  for (size_t i = 0; i < history.trials.size(); ++i) {
    const auto& t = history.trials[i];
    if (IsFinished(t.state)) continue;
    index[t.trial_id] = i;
    unfinished.push_back(t.trial_id);
  }
  auto fresh = ReadTrialsAfter(db, study_id, history.max_trial_id, unfinished);
  if (!fresh) return fresh.error();
  bool appended = false;
  for (auto& t : *fresh) {
    history.max_trial_id = std::max(history.max_trial_id, t.trial_id);
    if (auto it = index.find(t.trial_id); it != index.end()) {
      history.trials[it->second] = std::move(t);
    } else {
      history.trials.push_back(std::move(t));
      appended = true;
    }
  }
  if (appended) SortByNumber(history.trials);
  return {};
}

Result<std::vector<StoredParam>> ReadStoredParams(Database& db, int64_t trial_id) {
  auto q = db.Prepare(
      "SELECT param_name, distribution_json, param_value FROM trial_params "
      "WHERE trial_id = ?1 ORDER BY param_id");
  if (!q) return q.error();
  q->Bind(1, trial_id);
  std::vector<StoredParam> out;
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q->Text(0), q->Text(1), q->Double(2)});
  }
}

}  // namespace gdsweep::storage
