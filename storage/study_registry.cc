#include "storage/study_registry.h"

#include <map>
#include <set>

#include "storage/optuna_codec.h"
#include "storage/schema.h"
#include "storage/study_compare.h"
#include "storage/trial_writer.h"

namespace gdsweep::storage {
namespace {

using sql::Database;

// Optuna's study attribute for metric names (Optuna >= 3.2 shows them).
constexpr const char* kMetricNamesAttr = "study:metric_names";

struct GdsweepStudyRow {
  std::vector<Objective> objectives;
  SearchSpace space;
  std::string spec_json;
  uint64_t seed = 0;
};

Result<std::optional<int64_t>> FindStudyId(Database& db, const std::string& name) {
  auto q = db.Prepare("SELECT study_id FROM studies WHERE study_name = ?1");
  if (!q) return q.error();
  q->Bind(1, name);
  auto row = q->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(q->Int(0));
}

Result<std::optional<GdsweepStudyRow>> LoadGdsweepRow(Database& db, int64_t study_id) {
  auto q = db.Prepare(
      "SELECT objectives_json, space_json, spec_json, seed FROM gdsweep_studies "
      "WHERE study_id = ?1");
  if (!q) return q.error();
  q->Bind(1, study_id);
  auto row = q->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<GdsweepStudyRow>();
  GdsweepStudyRow r;
  auto objectives = ObjectivesFromJson(q->Text(0));
  if (!objectives) return objectives.error();
  auto space = SpaceFromJson(q->Text(1));
  if (!space) return space.error();
  r.objectives = std::move(*objectives);
  r.space = std::move(*space);
  r.spec_json = q->Text(2);
  r.seed = std::strtoull(q->Text(3).c_str(), nullptr, 10);
  return std::optional<GdsweepStudyRow>(std::move(r));
}

Status SetStudySystemAttr(Database& db, int64_t study_id, const std::string& key,
                          const std::string& value_json) {
  auto q = db.Prepare(
      "INSERT INTO study_system_attributes (study_id, \"key\", value_json) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (study_id, \"key\") DO UPDATE SET value_json = excluded.value_json");
  if (!q) return q.error();
  return q->Bind(1, study_id).Bind(2, key).Bind(3, value_json).Run();
}

Status WriteObjectives(Database& db, int64_t study_id, const std::vector<Objective>& objectives) {
  std::vector<std::string> names;
  for (size_t i = 0; i < objectives.size(); ++i) {
    auto q = db.Prepare(
        "INSERT INTO study_directions (direction, study_id, objective) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (study_id, objective) DO UPDATE SET direction = excluded.direction");
    if (!q) return q.error();
    q->Bind(1, ToString(objectives[i].direction)).Bind(2, study_id);
    if (auto s = q->Bind(3, static_cast<int64_t>(i)).Run(); !s) return s;
    names.push_back(objectives[i].metric);
  }
  return SetStudySystemAttr(db, study_id, kMetricNamesAttr, StringListJson(names));
}

// Writes the gdsweep_studies row; `replace_leftovers` for a study gdsweep did
// not know until now, whose id a deleted study may have had.
Status WriteGdsweepRow(Database& db, int64_t study_id, const StudyRegistration& reg, uint64_t seed,
                       bool replace_leftovers) {
  if (replace_leftovers) {
    if (auto s = ForgetLeftovers(db, study_id); !s) return s;
  }
  const double now = NowSeconds();
  auto q = db.Prepare(
      "INSERT INTO gdsweep_studies (study_id, spec_json, space_json, objectives_json, seed, "
      "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
      "ON CONFLICT (study_id) DO UPDATE SET spec_json = excluded.spec_json, "
      "space_json = excluded.space_json, objectives_json = excluded.objectives_json, "
      "updated_at = excluded.updated_at" +
      std::string(replace_leftovers ? ", seed = excluded.seed, created_at = excluded.created_at"
                                    : ""));
  if (!q) return q.error();
  q->Bind(1, study_id).Bind(2, reg.spec_json).Bind(3, SpaceToJson(reg.space));
  q->Bind(4, ObjectivesToJson(reg.objectives)).Bind(5, std::to_string(seed)).Bind(6, now);
  return q->Run();
}

// Every distinct {name, distribution} in the trial_params of a study.
Result<std::vector<std::pair<std::string, Distribution>>> TrialDistributions(Database& db,
                                                                             int64_t study_id) {
  auto q = db.Prepare(
      "SELECT DISTINCT p.param_name, p.distribution_json FROM trial_params p "
      "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = ?1 "
      "ORDER BY p.param_name");
  if (!q) return q.error();
  q->Bind(1, study_id);
  std::vector<std::pair<std::string, Distribution>> out;
  auto read = q->ForEachRow([&](const sql::Query& row) -> Status {
    auto d = FromOptunaJson(row.Text(1));
    if (!d) return Error::Io("parameter " + row.Text(0) + ": " + d.error().message);
    // Spellings that parse to the same distribution (Optuna 2's names) count once.
    bool seen = false;
    for (const auto& [name, dist] : out) seen = seen || (name == row.Text(0) && dist == *d);
    if (!seen) out.emplace_back(row.Text(0), *d);
    return {};
  });
  if (!read) return read.error();
  return out;
}

StudyInfo InfoFrom(int64_t id, const StudyRegistration& reg, uint64_t seed, bool created) {
  StudyInfo info;
  info.study_id = id;
  info.name = reg.name;
  for (const auto& o : reg.objectives) {
    info.directions.push_back(o.direction);
    info.metric_names.push_back(o.metric);
  }
  info.space = reg.space;
  info.seed = seed;
  info.created = created;
  info.spec_json = reg.spec_json;
  return info;
}

Result<StudyInfo> Create(Database& db, const StudyRegistration& reg) {
  auto q = db.Prepare("INSERT INTO studies (study_name) VALUES (?1) RETURNING study_id");
  if (!q) return q.error();
  auto inserted = sql::InsertReturningId(q->Bind(1, reg.name));
  if (!inserted) return inserted.error();
  const int64_t id = *inserted;
  if (auto s = WriteObjectives(db, id, reg.objectives); !s) return s.error();
  if (auto s = WriteGdsweepRow(db, id, reg, reg.seed, /*replace_leftovers=*/true); !s) {
    return s.error();
  }
  return InfoFrom(id, reg, reg.seed, /*created=*/true);
}

Result<StudyInfo> Resume(Database& db, int64_t id, const StudyRegistration& reg,
                         const GdsweepStudyRow& stored) {
  SpecDifferences diff = CompareObjectives(stored.objectives, reg.objectives);
  diff.Add(CompareSpaces(stored.space, reg.space));
  if (auto s = CheckDifferences(reg.name, diff, reg.allow_changes); !s) return s.error();
  if (!diff.empty()) {
    if (auto s = WriteObjectives(db, id, reg.objectives); !s) return s.error();
  }
  if (!diff.empty() || stored.spec_json != reg.spec_json) {
    if (auto s = WriteGdsweepRow(db, id, reg, stored.seed, /*replace_leftovers=*/false); !s) {
      return s.error();
    }
  }
  StudyInfo info = InfoFrom(id, reg, stored.seed, /*created=*/false);
  info.previous_spec_json = stored.spec_json;
  return info;
}

Result<StudyInfo> Adopt(Database& db, int64_t id, const StudyRegistration& reg) {
  auto directions = LoadDirections(db, id);
  if (!directions) return directions.error();
  auto found = TrialDistributions(db, id);
  if (!found) return found.error();
  SpecDifferences diff = CompareDirections(*directions, reg.objectives);
  diff.Add(CompareTrialDistributions(*found, reg.space));
  if (auto s = CheckDifferences(reg.name, diff, reg.allow_changes); !s) return s.error();
  if (auto s = WriteObjectives(db, id, reg.objectives); !s) return s.error();
  if (auto s = WriteGdsweepRow(db, id, reg, reg.seed, /*replace_leftovers=*/true); !s) {
    return s.error();
  }
  return InfoFrom(id, reg, reg.seed, /*created=*/false);
}

Result<StudyInfo> LoadInfo(Database& db, int64_t id, const std::string& name) {
  StudyInfo info;
  info.study_id = id;
  info.name = name;
  auto directions = LoadDirections(db, id);
  if (!directions) return directions.error();
  info.directions = std::move(*directions);
  auto row = LoadGdsweepRow(db, id);
  if (!row) return row.error();
  if (*row) {
    for (const auto& o : (*row)->objectives) info.metric_names.push_back(o.metric);
    info.space = (*row)->space;
    info.seed = (*row)->seed;
    info.spec_json = (*row)->spec_json;
    return info;
  }
  // A study Optuna made: the names study.set_metric_names stored (Optuna >= 3.2).
  auto q = db.Prepare(
      "SELECT value_json FROM study_system_attributes WHERE study_id = ?1 AND \"key\" = ?2");
  if (!q) return q.error();
  q->Bind(1, id).Bind(2, kMetricNamesAttr);
  auto found = q->Step();
  if (!found) return found.error();
  if (*found) {
    if (auto names = StringListFromJson(q->Text(0))) info.metric_names = std::move(*names);
  }
  return info;
}

}  // namespace

Result<StudyInfo> OpenOrCreateStudy(Database& db, const StudyRegistration& reg) {
  if (reg.objectives.empty()) return Error::Invalid("a study needs at least one objective");
  auto id = FindStudyId(db, reg.name);
  if (!id) return id.error();
  if (!*id) return Create(db, reg);
  auto stored = LoadGdsweepRow(db, **id);
  if (!stored) return stored.error();
  if (*stored) return Resume(db, **id, reg, **stored);
  return Adopt(db, **id, reg);
}

Status ForgetLeftovers(Database& db, int64_t study_id) {
  for (const auto& t : GdsweepOwnedTables()) {
    const std::string name = t.name;
    if (t.by_study) {
      auto q = db.Prepare("DELETE FROM " + name + " WHERE study_id = ?1");
      if (!q) return q.error();
      if (auto s = q->Bind(1, study_id).Run(); !s) return s;
    } else if (t.by_trial) {  // rows of trials that are gone, whose ids a new trial may reuse
      if (auto s = db.Exec("DELETE FROM " + name + " WHERE trial_id <> 0 AND NOT EXISTS " +
                           "(SELECT 1 FROM trials x WHERE x.trial_id = " + name + ".trial_id)");
          !s) {
        return s;
      }
    }
  }
  return {};
}

Result<std::vector<Direction>> LoadDirections(Database& db, int64_t study_id) {
  auto q =
      db.Prepare("SELECT direction FROM study_directions WHERE study_id = ?1 ORDER BY objective");
  if (!q) return q.error();
  q->Bind(1, study_id);
  std::vector<Direction> out;
  auto read = q->ForEachRow([&](const sql::Query& row) -> Status {
    auto d = DirectionFromString(row.Text(0));
    if (!d) {
      return Error::Io("study " + std::to_string(study_id) + " has unknown direction " +
                       row.Text(0));
    }
    out.push_back(*d);
    return {};
  });
  if (!read) return read.error();
  return out;
}

Result<int64_t> StudyIdByName(Database& db, const std::string& name) {
  auto id = FindStudyId(db, name);
  if (!id) return id.error();
  if (!*id) return Error::NotFound("no study named '" + name + "' in " + db.name());
  return **id;
}

Status DeleteStudyRows(Database& db, const std::string& name) {
  auto id = StudyIdByName(db, name);
  if (!id) return id.error();
  // Optuna's tables have foreign keys without cascades: children first. The
  // triggers of migration 5 delete gdsweep's rows with the trials and study.
  const char* const kStatements[] = {
      "DELETE FROM trial_params WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = "
      "?1)",
      "DELETE FROM trial_values WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = "
      "?1)",
      "DELETE FROM trial_intermediate_values WHERE trial_id IN "
      "(SELECT trial_id FROM trials WHERE study_id = ?1)",
      "DELETE FROM trial_user_attributes WHERE trial_id IN "
      "(SELECT trial_id FROM trials WHERE study_id = ?1)",
      "DELETE FROM trial_system_attributes WHERE trial_id IN "
      "(SELECT trial_id FROM trials WHERE study_id = ?1)",
      "DELETE FROM trial_heartbeats WHERE trial_id IN "
      "(SELECT trial_id FROM trials WHERE study_id = ?1)",
      "DELETE FROM trials WHERE study_id = ?1",
      "DELETE FROM study_directions WHERE study_id = ?1",
      "DELETE FROM study_user_attributes WHERE study_id = ?1",
      "DELETE FROM study_system_attributes WHERE study_id = ?1",
      "DELETE FROM studies WHERE study_id = ?1",
  };
  for (const char* sql : kStatements) {
    auto q = db.Prepare(sql);
    if (!q) return q.error();
    if (auto s = q->Bind(1, *id).Run(); !s) return s;
  }
  return {};
}

Status RenameStudyRow(Database& db, const std::string& from, const std::string& to) {
  auto id = StudyIdByName(db, from);
  if (!id) return id.error();
  auto taken = FindStudyId(db, to);
  if (!taken) return taken.error();
  if (*taken) return Error::Conflict("a study named '" + to + "' exists already in " + db.name());
  auto q = db.Prepare("UPDATE studies SET study_name = ?2 WHERE study_id = ?1");
  if (!q) return q.error();
  return q->Bind(1, *id).Bind(2, to).Run();
}

Result<StudyInfo> LoadStudyByName(Database& db, const std::string& name) {
  auto id = FindStudyId(db, name);
  if (!id) return id.error();
  if (!*id) return Error::NotFound("no study named '" + name + "' in " + db.name());
  return LoadInfo(db, **id, name);
}

Result<std::vector<StudySummary>> LoadStudySummaries(Database& db) {
  std::vector<std::pair<int64_t, std::string>> studies;
  {
    auto q = db.Prepare("SELECT study_id, study_name FROM studies ORDER BY study_id");
    if (!q) return q.error();
    auto read = q->ForEachRow(
        [&](const sql::Query& row) { studies.emplace_back(row.Int(0), row.Text(1)); });
    if (!read) return read.error();
  }
  std::vector<StudySummary> out;
  for (const auto& [id, name] : studies) {
    StudySummary summary;
    auto info = LoadInfo(db, id, name);
    if (!info) return info.error();
    summary.info = std::move(*info);
    auto counts =
        db.Prepare("SELECT state, count(*) FROM trials WHERE study_id = ?1 GROUP BY state");
    if (!counts) return counts.error();
    counts->Bind(1, id);
    auto counted = counts->ForEachRow([&](const sql::Query& row) {
      if (auto st = TrialStateFromString(row.Text(0))) summary.trials_by_state[*st] = row.Int(1);
    });
    if (!counted) return counted.error();
    auto tags = db.Prepare(
        "SELECT tag FROM gdsweep_trials WHERE study_id = ?1 GROUP BY tag ORDER BY min(number)");
    if (!tags) return tags.error();
    tags->Bind(1, id);
    auto tagged =
        tags->ForEachRow([&](const sql::Query& row) { summary.tags.push_back(row.Text(0)); });
    if (!tagged) return tagged.error();
    out.push_back(std::move(summary));
  }
  return out;
}

// Every parameter of the study's trials not in `params`, appended in the order
// first seen, with the distribution of its latest trial_params row.
Status AddTrialParams(Database& db, int64_t study_id, SearchSpace& params) {
  std::vector<std::pair<std::string, int64_t>> latest;  // name, last param_id
  {
    auto q = db.Prepare(
        "SELECT p.param_name, min(p.param_id) AS first, max(p.param_id) FROM trial_params p "
        "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = ?1 "
        "GROUP BY p.param_name ORDER BY first");
    if (!q) return q.error();
    q->Bind(1, study_id);
    auto read = q->ForEachRow([&](const sql::Query& row) {
      if (!FindParameter(params, row.Text(0))) latest.emplace_back(row.Text(0), row.Int(2));
    });
    if (!read) return read.error();
  }
  for (const auto& [name, param_id] : latest) {
    auto q = db.Prepare("SELECT distribution_json FROM trial_params WHERE param_id = ?1");
    if (!q) return q.error();
    q->Bind(1, param_id);
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) continue;
    auto d = FromOptunaJson(q->Text(0));
    if (!d) return Error::Io("parameter " + name + ": " + d.error().message);
    params.push_back({name, std::move(*d)});
  }
  return {};
}

Result<double> LoadSpaceUpdatedAt(Database& db, int64_t study_id) {
  auto q = db.Prepare("SELECT updated_at FROM gdsweep_studies WHERE study_id = ?1");
  if (!q) return q.error();
  q->Bind(1, study_id);
  auto row = q->Step();
  if (!row) return row.error();
  if (!*row) {
    return Error::NotFound("study " + std::to_string(study_id) +
                           " was never opened by gdsweep (no search space stored)");
  }
  return q->Double(0);
}

Result<SearchSpace> LoadStoredSpace(Database& db, int64_t study_id) {
  auto row = LoadGdsweepRow(db, study_id);
  if (!row) return row.error();
  if (!*row) {
    return Error::NotFound("study " + std::to_string(study_id) +
                           " was never opened by gdsweep (no search space stored)");
  }
  return std::move((*row)->space);
}

}  // namespace gdsweep::storage
