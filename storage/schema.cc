#include "storage/schema.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace gdsweep::storage {
namespace {

using sql::Database;
using sql::Transaction;

// Alembic revisions whose tables are the ones this file reads and writes:
// Optuna 3.0/3.1's head, and 3.2+'s head (which only adds an index on
// trials.study_id).
const std::set<std::string> kCompatibleRevisions = {"v3.0.0.d", "v3.2.0.a"};
// Revisions before Optuna 3.0's schema: `optuna storage upgrade` must run first.
const std::set<std::string> kOlderRevisions = {"v0.9.0.a", "v1.2.0.a", "v1.3.0.a", "v2.0.0.a",
                                               "v2.3.0.a", "v2.4.0.a", "v2.6.0.a", "v3.0.0.a",
                                               "v3.0.0.b", "v3.0.0.c"};

// gdsweep's tables as empty TEMP stand-ins for read-only connections to a file
// Optuna made (no foreign keys: a TEMP table cannot reference the main file).
const char* const kTempStandIns[] = {
    "CREATE TEMP TABLE gdsweep_studies (study_id INTEGER PRIMARY KEY, spec_json TEXT, "
    "space_json TEXT, objectives_json TEXT, seed TEXT, created_at REAL, updated_at REAL)",
    "CREATE TEMP TABLE gdsweep_trials (trial_id INTEGER PRIMARY KEY, study_id INTEGER, "
    "number INTEGER, tag TEXT, attempt INTEGER, retry_of INTEGER, worker_id TEXT, "
    "failure_reason TEXT, log_path TEXT, finished_at REAL, runs INTEGER, queued_point TEXT)",
    "CREATE TEMP TABLE gdsweep_trial_runs (trial_id INTEGER, run INTEGER, attempt INTEGER, "
    "worker_id TEXT, host TEXT, boot_id TEXT, pid INTEGER, pid_start_time INTEGER, "
    "started_at REAL, ended_at REAL, outcome TEXT, reason TEXT, PRIMARY KEY (trial_id, run))",
    "CREATE TEMP TABLE gdsweep_workers (worker_id TEXT PRIMARY KEY, study_id INTEGER, "
    "host TEXT, pid INTEGER, started_at REAL, heartbeat_at REAL)",
    "CREATE TEMP TABLE gdsweep_tracking_targets (study_id INTEGER, tag TEXT, uri TEXT, "
    "experiment TEXT, artifact_location TEXT, tag_key TEXT, values_from_tracking INTEGER, "
    "run_key TEXT, lease_owner TEXT, lease_until REAL, PRIMARY KEY (study_id, tag))",
    "CREATE TEMP TABLE gdsweep_tracking_outbox (id INTEGER PRIMARY KEY, study_id INTEGER, "
    "tag TEXT, trial_id INTEGER, trial_number INTEGER, kind TEXT, payload TEXT, "
    "created_at REAL, attempts INTEGER, last_error TEXT, dead INTEGER)",
    "CREATE TEMP TABLE gdsweep_tracking_runs (study_id INTEGER, tag TEXT, trial_id INTEGER, "
    "experiment_id TEXT, run_id TEXT, PRIMARY KEY (study_id, tag, trial_id))",
    "CREATE TEMP TABLE gdsweep_sweeps (study_id INTEGER, tag TEXT, fresh_trials INTEGER, "
    "PRIMARY KEY (study_id, tag))",
};

// The tables and indexes of the database (PostgreSQL: of the current schema,
// with its enum types).
Result<std::set<std::string>> ExistingObjects(Database& db) {
  auto q = db.Prepare(
      db.dialect() == sql::Dialect::kPostgres
          ? "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') "
            "UNION ALL SELECT t.typname FROM pg_type t JOIN pg_namespace n "
            "ON n.oid = t.typnamespace WHERE n.nspname = current_schema() AND t.typtype = 'e'"
          : "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')");
  if (!q) return q.error();
  std::set<std::string> names;
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) return names;
    names.insert(q->Text(0));
  }
}

// The one row of a single-row table (alembic_version, version_info), if any.
Result<std::optional<std::string>> SingleText(Database& db, const std::string& sql) {
  auto q = db.Prepare(sql);
  if (!q) return q.error();
  auto row = q->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(q->Text(0));
}

// A statement of gdsweep's SQLite schema in PostgreSQL's dialect: 64-bit
// integers and doubles, an identity for AUTOINCREMENT, no WITHOUT ROWID, and
// SQLite's trigger bodies as PL/pgSQL functions.
std::string ForPostgres(std::string sql) {
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t at = sql.find(from); at != std::string::npos; at = sql.find(from, at + to.size())) {
      sql.replace(at, from.size(), to);
    }
  };
  const std::string trigger = "CREATE TRIGGER ";
  if (sql.rfind(trigger, 0) == 0) {
    // CREATE TRIGGER name AFTER DELETE ON table FOR EACH ROW BEGIN\n...END
    const size_t name_end = sql.find(' ', trigger.size());
    const std::string name = sql.substr(trigger.size(), name_end - trigger.size());
    const size_t on = sql.find(" ON ");
    const std::string table = sql.substr(on + 4, sql.find(' ', on + 4) - on - 4);
    const size_t body = sql.find("BEGIN\n") + 6;
    const std::string statements = sql.substr(body, sql.rfind("END") - body);
    return "CREATE OR REPLACE FUNCTION " + name +
           "() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN\n" + statements +
           "\tRETURN OLD;\nEND $body$;\n" + "CREATE TRIGGER " + name + " AFTER DELETE ON " + table +
           " FOR EACH ROW EXECUTE FUNCTION " + name + "()";
  }
  if (sql.rfind("DROP TRIGGER IF EXISTS ", 0) == 0) {
    const bool on_trial = sql.find("deleted_trial") != std::string::npos;
    return sql + (on_trial ? " ON trials" : " ON studies");
  }
  replace_all("INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
              "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
  replace_all(" INTEGER", " BIGINT");
  replace_all(" REAL", " DOUBLE PRECISION");
  replace_all(") WITHOUT ROWID", ")");
  return sql;
}

Result<int> StoredGdsweepVersion(Database& db) {
  auto v = SingleText(db, "SELECT schema_version FROM gdsweep_version_info");
  if (!v) return v.error();
  return *v ? std::stoi(**v) : 0;
}

// Checks the alembic revision and version_info of a file that has them. A
// revision this gdsweep does not know is refused: its tables may differ from
// the ones written here, and writing to them could break the file for Optuna.
Status CheckOptunaVersion(Database& db) {
  auto revision = SingleText(db, "SELECT version_num FROM alembic_version");
  if (!revision) return revision.error();
  if (*revision && !kCompatibleRevisions.count(**revision)) {
    if (kOlderRevisions.count(**revision)) {
      return Error::Conflict(
          db.name() + ": the database was written by an older Optuna (alembic revision " +
          **revision + "); upgrade it first with `optuna storage upgrade " + "--storage " +
          (db.dialect() == sql::Dialect::kSqlite ? "sqlite:///" : "") + db.name() + "`");
    }
    return Error::Conflict(
        db.name() + ": unknown alembic revision '" + **revision +
        "' (this gdsweep reads and writes Optuna's v3.0.0.d and v3.2.0.a); a newer Optuna may "
        "have changed its tables, so gdsweep leaves the file untouched: use a gdsweep that "
        "knows that revision, or another database (--db)");
  }
  auto version = SingleText(db, "SELECT schema_version FROM version_info");
  if (!version) return version.error();
  if (*version && **version != std::to_string(kOptunaSchemaVersion)) {
    return Error::Conflict(db.name() + ": the database has Optuna schema version " + **version +
                           ", expected " + std::to_string(kOptunaSchemaVersion) +
                           " (upgrade it with `optuna storage upgrade`)");
  }
  return {};
}

std::string NewerGdsweepMessage(Database& db, int stored) {
  return db.name() + ": the database was written by a newer gdsweep (schema version " +
         std::to_string(stored) + ", this gdsweep knows up to " +
         std::to_string(CurrentGdsweepSchemaVersion()) + "); use a newer gdsweep";
}

// Before anything is written to an existing file (even the switch to WAL,
// which rewrites its header): refuses a file of an Optuna or a gdsweep this
// one does not know, in a read transaction.
Status CheckBeforeWriting(Database& db) {
  auto tx = Transaction::Begin(db, Transaction::Kind::kRead);
  if (!tx) return tx.error();
  auto existing = ExistingObjects(db);
  if (!existing) return existing.error();
  if (existing->count("alembic_version") && existing->count("version_info")) {
    if (auto s = CheckOptunaVersion(db); !s) return s;
  }
  if (existing->count("gdsweep_version_info")) {
    auto stored = StoredGdsweepVersion(db);
    if (!stored) return stored.error();
    if (*stored > CurrentGdsweepSchemaVersion()) {
      return Error::Conflict(NewerGdsweepMessage(db, *stored));
    }
  }
  return tx->Commit();
}

Status CreateOptunaTables(Database& db) {
  auto tx = Transaction::Begin(db, Transaction::Kind::kWrite);
  if (!tx) return tx.error();
  auto existing = ExistingObjects(db);
  if (!existing) return existing.error();
  for (const auto& object : OptunaSchema(db.dialect())) {
    if (existing->count(object.name)) continue;
    if (auto s = db.Exec(object.sql); !s) return s;
  }
  if (auto s = CheckOptunaVersion(db); !s) return s;
  auto info = db.Prepare(
      "INSERT INTO version_info (version_info_id, schema_version, library_version) "
      "SELECT 1, ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM version_info)");
  if (!info) return info.error();
  if (auto s = info->Bind(1, kOptunaSchemaVersion).Bind(2, kOptunaLibraryVersion).Run(); !s) {
    return s;
  }
  auto stamp = db.Prepare(
      "INSERT INTO alembic_version (version_num) "
      "SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM alembic_version)");
  if (!stamp) return stamp.error();
  if (auto s = stamp->Bind(1, kAlembicRevision).Run(); !s) return s;
  return tx->Commit();
}

// True when the file needs nothing (the common case): checked in a read
// transaction, so opening a busy file does not wait for the write lock.
Result<bool> IsCurrent(Database& db) {
  auto tx = Transaction::Begin(db, Transaction::Kind::kRead);
  if (!tx) return tx.error();
  auto existing = ExistingObjects(db);
  if (!existing) return existing.error();
  for (const auto& object : OptunaSchema(db.dialect())) {
    if (!existing->count(object.name)) return false;
  }
  if (!existing->count("gdsweep_version_info")) return false;
  for (const char* sql :
       {"SELECT count(*) FROM version_info", "SELECT count(*) FROM alembic_version"}) {
    auto n = SingleText(db, sql);
    if (!n) return n.error();
    if (*n != std::optional<std::string>("1")) return false;
  }
  if (auto s = CheckOptunaVersion(db); !s) return s.error();
  auto stored = StoredGdsweepVersion(db);
  if (!stored) return stored.error();
  if (*stored > CurrentGdsweepSchemaVersion()) return false;  // Migrate() explains
  return *stored == CurrentGdsweepSchemaVersion();
}

Status Migrate(Database& db) {
  {
    // Under the write lock: PostgreSQL's IF NOT EXISTS is not safe against a
    // concurrent CREATE.
    auto tx = Transaction::Begin(db, Transaction::Kind::kWrite);
    if (!tx) return tx.error();
    if (auto s =
            db.Exec("CREATE TABLE IF NOT EXISTS gdsweep_version_info (\n"
                    "\tversion_info_id INTEGER NOT NULL PRIMARY KEY CHECK (version_info_id = 1),\n"
                    "\tschema_version INTEGER NOT NULL\n"
                    ")");
        !s) {
      return s;
    }
    if (auto s = tx->Commit(); !s) return s;
  }
  for (const auto& m : GdsweepMigrations()) {
    auto tx = Transaction::Begin(db, Transaction::Kind::kWrite);
    if (!tx) return tx.error();
    auto stored = StoredGdsweepVersion(db);  // read under the write lock: one process migrates
    if (!stored) return stored.error();
    if (*stored > CurrentGdsweepSchemaVersion()) {
      return Error::Conflict(NewerGdsweepMessage(db, *stored));
    }
    if (*stored >= m.version) continue;
    for (const auto& sql : m.statements) {
      const std::string text = db.dialect() == sql::Dialect::kPostgres ? ForPostgres(sql) : sql;
      if (auto s = db.Exec(text); !s) return s.error().Wrap("gdsweep migration " + m.description);
    }
    auto set = db.Prepare(
        "INSERT INTO gdsweep_version_info (version_info_id, schema_version) VALUES (1, ?1) "
        "ON CONFLICT (version_info_id) DO UPDATE SET schema_version = excluded.schema_version");
    if (!set) return set.error();
    if (auto s = set->Bind(1, m.version).Run(); !s) return s;
    if (auto s = tx->Commit(); !s) return s;
    spdlog::debug("gdsweep schema upgraded to version {}: {}", m.version, m.description);
  }
  auto stored = StoredGdsweepVersion(db);
  if (!stored) return stored.error();
  if (*stored > CurrentGdsweepSchemaVersion()) {
    return Error::Conflict(NewerGdsweepMessage(db, *stored));
  }
  return {};
}

}  // namespace

const std::vector<SchemaObject>& OptunaSchema(sql::Dialect dialect) {
  if (dialect == sql::Dialect::kPostgres) return OptunaPostgresSchema();
  static const std::vector<SchemaObject> kSchema = {
      {"studies",
       "CREATE TABLE studies (\n"
       "\tstudy_id INTEGER NOT NULL, \n"
       "\tstudy_name VARCHAR(512) NOT NULL, \n"
       "\tPRIMARY KEY (study_id)\n"
       ")"},
      {"ix_studies_study_name",
       "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)"},
      {"version_info",
       "CREATE TABLE version_info (\n"
       "\tversion_info_id INTEGER NOT NULL, \n"
       "\tschema_version INTEGER, \n"
       "\tlibrary_version VARCHAR(256), \n"
       "\tPRIMARY KEY (version_info_id), \n"
       "\tCHECK (version_info_id=1)\n"
       ")"},
      {"study_directions",
       "CREATE TABLE study_directions (\n"
       "\tstudy_direction_id INTEGER NOT NULL, \n"
       "\tdirection VARCHAR(8) NOT NULL, \n"
       "\tstudy_id INTEGER NOT NULL, \n"
       "\tobjective INTEGER NOT NULL, \n"
       "\tPRIMARY KEY (study_direction_id), \n"
       "\tUNIQUE (study_id, objective), \n"
       "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
       ")"},
      {"study_user_attributes",
       "CREATE TABLE study_user_attributes (\n"
       "\tstudy_user_attribute_id INTEGER NOT NULL, \n"
       "\tstudy_id INTEGER, \n"
       "\t\"key\" VARCHAR(512), \n"
       "\tvalue_json TEXT, \n"
       "\tPRIMARY KEY (study_user_attribute_id), \n"
       "\tUNIQUE (study_id, \"key\"), \n"
       "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
       ")"},
      {"study_system_attributes",
       "CREATE TABLE study_system_attributes (\n"
       "\tstudy_system_attribute_id INTEGER NOT NULL, \n"
       "\tstudy_id INTEGER, \n"
       "\t\"key\" VARCHAR(512), \n"
       "\tvalue_json TEXT, \n"
       "\tPRIMARY KEY (study_system_attribute_id), \n"
       "\tUNIQUE (study_id, \"key\"), \n"
       "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
       ")"},
      {"trials",
       "CREATE TABLE trials (\n"
       "\ttrial_id INTEGER NOT NULL, \n"
       "\tnumber INTEGER, \n"
       "\tstudy_id INTEGER, \n"
       "\tstate VARCHAR(8) NOT NULL, \n"
       "\tdatetime_start DATETIME, \n"
       "\tdatetime_complete DATETIME, \n"
       "\tPRIMARY KEY (trial_id), \n"
       "\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n"
       ")"},
      {"trial_user_attributes",
       "CREATE TABLE trial_user_attributes (\n"
       "\ttrial_user_attribute_id INTEGER NOT NULL, \n"
       "\ttrial_id INTEGER, \n"
       "\t\"key\" VARCHAR(512), \n"
       "\tvalue_json TEXT, \n"
       "\tPRIMARY KEY (trial_user_attribute_id), \n"
       "\tUNIQUE (trial_id, \"key\"), \n"
       "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
       ")"},
      {"trial_system_attributes",
       "CREATE TABLE trial_system_attributes (\n"
       "\ttrial_system_attribute_id INTEGER NOT NULL, \n"
       "\ttrial_id INTEGER, \n"
       "\t\"key\" VARCHAR(512), \n"
       "\tvalue_json TEXT, \n"
       "\tPRIMARY KEY (trial_system_attribute_id), \n"
       "\tUNIQUE (trial_id, \"key\"), \n"
       "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
       ")"},
      {"trial_params",
       "CREATE TABLE trial_params (\n"
       "\tparam_id INTEGER NOT NULL, \n"
       "\ttrial_id INTEGER, \n"
       "\tparam_name VARCHAR(512), \n"
       "\tparam_value FLOAT, \n"
       "\tdistribution_json TEXT, \n"
       "\tPRIMARY KEY (param_id), \n"
       "\tUNIQUE (trial_id, param_name), \n"
       "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
       ")"},
      {"trial_values",
       "CREATE TABLE trial_values (\n"
       "\ttrial_value_id INTEGER NOT NULL, \n"
       "\ttrial_id INTEGER NOT NULL, \n"
       "\tobjective INTEGER NOT NULL, \n"
       "\tvalue FLOAT, \n"
       "\tvalue_type VARCHAR(7) NOT NULL, \n"
       "\tPRIMARY KEY (trial_value_id), \n"
       "\tUNIQUE (trial_id, objective), \n"
       "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
       ")"},
      {"trial_intermediate_values",
       "CREATE TABLE trial_intermediate_values (\n"
       "\ttrial_intermediate_value_id INTEGER NOT NULL, \n"
       "\ttrial_id INTEGER NOT NULL, \n"
       "\tstep INTEGER NOT NULL, \n"
       "\tintermediate_value FLOAT, \n"
       "\tintermediate_value_type VARCHAR(7) NOT NULL, \n"
       "\tPRIMARY KEY (trial_intermediate_value_id), \n"
       "\tUNIQUE (trial_id, step), \n"
       "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
       ")"},
      {"trial_heartbeats",
       "CREATE TABLE trial_heartbeats (\n"
       "\ttrial_heartbeat_id INTEGER NOT NULL, \n"
       "\ttrial_id INTEGER NOT NULL, \n"
       "\theartbeat DATETIME NOT NULL, \n"
       "\tPRIMARY KEY (trial_heartbeat_id), \n"
       "\tUNIQUE (trial_id), \n"
       "\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n"
       ")"},
      {"alembic_version",
       "CREATE TABLE alembic_version (\n"
       "\tversion_num VARCHAR(32) NOT NULL, \n"
       "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
       ")"},
  };
  return kSchema;
}

const std::vector<SchemaObject>& OptunaPostgresSchema() {
  // As SQLAlchemy 1.4 emits Optuna 3.1's models for PostgreSQL (schema_test
  // compares the result with a database Optuna creates): enum types, SERIAL
  // keys, constraints under PostgreSQL's default names.
  static const std::vector<SchemaObject> kSchema = {
      {"studydirection", "CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE')"},
      {"trialstate",
       "CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')"},
      {"trialvaluetype", "CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG')"},
      {"trialintermediatevaluetype",
       "CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')"},
      {"studies",
       "CREATE TABLE studies (study_id SERIAL NOT NULL, study_name VARCHAR(512) NOT NULL, "
       "PRIMARY KEY (study_id))"},
      {"ix_studies_study_name",
       "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)"},
      {"version_info",
       "CREATE TABLE version_info (version_info_id INTEGER NOT NULL, schema_version INTEGER, "
       "library_version VARCHAR(256), PRIMARY KEY (version_info_id), "
       "CHECK (version_info_id=1))"},
      {"study_directions",
       "CREATE TABLE study_directions (study_direction_id SERIAL NOT NULL, "
       "direction studydirection NOT NULL, study_id INTEGER NOT NULL, objective INTEGER NOT NULL, "
       "PRIMARY KEY (study_direction_id), FOREIGN KEY(study_id) REFERENCES studies (study_id), "
       "UNIQUE (study_id, objective))"},
      {"study_user_attributes",
       "CREATE TABLE study_user_attributes (study_user_attribute_id SERIAL NOT NULL, "
       "study_id INTEGER, key VARCHAR(512), value_json TEXT, "
       "PRIMARY KEY (study_user_attribute_id), UNIQUE (study_id, key), "
       "FOREIGN KEY(study_id) REFERENCES studies (study_id))"},
      {"study_system_attributes",
       "CREATE TABLE study_system_attributes (study_system_attribute_id SERIAL NOT NULL, "
       "study_id INTEGER, key VARCHAR(512), value_json TEXT, "
       "PRIMARY KEY (study_system_attribute_id), UNIQUE (study_id, key), "
       "FOREIGN KEY(study_id) REFERENCES studies (study_id))"},
      {"trials",
       "CREATE TABLE trials (trial_id SERIAL NOT NULL, number INTEGER, study_id INTEGER, "
       "state trialstate NOT NULL, datetime_start TIMESTAMP WITHOUT TIME ZONE, "
       "datetime_complete TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (trial_id), "
       "FOREIGN KEY(study_id) REFERENCES studies (study_id))"},
      {"trial_user_attributes",
       "CREATE TABLE trial_user_attributes (trial_user_attribute_id SERIAL NOT NULL, "
       "trial_id INTEGER, key VARCHAR(512), value_json TEXT, "
       "PRIMARY KEY (trial_user_attribute_id), UNIQUE (trial_id, key), "
       "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))"},
      {"trial_system_attributes",
       "CREATE TABLE trial_system_attributes (trial_system_attribute_id SERIAL NOT NULL, "
       "trial_id INTEGER, key VARCHAR(512), value_json TEXT, "
       "PRIMARY KEY (trial_system_attribute_id), UNIQUE (trial_id, key), "
       "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))"},
      {"trial_params",
       "CREATE TABLE trial_params (param_id SERIAL NOT NULL, trial_id INTEGER, "
       "param_name VARCHAR(512), param_value FLOAT, distribution_json TEXT, "
       "PRIMARY KEY (param_id), UNIQUE (trial_id, param_name), "
       "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))"},
      {"trial_values",
       "CREATE TABLE trial_values (trial_value_id SERIAL NOT NULL, trial_id INTEGER NOT NULL, "
       "objective INTEGER NOT NULL, value FLOAT, value_type trialvaluetype NOT NULL, "
       "PRIMARY KEY (trial_value_id), UNIQUE (trial_id, objective), "
       "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))"},
      {"trial_intermediate_values",
       "CREATE TABLE trial_intermediate_values (trial_intermediate_value_id SERIAL NOT NULL, "
       "trial_id INTEGER NOT NULL, step INTEGER NOT NULL, intermediate_value FLOAT, "
       "intermediate_value_type trialintermediatevaluetype NOT NULL, "
       "PRIMARY KEY (trial_intermediate_value_id), UNIQUE (trial_id, step), "
       "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))"},
      {"trial_heartbeats",
       "CREATE TABLE trial_heartbeats (trial_heartbeat_id SERIAL NOT NULL, "
       "trial_id INTEGER NOT NULL, heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL, "
       "PRIMARY KEY (trial_heartbeat_id), UNIQUE (trial_id), "
       "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))"},
      {"alembic_version",
       "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
       "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"},
  };
  return kSchema;
}

const std::vector<OwnedTable>& GdsweepOwnedTables() {
  // Frozen into migration 5; a later migration that adds a table lists it here
  // and runs ForgetDeletedRowsStatements again (the triggers are re-created).
  static const std::vector<OwnedTable> kTables = {
      {"gdsweep_studies", true, false},        {"gdsweep_trials", true, true},
      {"gdsweep_workers", true, false},        {"gdsweep_tracking_targets", true, false},
      {"gdsweep_tracking_outbox", true, true}, {"gdsweep_tracking_runs", true, true},
      {"gdsweep_sweeps", true, false},         {"gdsweep_trial_runs", false, true},
  };
  return kTables;
}

std::vector<std::string> ForgetDeletedRowsStatements(const std::vector<OwnedTable>& tables) {
  std::string on_study, on_trial;
  std::vector<std::string> leftovers;
  for (const auto& t : tables) {
    const std::string name = t.name;
    if (t.by_trial) {
      // Trials deleted without their study's trigger seeing them (a study
      // deleted by SQL alone) are caught by the study trigger's first part.
      on_trial += "\tDELETE FROM " + name + " WHERE trial_id = OLD.trial_id;\n";
      on_study +=
          "\tDELETE FROM " + name +
          " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = OLD.study_id);\n";
      leftovers.push_back("DELETE FROM " + name + " WHERE trial_id <> 0 AND NOT EXISTS (SELECT 1 " +
                          "FROM trials x WHERE x.trial_id = " + name + ".trial_id" +
                          (t.by_study ? " AND x.study_id = " + name + ".study_id" : "") + ")");
    }
    if (t.by_study) {
      on_study += "\tDELETE FROM " + name + " WHERE study_id = OLD.study_id;\n";
      leftovers.push_back("DELETE FROM " + name + " WHERE NOT EXISTS (SELECT 1 FROM studies x " +
                          "WHERE x.study_id = " + name + ".study_id)");
    }
  }
  std::vector<std::string> out = {
      "DROP TRIGGER IF EXISTS gdsweep_forget_deleted_trial",
      "DROP TRIGGER IF EXISTS gdsweep_forget_deleted_study",
      "CREATE TRIGGER gdsweep_forget_deleted_trial AFTER DELETE ON trials FOR EACH ROW BEGIN\n" +
          on_trial + "END",
      "CREATE TRIGGER gdsweep_forget_deleted_study AFTER DELETE ON studies FOR EACH ROW BEGIN\n" +
          on_study + "END",
  };
  out.insert(out.end(), leftovers.begin(), leftovers.end());
  return out;
}

namespace {

// Migration 5: the triggers, the leftovers of studies deleted before them,
// and budget counters that counted a deleted study's trials.
std::vector<std::string> ForgetDeletedStudiesMigration() {
  std::vector<std::string> statements = ForgetDeletedRowsStatements(GdsweepOwnedTables());
  // A trial id reused by the re-created study under the same number is
  // indistinguishable; one under another number is a leftover.
  statements.push_back(
      "DELETE FROM gdsweep_trials WHERE NOT EXISTS (SELECT 1 FROM trials x "
      "WHERE x.trial_id = gdsweep_trials.trial_id AND x.number = gdsweep_trials.number)");
  // A counter without any trial of its sweep, or above the fresh trials that
  // exist, counts trials of a deleted study: it may only count what exists.
  statements.push_back(
      "DELETE FROM gdsweep_sweeps WHERE NOT EXISTS (SELECT 1 FROM gdsweep_trials g "
      "WHERE g.study_id = gdsweep_sweeps.study_id AND g.tag = gdsweep_sweeps.tag)");
  statements.push_back(
      "UPDATE gdsweep_sweeps SET fresh_trials = (SELECT count(*) FROM gdsweep_trials g "
      "WHERE g.study_id = gdsweep_sweeps.study_id AND g.tag = gdsweep_sweeps.tag "
      "AND g.retry_of IS NULL) WHERE fresh_trials > (SELECT count(*) FROM gdsweep_trials g "
      "WHERE g.study_id = gdsweep_sweeps.study_id AND g.tag = gdsweep_sweeps.tag "
      "AND g.retry_of IS NULL)");
  return statements;
}

}  // namespace

const std::vector<Migration>& GdsweepMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "studies, trials and workers",
       {
           "CREATE TABLE gdsweep_studies (\n"
           "\tstudy_id INTEGER NOT NULL PRIMARY KEY\n"
           "\t\tREFERENCES studies (study_id) ON DELETE CASCADE,\n"
           "\tspec_json TEXT NOT NULL,\n"
           "\tspace_json TEXT NOT NULL,\n"
           "\tobjectives_json TEXT NOT NULL,\n"
           "\tseed TEXT NOT NULL,\n"
           "\tcreated_at REAL NOT NULL,\n"
           "\tupdated_at REAL NOT NULL\n"
           ")",
           "CREATE TABLE gdsweep_trials (\n"
           "\ttrial_id INTEGER NOT NULL PRIMARY KEY\n"
           "\t\tREFERENCES trials (trial_id) ON DELETE CASCADE,\n"
           "\tstudy_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,\n"
           "\tnumber INTEGER NOT NULL,\n"
           "\ttag TEXT NOT NULL,\n"
           "\tattempt INTEGER NOT NULL DEFAULT 1,\n"
           "\tretry_of INTEGER,\n"
           "\tworker_id TEXT,\n"
           "\tfailure_reason TEXT,\n"
           "\tlog_path TEXT,\n"
           "\tfinished_at REAL\n"
           ")",
           // Tag filters, budget counting (retry_of IS NULL) and the WAITING claim.
           "CREATE INDEX gdsweep_trials_study_tag ON gdsweep_trials (study_id, tag, retry_of)",
           "CREATE INDEX gdsweep_trials_worker ON gdsweep_trials (worker_id)",
           "CREATE TABLE gdsweep_workers (\n"
           "\tworker_id TEXT NOT NULL PRIMARY KEY,\n"
           "\tstudy_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,\n"
           "\thost TEXT NOT NULL,\n"
           "\tpid INTEGER NOT NULL,\n"
           "\tstarted_at REAL NOT NULL,\n"
           "\theartbeat_at REAL NOT NULL\n"
           ")",
           "CREATE INDEX gdsweep_workers_study ON gdsweep_workers (study_id)",
           // On Optuna's table, under names no Optuna migration uses: a study's
           // trials in number order without a sort, and its WAITING trials (the
           // claim) and counts by state without a scan.
           "CREATE INDEX gdsweep_ix_trials_study_number ON trials (study_id, number)",
           "CREATE INDEX gdsweep_ix_trials_study_state ON trials (study_id, state, number)",
       }},
      {2,
       "tracking targets, outbox and runs",
       {
           // One row per (study, sweep tag) reported to a tracking server, with
           // the delivery lease (storage/README.md, "Outbox").
           "CREATE TABLE gdsweep_tracking_targets (\n"
           "\tstudy_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,\n"
           "\ttag TEXT NOT NULL,\n"
           "\turi TEXT NOT NULL,\n"
           "\texperiment TEXT NOT NULL,\n"
           "\tartifact_location TEXT NOT NULL,\n"
           "\ttag_key TEXT NOT NULL,\n"
           "\tvalues_from_tracking INTEGER NOT NULL,\n"
           "\trun_key TEXT NOT NULL,\n"
           "\tlease_owner TEXT,\n"
           "\tlease_until REAL,\n"
           "\tPRIMARY KEY (study_id, tag)\n"
           ")",
           // AUTOINCREMENT: an id is never reused, so a late SettleOutbox of a
           // deliverer whose lease expired can never remove a newer message.
           "CREATE TABLE gdsweep_tracking_outbox (\n"
           "\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n"
           "\tstudy_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,\n"
           "\ttag TEXT NOT NULL,\n"
           "\ttrial_id INTEGER NOT NULL,\n"
           "\ttrial_number INTEGER NOT NULL,\n"
           "\tkind TEXT NOT NULL,\n"
           "\tpayload TEXT NOT NULL,\n"
           "\tcreated_at REAL NOT NULL,\n"
           "\tattempts INTEGER NOT NULL DEFAULT 0,\n"
           "\tlast_error TEXT,\n"
           "\tdead INTEGER NOT NULL DEFAULT 0\n"
           ")",
           // The pending scan of ClaimOutbox and the counts of CountOutbox.
           "CREATE INDEX gdsweep_tracking_outbox_pending "
           "ON gdsweep_tracking_outbox (study_id, tag, dead, id)",
           "CREATE TABLE gdsweep_tracking_runs (\n"
           "\tstudy_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,\n"
           "\ttag TEXT NOT NULL,\n"
           "\ttrial_id INTEGER NOT NULL,\n"
           "\texperiment_id TEXT NOT NULL,\n"
           "\trun_id TEXT NOT NULL,\n"
           "\tPRIMARY KEY (study_id, tag, trial_id)\n"
           ")",
       }},
      {3,
       "fresh-trial counts per sweep",
       {
           // The budget check of every Ask reads one row instead of counting
           // the sweep's trials. InsertRunningTrial keeps it, in the same
           // transaction as the trial it counts.
           "CREATE TABLE gdsweep_sweeps (\n"
           "\tstudy_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,\n"
           "\ttag TEXT NOT NULL,\n"
           "\tfresh_trials INTEGER NOT NULL,\n"
           "\tPRIMARY KEY (study_id, tag)\n"
           ") WITHOUT ROWID",
           "INSERT INTO gdsweep_sweeps (study_id, tag, fresh_trials) "
           "SELECT study_id, tag, count(*) FROM gdsweep_trials WHERE retry_of IS NULL "
           "GROUP BY study_id, tag",
       }},
      {4,
       "trial runs: every launch of a trial",
       {
           // One row per launch of a trial (its retries are trials of their
           // own; a run the infrastructure interrupted is rerun in place under
           // the next run number). Written in the transactions that start and
           // end the run; the process identity (host, boot, process group
           // leader and its start time) lets a worker taking over a dead
           // one's trial kill what is left of it, never a reused pid.
           "CREATE TABLE gdsweep_trial_runs (\n"
           "\ttrial_id INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,\n"
           "\trun INTEGER NOT NULL,\n"
           "\tattempt INTEGER NOT NULL,\n"
           "\tworker_id TEXT,\n"
           "\thost TEXT,\n"
           "\tboot_id TEXT,\n"
           "\tpid INTEGER,\n"
           "\tpid_start_time INTEGER,\n"
           "\tstarted_at REAL NOT NULL,\n"
           "\tended_at REAL,\n"
           "\toutcome TEXT,\n"
           "\treason TEXT,\n"
           "\tPRIMARY KEY (trial_id, run)\n"
           ") WITHOUT ROWID",
           // How many runs the trial has had: the number of its current run.
           "ALTER TABLE gdsweep_trials ADD COLUMN runs INTEGER NOT NULL DEFAULT 0",
           "UPDATE gdsweep_trials SET runs = 1 WHERE trial_id IN "
           "(SELECT trial_id FROM trials WHERE state != 'WAITING')",
       }},
      {5, "a deleted study's and trial's rows go with them", ForgetDeletedStudiesMigration()},
      {6,
       "the study file's enqueue points",
       {
           // The canonical JSON of the study file's `enqueue:` point a WAITING
           // trial was queued for (NULL for any other trial): each point of
           // the list is queued once per study, however often `run` starts.
           "ALTER TABLE gdsweep_trials ADD COLUMN queued_point TEXT",
       }},
  };
  return kMigrations;
}

int CurrentGdsweepSchemaVersion() { return GdsweepMigrations().back().version; }

Status EnsureSchema(Database& db) {
  if (auto s = CheckBeforeWriting(db); !s) return s;
  if (db.dialect() == sql::Dialect::kSqlite) {
    if (auto s = db.Exec("PRAGMA journal_mode = WAL"); !s) return s;
  }
  if (auto current = IsCurrent(db); !current) {
    return current.error();
  } else if (*current) {
    return {};
  }
  if (auto s = CreateOptunaTables(db); !s) return s;
  return Migrate(db);
}

Status CheckSchemaReadOnly(Database& db) {
  auto tx = Transaction::Begin(db, Transaction::Kind::kRead);
  if (!tx) return tx.error();
  auto existing = ExistingObjects(db);
  if (!existing) return existing.error();
  for (const char* table : {"studies", "study_directions", "trials", "trial_params", "trial_values",
                            "trial_intermediate_values"}) {
    if (!existing->count(table)) {
      return Error::NotFound(db.name() + " is not an Optuna or gdsweep database (no " + table +
                             " table)");
    }
  }
  if (existing->count("alembic_version") && existing->count("version_info")) {
    if (auto s = CheckOptunaVersion(db); !s) return s;
  }
  if (!existing->count("gdsweep_version_info")) {
    if (auto s = tx->Commit(); !s) return s;
    for (const char* sql : kTempStandIns) {
      if (auto s = db.Exec(db.dialect() == sql::Dialect::kPostgres ? ForPostgres(sql) : sql); !s) {
        return s;
      }
    }
    return {};
  }
  auto stored = StoredGdsweepVersion(db);
  if (!stored) return stored.error();
  if (*stored != CurrentGdsweepSchemaVersion()) {
    return Error::Conflict("the database has gdsweep schema version " + std::to_string(*stored) +
                           " and this gdsweep reads version " +
                           std::to_string(CurrentGdsweepSchemaVersion()) +
                           (*stored < CurrentGdsweepSchemaVersion()
                                ? "; open it once for writing (gdsweep run) to upgrade it"
                                : "; use a newer gdsweep"));
  }
  return tx->Commit();
}

}  // namespace gdsweep::storage
