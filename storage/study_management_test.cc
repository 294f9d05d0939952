// Deleting, renaming and copying a study: each one transaction (a failure
// midway leaves the database as it was), gdsweep's rows going with the
// study, and a copy that Optuna reads as the original.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "storage/schema.h"
#include "storage/storage.h"
#include "storage/study_dump.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::OpenOrDie;
using testing::Request;
using testing::Rows;
using testing::TempDir;

void ExecSql(const std::string& path, const std::string& sql) {
  sqlite::DatabaseOptions o;
  o.path = path;
  auto db = sqlite::Database::Open(o);
  REQUIRE(db.ok());
  auto s = (*db)->Exec(sql);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
}

// Every row of every table, for "the file is as it was".
std::vector<std::string> Everything(const std::string& path) {
  std::vector<std::string> all;
  for (const auto& table : Rows(path,
                                "SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
    for (const auto& row : Rows(path, "SELECT * FROM \"" + table + "\"")) {
      all.push_back(table + ": " + row);
    }
  }
  return all;
}

// A study with a COMPLETE trial (intermediate values), a FAIL one and its
// WAITING retry, a user attribute and a sweep counter.
int64_t FillStudy(Storage& s, const std::string& path, const std::string& name) {
  auto study = s.OpenStudy(testing::SmallStudy(name));
  REQUIRE(study.ok());
  TrialHistory h;
  auto a = testing::AskOne(s, Request(study->study_id, "t"), h);
  auto done = testing::Complete(0.25);
  done.intermediate = {{1, 0.5}, {2, 0.3}};
  REQUIRE(s.FinishTrial(a.trial_id, done).ok());
  auto b = testing::AskOne(s, Request(study->study_id, "t"), h);
  REQUIRE(s.FinishTrial(b.trial_id, testing::Failed("boom", TrialOutcome::Requeue::kRetry)).ok());
  ExecSql(path, "INSERT INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES (" +
                    std::to_string(a.trial_id) + ", 'note', '\"best so far\"')");
  return study->study_id;
}

TEST_CASE("deleting a study removes its rows and gdsweep's, and leaves other studies") {
  TempDir dir;
  const auto path = dir.File("m.db");
  auto s = OpenOrDie(path);
  FillStudy(*s, path, "gone");
  const auto kept_before = Everything(path);
  auto other = FillStudy(*s, path, "kept");
  REQUIRE(s->DeleteStudy("gone").ok());
  CHECK(Rows(path, "SELECT study_name FROM studies") == std::vector<std::string>{"kept"});
  for (const auto& t : storage::GdsweepOwnedTables()) {
    const std::string name = t.name;
    if (t.by_study) {
      CHECK(Rows(path, "SELECT count(*) FROM " + name + " WHERE study_id <> " +
                           std::to_string(other)) == std::vector<std::string>{"0"});
    }
  }
  CHECK(Rows(path, "SELECT count(*) FROM trials") == std::vector<std::string>{"3"});
  CHECK(Rows(path,
             "SELECT count(*) FROM trial_params WHERE trial_id NOT IN "
             "(SELECT trial_id FROM trials)") == std::vector<std::string>{"0"});
  auto missing = s->DeleteStudy("gone");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kNotFound);
  (void)kept_before;
}

TEST_CASE("a delete that fails midway leaves the database as it was") {
  TempDir dir;
  const auto path = dir.File("m.db");
  auto s = OpenOrDie(path);
  FillStudy(*s, path, "s");
  // The last statement fails, after the trials' rows were deleted.
  ExecSql(path,
          "CREATE TRIGGER refuse BEFORE DELETE ON studies BEGIN SELECT RAISE(ABORT, 'no'); END");
  const auto before = Everything(path);
  auto deleted = s->DeleteStudy("s");
  REQUIRE_FALSE(deleted.ok());
  CHECK(Everything(path) == before);
}

TEST_CASE("renaming keeps everything but the name; an existing name is refused") {
  TempDir dir;
  const auto path = dir.File("m.db");
  auto s = OpenOrDie(path);
  FillStudy(*s, path, "a");
  FillStudy(*s, path, "b");
  const auto before = Everything(path);
  auto taken = s->RenameStudy("a", "b");
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().kind == Error::Kind::kConflict);
  CHECK(Everything(path) == before);
  REQUIRE(s->RenameStudy("a", "c").ok());
  CHECK(Rows(path, "SELECT study_name FROM studies ORDER BY study_id") ==
        std::vector<std::string>{"c", "b"});
  auto info = s->GetStudy("c");
  REQUIRE(info.ok());
  auto trials = s->ListTrials(info->study_id, {});
  REQUIRE(trials.ok());
  CHECK(trials->size() == 3);
}

TEST_CASE("a copy holds the same trials, values, attributes and gdsweep rows") {
  TempDir dir;
  const auto from_path = dir.File("from.db");
  const auto to_path = dir.File("to.db");
  auto from = OpenOrDie(from_path);
  auto to = OpenOrDie(to_path);
  FillStudy(*to, to_path, "occupied");  // ids in the target differ from the source's
  const auto study_id = FillStudy(*from, from_path, "s");
  auto dump = from->ExportStudy("s");
  REQUIRE(dump.ok());
  CHECK(dump->trials.size() == 3);
  auto copied = to->ImportStudy(*dump, "s-copy");
  REQUIRE_MESSAGE(copied.ok(), (copied.ok() ? "" : copied.error().message));
  auto original = from->ListTrials(study_id, {});
  auto copy = to->ListTrials(copied->study_id, {});
  REQUIRE(original.ok());
  REQUIRE(copy.ok());
  REQUIRE(original->size() == copy->size());
  for (size_t i = 0; i < copy->size(); ++i) {
    const auto& a = (*original)[i];
    const auto& b = (*copy)[i];
    CHECK(a.number == b.number);
    CHECK(a.state == b.state);
    CHECK(a.params == b.params);
    CHECK(a.values == b.values);
    CHECK(a.intermediate == b.intermediate);
    CHECK(a.tag == b.tag);
    CHECK(a.attempt == b.attempt);
    CHECK(a.retry_of == b.retry_of);
    CHECK(a.failure_reason == b.failure_reason);
    CHECK(a.runs == b.runs);
    CHECK(a.datetime_start.has_value() == b.datetime_start.has_value());
  }
  CHECK(copied->space == testing::SmallStudy().space);
  CHECK(Rows(to_path,
             "SELECT value_json FROM trial_user_attributes WHERE trial_id IN (SELECT "
             "trial_id FROM trials WHERE study_id = " +
                 std::to_string(copied->study_id) + ")") ==
        std::vector<std::string>{"\"best so far\""});
  CHECK(Rows(to_path, "SELECT tag, fresh_trials FROM gdsweep_sweeps WHERE study_id = " +
                          std::to_string(copied->study_id)) == std::vector<std::string>{"t|2"});
  // The retry waiting in the copy is claimed there, with its params.
  TrialHistory h;
  auto retry = testing::AskOne(*to, Request(copied->study_id, "t"), h);
  CHECK(retry.number == 2);
  CHECK(retry.attempt == 2);
  CHECK(retry.params == (*original)[1].params);
}

TEST_CASE("a copy onto a taken name, or failing midway, writes nothing") {
  TempDir dir;
  const auto from_path = dir.File("from.db");
  const auto to_path = dir.File("to.db");
  auto from = OpenOrDie(from_path);
  auto to = OpenOrDie(to_path);
  FillStudy(*from, from_path, "s");
  FillStudy(*to, to_path, "s");
  auto dump = from->ExportStudy("s");
  REQUIRE(dump.ok());
  const auto before = Everything(to_path);
  auto taken = to->ImportStudy(*dump, "s");
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().kind == Error::Kind::kConflict);
  CHECK(Everything(to_path) == before);
  // Fails at the first intermediate value, after the study and its first trial were written.
  ExecSql(to_path,
          "CREATE TRIGGER refuse BEFORE INSERT ON trial_intermediate_values BEGIN "
          "SELECT RAISE(ABORT, 'disk full'); END");
  const auto before_fault = Everything(to_path);
  auto failed = to->ImportStudy(*dump, "other");
  REQUIRE_FALSE(failed.ok());
  CHECK(Everything(to_path) == before_fault);
}

TEST_CASE("Optuna reads a renamed and a copied study as the original") {
  if (!testing::HavePythonOptuna()) {
    MESSAGE("skipped: " << GDSWEEP_PYTHON << " cannot import optuna");
    return;
  }
  TempDir dir;
  const auto from_path = dir.File("from.db");
  const auto to_path = dir.File("to.db");
  auto from = OpenOrDie(from_path);
  FillStudy(*from, from_path, "s");
  auto before = testing::RunInterop("read_study.py", {from_path, "s"});
  REQUIRE_MESSAGE(before.status == 0, before.out);
  REQUIRE(from->RenameStudy("s", "renamed").ok());
  auto renamed = testing::RunInterop("read_study.py", {from_path, "renamed"});
  REQUIRE_MESSAGE(renamed.status == 0, renamed.out);
  CHECK(nlohmann::json::parse(renamed.out) == nlohmann::json::parse(before.out));
  auto dump = from->ExportStudy("renamed");
  REQUIRE(dump.ok());
  auto to = OpenOrDie(to_path);
  REQUIRE(to->ImportStudy(*dump, "copied").ok());
  auto copied = testing::RunInterop("read_study.py", {to_path, "copied"});
  REQUIRE_MESSAGE(copied.status == 0, copied.out);
  CHECK(nlohmann::json::parse(copied.out) == nlohmann::json::parse(before.out));
}

}  // namespace
}  // namespace gdsweep
