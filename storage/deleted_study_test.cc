// A study Optuna deletes (optuna.delete_study: SQLAlchemy deletes the trials'
// rows, the trials, then the study, with foreign keys off) must take gdsweep's
// rows with it, so that a study re-created under the same id starts afresh.
#include <doctest/doctest.h>

#include "storage/schema.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::OpenOrDie;
using testing::Rows;
using testing::TempDir;

// Runs statements on the file through a plain connection, foreign keys off as
// in Optuna's SQLAlchemy engine (so gdsweep's ON DELETE CASCADE never fires).
void ExecAsOptuna(const std::string& path, const std::string& sql) {
  sqlite::DatabaseOptions o;
  o.path = path;
  auto db = sqlite::Database::Open(o);
  REQUIRE(db.ok());
  auto s = (*db)->Exec("PRAGMA foreign_keys = OFF;" + sql);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
}

// What optuna.delete_study runs, in its order.
std::string DeleteStudySql(int64_t study_id) {
  const std::string id = std::to_string(study_id);
  const std::string trials = "(SELECT trial_id FROM trials WHERE study_id = " + id + ")";
  std::string sql = "BEGIN;";
  for (const char* table :
       {"trial_params", "trial_values", "trial_intermediate_values", "trial_user_attributes",
        "trial_system_attributes", "trial_heartbeats"}) {
    sql += std::string("DELETE FROM ") + table + " WHERE trial_id IN " + trials + ";";
  }
  sql += "DELETE FROM trials WHERE study_id = " + id + ";";
  for (const char* table :
       {"study_directions", "study_user_attributes", "study_system_attributes"}) {
    sql += std::string("DELETE FROM ") + table + " WHERE study_id = " + id + ";";
  }
  return sql + "DELETE FROM studies WHERE study_id = " + id + ";COMMIT;";
}

// How many rows each of gdsweep's per-study and per-trial tables holds.
std::vector<std::string> OwnedRowCounts(const std::string& path) {
  std::vector<std::string> counts;
  for (const auto& t : storage::GdsweepOwnedTables()) {
    counts.push_back(std::string(t.name) + " " +
                     Rows(path, std::string("SELECT count(*) FROM ") + t.name).at(0));
  }
  return counts;
}

std::vector<std::string> NoOwnedRows() {
  std::vector<std::string> counts;
  for (const auto& t : storage::GdsweepOwnedTables()) counts.push_back(std::string(t.name) + " 0");
  return counts;
}

// Study "s" with a tracked sweep "x" that used its whole budget of 3; returns its id.
int64_t FinishedSweep(const std::string& path) {
  auto s = OpenOrDie(path);
  const int64_t study_id = testing::OpenTrackedStudy(*s, "x");
  TrialHistory h;
  for (int i = 0; i < 3; ++i) {
    auto t = testing::AskOne(*s, testing::Request(study_id, "x", 3), h);
    REQUIRE(s->FinishTrial(t.trial_id, testing::Complete(i)).ok());
  }
  auto none = s->Ask(testing::Request(study_id, "x", 3), h, testing::FixedSample());
  REQUIRE(none.ok());
  REQUIRE(none->kind == AskResult::Kind::kBudgetExhausted);
  return study_id;
}

// Asks until the budget of 3 is spent; returns how many trials were handed out.
int TrialsUntilBudget(Storage& s, int64_t study_id) {
  TrialHistory h;
  for (int n = 0; n < 10; ++n) {
    auto r = s.Ask(testing::Request(study_id, "x", 3), h, testing::FixedSample());
    REQUIRE(r.ok());
    if (r->kind != AskResult::Kind::kTrial) return n;
    REQUIRE(s.FinishTrial(r->trial.trial_id, testing::Complete(n)).ok());
  }
  return 10;
}

TEST_CASE(
    "issue 11.15: after optuna.delete_study, a study re-created under its id runs its budget") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  const int64_t old_id = FinishedSweep(path);
  REQUIRE(OwnedRowCounts(path) != NoOwnedRows());
  ExecAsOptuna(path, DeleteStudySql(old_id));
  // The triggers deleted gdsweep's rows in Optuna's transaction.
  CHECK(OwnedRowCounts(path) == NoOwnedRows());

  auto s = OpenOrDie(path);
  auto again = s->OpenStudy(testing::SmallStudy());
  REQUIRE(again.ok());
  REQUIRE(again->study_id == old_id);  // SQLite reuses the id of the last row
  CHECK(again->created);
  CHECK(TrialsUntilBudget(*s, again->study_id) == 3);
}

TEST_CASE("issue 11.15: a study Optuna re-created under a deleted study's id is adopted afresh") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  const int64_t old_id = FinishedSweep(path);
  ExecAsOptuna(path, DeleteStudySql(old_id) +
                         "INSERT INTO studies (study_name) VALUES ('s');"
                         "INSERT INTO study_directions (direction, study_id, objective) "
                         "SELECT 'MINIMIZE', study_id, 0 FROM studies WHERE study_name = 's'");
  auto s = OpenOrDie(path);
  auto again = s->OpenStudy(testing::SmallStudy());
  REQUIRE(again.ok());
  REQUIRE(again->study_id == old_id);
  CHECK(TrialsUntilBudget(*s, again->study_id) == 3);
}

TEST_CASE("issue 11.15: opening a file holding a deleted study's leftovers removes them") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  const int64_t old_id = FinishedSweep(path);
  // A file of gdsweep schema 3 (no trial runs, no triggers) from which Optuna
  // deleted the study.
  ExecAsOptuna(
      path,
      "DROP TRIGGER gdsweep_forget_deleted_trial; DROP TRIGGER gdsweep_forget_deleted_study;"
      "DROP TABLE gdsweep_trial_runs; ALTER TABLE gdsweep_trials DROP COLUMN runs; ALTER TABLE "
      "gdsweep_trials DROP COLUMN queued_point;"
      "UPDATE gdsweep_version_info SET schema_version = 3;" +
          DeleteStudySql(old_id));
  REQUIRE(OwnedRowCounts(path) != NoOwnedRows());
  OpenOrDie(path);
  CHECK(OwnedRowCounts(path) == NoOwnedRows());
  CHECK(Rows(path, "SELECT schema_version FROM gdsweep_version_info") ==
        std::vector<std::string>{std::to_string(storage::CurrentGdsweepSchemaVersion())});
}

TEST_CASE("issue 11.15: a sweep counter that counted a deleted study's trials is corrected") {
  TempDir dir;
  auto path = dir.File("db.sqlite");
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(testing::SmallStudy());
  REQUIRE(study.ok());
  TrialHistory h;
  auto kept = testing::AskOne(*s, testing::Request(study->study_id, "x", 3), h);
  REQUIRE(s->FinishTrial(kept.trial_id, testing::Complete(1)).ok());
  s.reset();
  // As a schema-3 file whose re-created study's counter kept 5 trials of the
  // deleted one, and one gdsweep row of a deleted trial whose id another
  // trial of another number now has.
  ExecAsOptuna(
      path,
      "DROP TRIGGER gdsweep_forget_deleted_trial; DROP TRIGGER gdsweep_forget_deleted_study;"
      "DROP TABLE gdsweep_trial_runs; ALTER TABLE gdsweep_trials DROP COLUMN runs; ALTER TABLE "
      "gdsweep_trials DROP COLUMN queued_point;"
      "UPDATE gdsweep_version_info SET schema_version = 3;"
      "UPDATE gdsweep_sweeps SET fresh_trials = 6;"
      "INSERT INTO trials (number, study_id, state) VALUES (1, " +
          std::to_string(study->study_id) +
          ", 'COMPLETE');"
          "INSERT INTO gdsweep_trials (trial_id, study_id, number, tag) "
          "SELECT max(trial_id), study_id, 7, 'x' FROM trials");
  s = OpenOrDie(path);
  CHECK(Rows(path, "SELECT tag, fresh_trials FROM gdsweep_sweeps") ==
        std::vector<std::string>{"x|1"});
  CHECK(Rows(path, "SELECT number FROM gdsweep_trials") == std::vector<std::string>{"0"});
  // Trials 0 (gdsweep's) and 1 (Optuna's) exist; the budget of 3 counts gdsweep's.
  CHECK(TrialsUntilBudget(*s, study->study_id) == 2);
}

}  // namespace
}  // namespace gdsweep
