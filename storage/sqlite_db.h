// The SQLite implementation of sql::Database (sql_db.h): a connection with
// cached prepared statements. SQLITE_BUSY is retried with backoff until the busy timeout
// has passed, so several processes share one file without "database is
// locked". Errors are values. The only file that includes sqlite3.h is
// sqlite_db.cc (and sync_test.cc, for a VFS of its own). A Database and its Queries are used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "storage/sql_db.h"
#include "sweeper/model/result.h"

namespace gdsweep::sqlite {

struct DatabaseOptions {
  std::string path;             // file path, or ":memory:"
  int busy_timeout_ms = 60000;  // how long to wait for another connection's lock
  // PRAGMA synchronous = FULL: every commit is on disk before it returns.
  // Else NORMAL: a commit survives a crash of the process at once and a power
  // loss after the next Sync() (or checkpoint).
  bool synchronous_full = true;
  bool read_only = false;  // open read-only; never creates the file
};

// A connection to one SQLite file.
class Database final : public sql::Database {
 public:
  // Opens the connection and sets WAL mode (unless read-only), busy timeout,
  // synchronous and foreign_keys.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Result<sql::Query> Prepare(const std::string& sql) override;
  Status Exec(const std::string& sql) override;
  // An fdatasync of the write-ahead log (and of its folder, the first time).
  // A no-op for ":memory:" and read-only connections.
  Status Sync() override;
  int64_t Changes() const override;
  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  bool read_only() const override { return options_.read_only; }
  const std::string& name() const override { return options_.path; }
  const DatabaseOptions& options() const { return options_; }

 private:
  friend class Statement;
  explicit Database(DatabaseOptions options);
  // kWrite, kStudyWrite: BEGIN IMMEDIATE (takes the write lock at once);
  // kRead: BEGIN.
  Status BeginTransaction(sql::TransactionKind kind) override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;
  // "what: SQLite's message", or a message of its own for a file that is not
  // a database or whose folder is missing.
  Error ErrorFor(int rc, const std::string& what) const;
  // An error of a statement: named by the database, the SQL logged at debug.
  Error StatementError(int rc, const std::string& sql) const;

  DatabaseOptions options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gdsweep::sqlite
