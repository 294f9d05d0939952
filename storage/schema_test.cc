#include "storage/schema.h"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::OpenOrDie;
using testing::Rows;
using testing::TempDir;

// Optuna 3.1's tables (models.py, schema version 12): column, type, NOT NULL, PK.
const std::vector<std::pair<std::string, std::string>> kOptunaColumns = {
    {"studies", "study_id INTEGER NOT NULL PK, study_name VARCHAR(512) NOT NULL"},
    {"version_info",
     "version_info_id INTEGER NOT NULL PK, schema_version INTEGER, library_version VARCHAR(256)"},
    {"study_directions",
     "study_direction_id INTEGER NOT NULL PK, direction VARCHAR(8) NOT NULL, study_id INTEGER "
     "NOT NULL, objective INTEGER NOT NULL"},
    {"study_user_attributes",
     "study_user_attribute_id INTEGER NOT NULL PK, study_id INTEGER, key VARCHAR(512), "
     "value_json TEXT"},
    {"study_system_attributes",
     "study_system_attribute_id INTEGER NOT NULL PK, study_id INTEGER, key VARCHAR(512), "
     "value_json TEXT"},
    {"trials",
     "trial_id INTEGER NOT NULL PK, number INTEGER, study_id INTEGER, state VARCHAR(8) NOT NULL, "
     "datetime_start DATETIME, datetime_complete DATETIME"},
    {"trial_user_attributes",
     "trial_user_attribute_id INTEGER NOT NULL PK, trial_id INTEGER, key VARCHAR(512), "
     "value_json TEXT"},
    {"trial_system_attributes",
     "trial_system_attribute_id INTEGER NOT NULL PK, trial_id INTEGER, key VARCHAR(512), "
     "value_json TEXT"},
    {"trial_params",
     "param_id INTEGER NOT NULL PK, trial_id INTEGER, param_name VARCHAR(512), param_value "
     "FLOAT, distribution_json TEXT"},
    {"trial_values",
     "trial_value_id INTEGER NOT NULL PK, trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, "
     "value FLOAT, value_type VARCHAR(7) NOT NULL"},
    {"trial_intermediate_values",
     "trial_intermediate_value_id INTEGER NOT NULL PK, trial_id INTEGER NOT NULL, step INTEGER "
     "NOT NULL, intermediate_value FLOAT, intermediate_value_type VARCHAR(7) NOT NULL"},
    {"trial_heartbeats",
     "trial_heartbeat_id INTEGER NOT NULL PK, trial_id INTEGER NOT NULL, heartbeat DATETIME NOT "
     "NULL"},
    {"alembic_version", "version_num VARCHAR(32) NOT NULL PK"},
};

std::string Columns(const std::string& path, const std::string& table) {
  std::string out;
  for (const auto& row :
       Rows(path,
            "SELECT name || ' ' || type || CASE WHEN \"notnull\" THEN ' NOT NULL' ELSE '' "
            "END || CASE WHEN pk THEN ' PK' ELSE '' END FROM pragma_table_info('" +
                table + "') ORDER BY cid")) {
    out += (out.empty() ? "" : ", ") + row;
  }
  return out;
}

// sqlite_sequence is SQLite's own, made for gdsweep_tracking_outbox's AUTOINCREMENT.
const char* kOptunaObjects =
    "SELECT type, name, tbl_name, sql FROM sqlite_master "
    "WHERE name NOT LIKE 'gdsweep%' AND tbl_name NOT LIKE 'gdsweep%' "
    "AND name != 'sqlite_sequence' ORDER BY name";

TEST_CASE("a new file has Optuna's tables, columns, version and alembic stamp") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  OpenOrDie(path);
  for (const auto& [table, columns] : kOptunaColumns) {
    CAPTURE(table);
    CHECK(Columns(path, table) == columns);
  }
  CHECK(Rows(path, "SELECT * FROM version_info") == std::vector<std::string>{"1|12|3.1.0"});
  CHECK(Rows(path, "SELECT * FROM alembic_version") == std::vector<std::string>{"v3.0.0.d"});
  CHECK(Rows(path, "SELECT schema_version FROM gdsweep_version_info") ==
        std::vector<std::string>{std::to_string(storage::CurrentGdsweepSchemaVersion())});
  CHECK(Rows(path, "PRAGMA journal_mode") == std::vector<std::string>{"wal"});
  // The indexes the CLI's queries rely on.
  CHECK(Rows(path,
             "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'gdsweep%' "
             "ORDER BY name") ==
        std::vector<std::string>{"gdsweep_ix_trials_study_number", "gdsweep_ix_trials_study_state",
                                 "gdsweep_tracking_outbox_pending", "gdsweep_trials_study_tag",
                                 "gdsweep_trials_worker", "gdsweep_workers_study"});
}

TEST_CASE("Optuna's DDL is byte for byte what Debian's Optuna creates") {
  if (!testing::HavePythonOptuna()) {
    MESSAGE("skipped: " << GDSWEEP_PYTHON << " cannot import optuna");
    return;
  }
  TempDir dir;
  auto ours = dir.File("ours.db");
  auto theirs = dir.File("theirs.db");
  OpenOrDie(ours);
  auto made = testing::RunCommand(
      {GDSWEEP_PYTHON, "-c",
       "import sys, optuna; optuna.storages.RDBStorage('sqlite:///' + sys.argv[1])", theirs});
  REQUIRE(made.status == 0);
  auto expected = Rows(theirs, kOptunaObjects);
  CHECK(expected.size() == 24);  // 13 tables, 11 indexes
  CHECK(Rows(ours, kOptunaObjects) == expected);
  CHECK(Rows(ours, "SELECT schema_version, library_version FROM version_info") ==
        Rows(theirs, "SELECT schema_version, library_version FROM version_info"));
  CHECK(Rows(ours, "SELECT * FROM alembic_version") ==
        Rows(theirs, "SELECT * FROM alembic_version"));

  SUBCASE("and gdsweep opens Optuna's empty file, adding only its own tables") {
    OpenOrDie(theirs);
    CHECK(Rows(theirs, kOptunaObjects) == expected);
    CHECK(Rows(theirs, "SELECT count(*) FROM gdsweep_version_info") ==
          std::vector<std::string>{"1"});
  }
}

TEST_CASE("opening again changes nothing; migrations run once") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  OpenOrDie(path);
  auto before = Rows(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name");
  OpenOrDie(path);
  CHECK(Rows(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == before);
  CHECK(Rows(path, "SELECT count(*) FROM version_info") == std::vector<std::string>{"1"});
  CHECK(Rows(path, "SELECT count(*) FROM alembic_version") == std::vector<std::string>{"1"});
  const auto& migrations = storage::GdsweepMigrations();
  for (size_t i = 0; i < migrations.size(); ++i) {
    CHECK(migrations[i].version == int(i) + 1);
  }
}

// Runs one statement on the file through a plain connection.
void Exec(const std::string& path, const std::string& sql) {
  sqlite::DatabaseOptions o;
  o.path = path;
  auto db = sqlite::Database::Open(o);
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec(sql).ok());
}

TEST_CASE("files of other Optuna and gdsweep versions") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  OpenOrDie(path);

  SUBCASE("Optuna >= 3.2's upgrade (v3.2.0.a, an index) is still read and written") {
    Exec(path,
         "UPDATE alembic_version SET version_num = 'v3.2.0.a';"
         "CREATE INDEX trials_study_id_key ON trials (study_id)");
    auto s = OpenSqliteStorage(testing::FastOptions(path));
    REQUIRE(s.ok());
    CHECK((*s)->OpenStudy(testing::SmallStudy()).ok());
    CHECK(Rows(path, "SELECT * FROM alembic_version") == std::vector<std::string>{"v3.2.0.a"});
  }
  SUBCASE("a pre-3.0 Optuna file must be upgraded by Optuna first") {
    Exec(path, "UPDATE alembic_version SET version_num = 'v2.6.0.a'");
    auto s = OpenSqliteStorage(testing::FastOptions(path));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == Error::Kind::kConflict);
    CHECK(s.error().message.find("optuna storage upgrade") != std::string::npos);
  }
  SUBCASE("a newer gdsweep's file is refused, for writing and reading") {
    Exec(path, "UPDATE gdsweep_version_info SET schema_version = 99");
    auto s = OpenSqliteStorage(testing::FastOptions(path));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == Error::Kind::kConflict);
    CHECK(s.error().message.find("newer gdsweep") != std::string::npos);
    SqliteOptions ro;
    ro.path = path;
    ro.read_only = true;
    CHECK_FALSE(OpenSqliteStorage(ro).ok());
  }
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_CASE("issue 11.14: an unknown alembic revision is refused with nothing written") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  SUBCASE("a file gdsweep made (WAL)") { OpenOrDie(path); }
  SUBCASE("a file as Optuna leaves it (rollback journal, no gdsweep tables)") {
    std::string ddl;
    for (const auto& object : storage::OptunaSchema()) ddl += object.sql + ";";
    Exec(path, ddl +
                   "INSERT INTO version_info VALUES (1, 12, '3.1.0');"
                   "INSERT INTO alembic_version VALUES ('v3.0.0.d')");
  }
  for (const char* revision : {"garbage", "v3.4.0.a", "v9.0.0.a"}) {
    CAPTURE(revision);
    Exec(path, std::string("UPDATE alembic_version SET version_num = '") + revision + "'");
    const std::string before = FileBytes(path);
    auto s = OpenSqliteStorage(testing::FastOptions(path));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().kind == Error::Kind::kConflict);
    CHECK(s.error().message.find(path) != std::string::npos);
    CHECK(s.error().message.find(std::string("'") + revision + "'") != std::string::npos);
    SqliteOptions ro;
    ro.path = path;
    ro.read_only = true;
    auto r = OpenSqliteStorage(ro);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == Error::Kind::kConflict);
    CHECK(FileBytes(path) == before);
  }
}

// Creates study "s" in `path` and asks one trial per entry of `tags`;
// returns the study id and the trials.
std::pair<int64_t, std::vector<TrialRecord>> StudyWithTrials(const std::string& path,
                                                             const std::vector<std::string>& tags) {
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(testing::SmallStudy());
  REQUIRE(study.ok());
  TrialHistory h;
  std::vector<TrialRecord> trials;
  for (const auto& tag : tags)
    trials.push_back(testing::AskOne(*s, testing::Request(study->study_id, tag), h));
  return {study->study_id, trials};
}

TEST_CASE("a file of gdsweep schema version 1 is migrated, keeping its trials") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  auto fresh = dir.File("fresh.sqlite");
  OpenOrDie(fresh);
  const auto [study_id, trials] = StudyWithTrials(path, {"x"});
  const int64_t trial_id = trials.front().trial_id;
  // Back to what version 1 had: no tracking tables, no sweep counts.
  Exec(path,
       "DROP TRIGGER gdsweep_forget_deleted_trial; DROP TRIGGER gdsweep_forget_deleted_study;"
       "DROP TABLE gdsweep_tracking_runs; DROP TABLE gdsweep_tracking_outbox;"
       "DROP TABLE gdsweep_tracking_targets; DROP TABLE gdsweep_sweeps;"
       "DROP TABLE gdsweep_trial_runs; ALTER TABLE gdsweep_trials DROP COLUMN runs; ALTER TABLE "
       "gdsweep_trials DROP COLUMN queued_point;"
       "UPDATE gdsweep_version_info SET schema_version = 1");
  const char* kGdsweepObjects =
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name LIKE 'gdsweep%' "
      "ORDER BY name";
  REQUIRE(Rows(path, kGdsweepObjects) != Rows(fresh, kGdsweepObjects));

  SqliteOptions ro;
  ro.path = path;
  ro.read_only = true;
  auto reader = OpenSqliteStorage(ro);
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.error().message.find("open it once for writing") != std::string::npos);

  auto s = OpenOrDie(path);
  CHECK(Rows(path, "SELECT schema_version FROM gdsweep_version_info") ==
        std::vector<std::string>{std::to_string(storage::CurrentGdsweepSchemaVersion())});
  CHECK(Rows(path, kGdsweepObjects) == Rows(fresh, kGdsweepObjects));
  // A trial started before the upgrade is reported once its tag has a target.
  TrackingTarget target;
  target.uri = "http://mlflow:5000";
  target.experiment = "exp";
  REQUIRE(s->SetTrackingTarget(study_id, "x", target).ok());
  TrialOutcome done;
  done.values = {0.5};
  REQUIRE(s->FinishTrial(trial_id, done).ok());
  CHECK(Rows(path, "SELECT kind, trial_id FROM gdsweep_tracking_outbox") ==
        std::vector<std::string>{"run_finished|" + std::to_string(trial_id)});
  CHECK(OpenSqliteStorage(ro).ok());
}

TEST_CASE("upgrading to version 3 counts each sweep's fresh trials, so budgets still hold") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  const auto [study_id, trials] = StudyWithTrials(path, {"x", "x", "y"});
  // A retry is not fresh: it spends no budget.
  REQUIRE(OpenOrDie(path)
              ->FinishTrial(trials.front().trial_id,
                            testing::Failed("boom", TrialOutcome::Requeue::kRetry))
              .ok());
  Exec(path,
       "DROP TRIGGER gdsweep_forget_deleted_trial; DROP TRIGGER gdsweep_forget_deleted_study;"
       "DROP TABLE gdsweep_sweeps; DROP TABLE gdsweep_trial_runs;"
       "ALTER TABLE gdsweep_trials DROP COLUMN runs; ALTER TABLE gdsweep_trials DROP COLUMN "
       "queued_point; UPDATE gdsweep_version_info SET "
       "schema_version = 2");
  auto s = OpenOrDie(path);
  CHECK(Rows(path, "SELECT tag, fresh_trials FROM gdsweep_sweeps ORDER BY tag") ==
        std::vector<std::string>{"x|2", "y|1"});
  TrialHistory h;
  // Budget 3 for x: the retry, one fresh trial, then no more.
  auto retry = testing::AskOne(*s, testing::Request(study_id, "x", 3), h);
  CHECK(retry.attempt == 2);
  auto third = testing::AskOne(*s, testing::Request(study_id, "x", 3), h);
  CHECK(third.attempt == 1);
  auto none = s->Ask(testing::Request(study_id, "x", 3), h, testing::FixedSample());
  REQUIRE(none.ok());
  CHECK(none->kind == AskResult::Kind::kBudgetExhausted);
  CHECK(Rows(path, "SELECT tag, fresh_trials FROM gdsweep_sweeps ORDER BY tag") ==
        std::vector<std::string>{"x|3", "y|1"});
}

TEST_CASE("a busy database is waited for, up to the busy timeout") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(testing::SmallStudy());
  REQUIRE(study.ok());

  sqlite::DatabaseOptions o;
  o.path = path;
  auto holder = sqlite::Database::Open(o);
  REQUIRE(holder.ok());
  auto tx = sql::Transaction::Begin(**holder, sql::Transaction::Kind::kWrite);
  REQUIRE(tx.ok());

  SqliteOptions impatient = testing::FastOptions(path);
  impatient.busy_timeout_ms = 100;
  auto quick = OpenSqliteStorage(impatient);
  REQUIRE(quick.ok());  // opening needs no write lock once the schema is there
  TrialHistory h;
  auto refused = (*quick)->Ask(testing::Request(study->study_id, "x"), h, testing::FixedSample());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == Error::Kind::kIo);
  CHECK(refused.error().message.find("locked") != std::string::npos);

  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    (void)tx->Commit();
  });
  const auto start = std::chrono::steady_clock::now();
  auto waited = s->Ask(testing::Request(study->study_id, "x"), h, testing::FixedSample());
  release.join();
  CHECK(waited.ok());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace gdsweep

namespace gdsweep {
namespace {

TEST_CASE("upgrading to version 4 gives the trials there a run count and a runs table") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  const auto [study_id, trials] = StudyWithTrials(path, {"x", "x"});
  REQUIRE(OpenOrDie(path)
              ->FinishTrial(trials.front().trial_id,
                            testing::Failed("boom", TrialOutcome::Requeue::kRetry))
              .ok());
  Exec(path,
       "DROP TRIGGER gdsweep_forget_deleted_trial; DROP TRIGGER gdsweep_forget_deleted_study;"
       "DROP TABLE gdsweep_trial_runs; ALTER TABLE gdsweep_trials DROP COLUMN runs; ALTER TABLE "
       "gdsweep_trials DROP COLUMN queued_point;"
       "UPDATE gdsweep_version_info SET schema_version = 3");
  auto s = OpenOrDie(path);
  // The FAIL and RUNNING trials ran once; the WAITING retry has not run yet.
  CHECK(Rows(path, "SELECT number, runs FROM gdsweep_trials ORDER BY number") ==
        std::vector<std::string>{"0|1", "1|1", "2|0"});
  TrialHistory h;
  auto retry = testing::AskOne(*s, testing::Request(study_id, "x"), h);
  CHECK(retry.runs == 1);
  auto runs = s->ListTrialRuns(retry.trial_id);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().attempt == 2);
}

}  // namespace
}  // namespace gdsweep
