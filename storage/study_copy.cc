#include "storage/study_copy.h"

#include "storage/optuna_codec.h"
#include "storage/study_registry.h"
#include "storage/trial_reader.h"
#include "storage/trial_writer.h"

namespace gdsweep::storage {
namespace {

using sql::Database;

Result<std::vector<DumpedAttr>> ReadAttrs(Database& db, const std::string& table,
                                          const std::string& id_column, int64_t id) {
  // In insertion order: by the table's own id column (study_user_attributes:
  // study_user_attribute_id).
  const std::string own_id = table.substr(0, table.size() - 1) + "_id";
  auto q = db.Prepare("SELECT \"key\", value_json FROM " + table + " WHERE " + id_column +
                      " = ?1 ORDER BY " + own_id);
  if (!q) return q.error();
  q->Bind(1, id);
  std::vector<DumpedAttr> out;
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q->Text(0), q->Text(1)});
  }
}

Status WriteAttrs(Database& db, const std::string& table, const std::string& id_column, int64_t id,
                  const std::vector<DumpedAttr>& attrs) {
  for (const auto& a : attrs) {
    auto q = db.Prepare("INSERT INTO " + table + " (" + id_column +
                        ", \"key\", value_json) VALUES (?1, ?2, ?3)");
    if (!q) return q.error();
    if (auto s = q->Bind(1, id).Bind(2, a.key).Bind(3, a.value_json).Run(); !s) return s;
  }
  return {};
}

// step/objective -> value of a trial's trial_values or trial_intermediate_values.
Result<std::map<int64_t, double>> ReadValues(Database& db, const std::string& sql,
                                             int64_t trial_id) {
  auto q = db.Prepare(sql);
  if (!q) return q.error();
  q->Bind(1, trial_id);
  std::map<int64_t, double> out;
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) return out;
    auto v = DecodeValue(q->OptDouble(1), q->Text(2));
    if (!v)
      return Error::Io("trial id " + std::to_string(trial_id) + " has a value of type '" +
                       q->Text(2) + "'");
    out[q->Int(0)] = *v;
  }
}

Result<std::optional<DumpedGdsweepTrial>> ReadGdsweepTrial(Database& db, int64_t trial_id,
                                                           int64_t number) {
  auto q = db.Prepare(
      "SELECT tag, attempt, retry_of, worker_id, failure_reason, log_path, finished_at, runs, "
      "queued_point FROM gdsweep_trials WHERE trial_id = ?1 AND number = ?2");
  if (!q) return q.error();
  q->Bind(1, trial_id).Bind(2, number);
  auto row = q->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<DumpedGdsweepTrial>();
  DumpedGdsweepTrial g;
  g.tag = q->Text(0);
  g.attempt = static_cast<int>(q->OptInt(1).value_or(1));
  g.retry_of = q->OptInt(2);
  g.worker_id = q->Text(3);
  g.failure_reason = q->Text(4);
  g.log_path = q->Text(5);
  g.finished_at = q->OptDouble(6);
  g.runs = static_cast<int>(q->OptInt(7).value_or(0));
  g.queued_point = q->Text(8);
  return std::optional<DumpedGdsweepTrial>(std::move(g));
}

Status ReadTrialDetails(Database& db, int64_t trial_id, DumpedTrial& t) {
  auto params = ReadStoredParams(db, trial_id);
  if (!params) return params.error();
  for (const auto& p : *params) t.params.push_back({p.name, p.internal, p.distribution_json});
  auto values = ReadValues(
      db, "SELECT objective, value, value_type FROM trial_values WHERE trial_id = ?1", trial_id);
  if (!values) return values.error();
  t.values = std::move(*values);
  auto inter = ReadValues(db,
                          "SELECT step, intermediate_value, intermediate_value_type FROM "
                          "trial_intermediate_values WHERE trial_id = ?1",
                          trial_id);
  if (!inter) return inter.error();
  t.intermediate = std::move(*inter);
  auto user = ReadAttrs(db, "trial_user_attributes", "trial_id", trial_id);
  if (!user) return user.error();
  t.user_attrs = std::move(*user);
  auto system = ReadAttrs(db, "trial_system_attributes", "trial_id", trial_id);
  if (!system) return system.error();
  t.system_attrs = std::move(*system);
  auto g = ReadGdsweepTrial(db, trial_id, t.number);
  if (!g) return g.error();
  t.gdsweep = std::move(*g);
  auto runs = ReadTrialRuns(db, trial_id);
  if (!runs) return runs.error();
  t.runs = std::move(*runs);
  return {};
}

Status ReadStudyRows(Database& db, int64_t study_id, StudyDump& dump) {
  auto directions = LoadDirections(db, study_id);
  if (!directions) return directions.error();
  dump.directions = std::move(*directions);
  auto user = ReadAttrs(db, "study_user_attributes", "study_id", study_id);
  if (!user) return user.error();
  dump.user_attrs = std::move(*user);
  auto system = ReadAttrs(db, "study_system_attributes", "study_id", study_id);
  if (!system) return system.error();
  dump.system_attrs = std::move(*system);
  {
    auto q = db.Prepare(
        "SELECT spec_json, space_json, objectives_json, seed, created_at, updated_at "
        "FROM gdsweep_studies WHERE study_id = ?1");
    if (!q) return q.error();
    q->Bind(1, study_id);
    auto row = q->Step();
    if (!row) return row.error();
    if (*row) {
      dump.gdsweep = DumpedGdsweepStudy{q->Text(0), q->Text(1),   q->Text(2),
                                        q->Text(3), q->Double(4), q->Double(5)};
    }
  }
  auto q = db.Prepare("SELECT tag, fresh_trials FROM gdsweep_sweeps WHERE study_id = ?1");
  if (!q) return q.error();
  q->Bind(1, study_id);
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) return {};
    dump.fresh_trials[q->Text(0)] = q->Int(1);
  }
}

Result<int64_t> InsertTrial(Database& db, int64_t study_id, const DumpedTrial& t) {
  auto q = db.Prepare(
      "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
      "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING trial_id");
  if (!q) return q.error();
  auto when = [](const std::optional<double>& s) {
    return s ? std::optional<std::string>(FormatDatetime(*s)) : std::nullopt;
  };
  q->Bind(1, t.number).Bind(2, study_id).Bind(3, ToString(t.state));
  return sql::InsertReturningId(
      q->Bind(4, when(t.datetime_start)).Bind(5, when(t.datetime_complete)));
}

Status WriteTrialDetails(Database& db, int64_t study_id, int64_t trial_id, const DumpedTrial& t) {
  for (const auto& p : t.params) {
    auto q = db.Prepare(
        "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!q) return q.error();
    q->Bind(1, trial_id).Bind(2, p.name).Bind(3, p.internal);
    if (auto s = q->Bind(4, p.distribution_json).Run(); !s) return s;
  }
  for (const auto& [objective, value] : t.values) {
    auto [stored, type] = EncodeValue(value);
    auto q = db.Prepare(
        "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?1, ?2, ?3, "
        "?4)");
    if (!q) return q.error();
    if (auto s = q->Bind(1, trial_id).Bind(2, objective).Bind(3, stored).Bind(4, type).Run(); !s) {
      return s;
    }
  }
  for (const auto& [step, value] : t.intermediate) {
    auto [stored, type] = EncodeIntermediate(value);
    auto q = db.Prepare(
        "INSERT INTO trial_intermediate_values "
        "(trial_id, step, intermediate_value, intermediate_value_type) VALUES (?1, ?2, ?3, ?4)");
    if (!q) return q.error();
    if (auto s = q->Bind(1, trial_id).Bind(2, step).Bind(3, stored).Bind(4, type).Run(); !s) {
      return s;
    }
  }
  if (auto s = WriteAttrs(db, "trial_user_attributes", "trial_id", trial_id, t.user_attrs); !s) {
    return s;
  }
  if (auto s = WriteAttrs(db, "trial_system_attributes", "trial_id", trial_id, t.system_attrs);
      !s) {
    return s;
  }
  if (!t.gdsweep) return {};
  const DumpedGdsweepTrial& g = *t.gdsweep;
  auto nonempty = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  };
  auto row = db.Prepare(
      "INSERT INTO gdsweep_trials (trial_id, study_id, number, tag, attempt, retry_of, worker_id, "
      "failure_reason, log_path, finished_at, runs, queued_point) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!row) return row.error();
  row->Bind(1, trial_id).Bind(2, study_id).Bind(3, t.number).Bind(4, g.tag).Bind(5, g.attempt);
  row->Bind(6, g.retry_of).Bind(7, nonempty(g.worker_id)).Bind(8, nonempty(g.failure_reason));
  row->Bind(9, nonempty(g.log_path)).Bind(10, g.finished_at).Bind(11, g.runs);
  if (auto s = row->Bind(12, nonempty(g.queued_point)).Run(); !s) return s;
  for (const auto& r : t.runs) {
    auto q = db.Prepare(
        "INSERT INTO gdsweep_trial_runs (trial_id, run, attempt, worker_id, host, boot_id, pid, "
        "pid_start_time, started_at, ended_at, outcome, reason) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!q) return q.error();
    q->Bind(1, trial_id).Bind(2, r.run).Bind(3, r.attempt).Bind(4, nonempty(r.worker_id));
    q->Bind(5, nonempty(r.host)).Bind(6, nonempty(r.boot_id));
    q->Bind(7, r.pid ? std::optional<int64_t>(r.pid) : std::nullopt);
    q->Bind(8, r.pid ? std::optional<int64_t>(r.pid_start_time) : std::nullopt);
    q->Bind(9, r.started_at).Bind(10, r.ended_at).Bind(11, nonempty(r.outcome));
    if (auto s = q->Bind(12, nonempty(r.reason)).Run(); !s) return s;
  }
  return {};
}

Status WriteStudyRows(Database& db, int64_t study_id, const StudyDump& dump) {
  for (size_t i = 0; i < dump.directions.size(); ++i) {
    auto q = db.Prepare(
        "INSERT INTO study_directions (direction, study_id, objective) VALUES (?1, ?2, ?3)");
    if (!q) return q.error();
    q->Bind(1, ToString(dump.directions[i])).Bind(2, study_id);
    if (auto s = q->Bind(3, static_cast<int64_t>(i)).Run(); !s) return s;
  }
  if (auto s = WriteAttrs(db, "study_user_attributes", "study_id", study_id, dump.user_attrs); !s) {
    return s;
  }
  if (auto s = WriteAttrs(db, "study_system_attributes", "study_id", study_id, dump.system_attrs);
      !s) {
    return s;
  }
  if (dump.gdsweep) {
    const auto& g = *dump.gdsweep;
    auto q = db.Prepare(
        "INSERT INTO gdsweep_studies (study_id, spec_json, space_json, objectives_json, seed, "
        "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!q) return q.error();
    q->Bind(1, study_id).Bind(2, g.spec_json).Bind(3, g.space_json).Bind(4, g.objectives_json);
    if (auto s = q->Bind(5, g.seed).Bind(6, g.created_at).Bind(7, g.updated_at).Run(); !s) {
      return s;
    }
  }
  for (const auto& [tag, count] : dump.fresh_trials) {
    auto q =
        db.Prepare("INSERT INTO gdsweep_sweeps (study_id, tag, fresh_trials) VALUES (?1, ?2, ?3)");
    if (!q) return q.error();
    if (auto s = q->Bind(1, study_id).Bind(2, tag).Bind(3, count).Run(); !s) return s;
  }
  return {};
}

}  // namespace

Result<StudyDump> ReadStudyDump(Database& db, const std::string& name) {
  auto id = StudyIdByName(db, name);
  if (!id) return id.error();
  StudyDump dump;
  dump.name = name;
  if (auto s = ReadStudyRows(db, *id, dump); !s) return s.error();
  std::vector<int64_t> ids;
  {
    auto q = db.Prepare(
        "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
        "WHERE study_id = ?1 ORDER BY number");
    if (!q) return q.error();
    q->Bind(1, *id);
    while (true) {
      auto row = q->Step();
      if (!row) return row.error();
      if (!*row) break;
      DumpedTrial t;
      t.number = q->Int(1);
      auto state = TrialStateFromString(q->Text(2));
      if (!state)
        return Error::Io("trial " + std::to_string(t.number) + " has state '" + q->Text(2) + "'");
      t.state = *state;
      if (auto s = q->OptText(3)) t.datetime_start = ParseDatetime(*s);
      if (auto s = q->OptText(4)) t.datetime_complete = ParseDatetime(*s);
      ids.push_back(q->Int(0));
      dump.trials.push_back(std::move(t));
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto s = ReadTrialDetails(db, ids[i], dump.trials[i]); !s) return s.error();
  }
  return dump;
}

Result<StudyInfo> WriteStudyDump(Database& db, const StudyDump& dump, const std::string& name) {
  auto taken = StudyIdByName(db, name);
  if (taken) {
    return Error::Conflict("a study named '" + name + "' exists already in " + db.name() +
                           "; nothing was copied");
  }
  if (taken.error().kind != Error::Kind::kNotFound) return taken.error();
  auto q = db.Prepare("INSERT INTO studies (study_name) VALUES (?1) RETURNING study_id");
  if (!q) return q.error();
  auto inserted = sql::InsertReturningId(q->Bind(1, name));
  if (!inserted) return inserted.error();
  const int64_t study_id = *inserted;
  if (auto s = ForgetLeftovers(db, study_id); !s) return s.error();
  if (auto s = WriteStudyRows(db, study_id, dump); !s) return s.error();
  for (const auto& t : dump.trials) {
    auto trial_id = InsertTrial(db, study_id, t);
    if (!trial_id) return trial_id.error();
    if (auto s = WriteTrialDetails(db, study_id, *trial_id, t); !s) return s.error();
  }
  return LoadStudyByName(db, name);
}

}  // namespace gdsweep::storage
