// The tables of a gdsweep database: Optuna's RDB schema version 12, created
// with exactly the DDL Optuna 3.1 emits, and gdsweep's own tables beside them,
// brought up to date by an ordered list of migrations (each one transaction,
// numbered by gdsweep_version_info.schema_version). Acts on one Database;
// thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "storage/sql_db.h"
#include "sweeper/model/result.h"

namespace gdsweep::storage {

// Optuna's version_info.schema_version; fixed since Optuna moved to alembic.
inline constexpr int kOptunaSchemaVersion = 12;
// The alembic revision stamped on a new file: the head of Optuna 3.0 and 3.1
// (Debian 12's python3-optuna). See storage/README.md for newer Optuna.
inline constexpr const char* kAlembicRevision = "v3.0.0.d";
// What version_info.library_version says: the Optuna release whose schema this is.
inline constexpr const char* kOptunaLibraryVersion = "3.1.0";

// One step of gdsweep's own schema: the statements that take the tables from
// version - 1 to version.
struct Migration {
  int version = 0;
  std::string description;
  std::vector<std::string> statements;
};

// Optuna's CREATE statements, in the order Optuna runs them: {name, sql}.
struct SchemaObject {
  std::string name;
  std::string sql;
};
const std::vector<SchemaObject>& OptunaSchema(sql::Dialect dialect = sql::Dialect::kSqlite);
// The same on PostgreSQL, enum types included (OptunaSchema(kPostgres)).
const std::vector<SchemaObject>& OptunaPostgresSchema();

// A gdsweep table holding rows of a study (a study_id column) and/or of a
// trial (a trial_id column; trial_id 0 is no trial): rows that must go with
// their study or trial, or a study or trial re-created under the same id
// would take them for its own.
struct OwnedTable {
  const char* name;
  bool by_study;
  bool by_trial;
};
// Every such table of the current schema. A migration that adds one adds it
// here and re-creates the triggers with ForgetDeletedRowsStatements.
const std::vector<OwnedTable>& GdsweepOwnedTables();

// Statements that (1) create triggers deleting `tables`' rows of a study or
// trial deleted from Optuna's tables (as Optuna's delete_study does, trials
// first, through SQLAlchemy and without foreign-key cascades), in the same
// transaction, and (2) delete the rows such deletions left before: rows of a
// study or trial that no longer exists, or whose trial id now belongs to
// another study.
std::vector<std::string> ForgetDeletedRowsStatements(const std::vector<OwnedTable>& tables);

// gdsweep's migrations, in order; the last one's version is the current one.
const std::vector<Migration>& GdsweepMigrations();
int CurrentGdsweepSchemaVersion();

// Read-write connections: creates Optuna's missing tables, stamps
// version_info and alembic_version if they are empty, and runs the gdsweep
// migrations the file has not seen. kConflict for a file of an older Optuna
// (pre-3.0 schema) or of a newer gdsweep.
Status EnsureSchema(sql::Database& db);

// Read-only connections: checks the file is an Optuna database this gdsweep
// can read. When gdsweep's tables are missing (Optuna made the file), empty
// TEMP tables stand in for them, so the same queries work.
Status CheckSchemaReadOnly(sql::Database& db);

}  // namespace gdsweep::storage
