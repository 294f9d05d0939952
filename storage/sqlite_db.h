// RAII wrappers over the SQLite C API: a Database connection, cached prepared
// statements used through a Query handle, and Transactions that roll back
// unless committed. SQLITE_BUSY is retried with backoff until the busy timeout
// has passed, so several processes share one file without "database is
// locked". Errors are values. The only file that includes sqlite3.h is
// sqlite_db.cc (and sync_test.cc, for a VFS of its own). A Database and its Queries are used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

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

class Database;
struct StatementSlot;

// One use of a prepared statement: bind, step through the rows, read columns.
// Columns and parameters are 0-based and 1-based respectively, as in SQLite.
// The statement is reset and its bindings cleared when the Query is destroyed.
class Query {
 public:
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  Query& Bind(int index, int64_t value);
  Query& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Query& Bind(int index, double value);
  Query& Bind(int index, const std::string& value);
  Query& Bind(int index, const char* value) { return Bind(index, std::string(value)); }
  Query& BindNull(int index);
  template <typename T>
  Query& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // Advances to the next row: true when there is one, false when done.
  Result<bool> Step();
  // Steps until done (for statements without rows).
  Status Run();
  // Steps through every row, calling on_row(*this) on each; on_row returns
  // void, or a Status whose error stops the walk and is returned.
  template <typename F>
  Status ForEachRow(F&& on_row) {
    while (true) {
      auto row = Step();
      if (!row) return row.error();
      if (!*row) return {};
      if constexpr (std::is_void_v<std::invoke_result_t<F&, Query&>>) {
        on_row(*this);
      } else if (auto s = on_row(*this); !s) {
        return s;
      }
    }
  }

  int ColumnCount() const;
  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;  // "" for NULL
  std::optional<int64_t> OptInt(int col) const;
  std::optional<double> OptDouble(int col) const;
  std::optional<std::string> OptText(int col) const;

 private:
  friend class Database;
  Query(Database& db, StatementSlot* slot) : db_(&db), slot_(slot) {}
  Database* db_;
  StatementSlot* slot_;
  int bind_error_ = 0;
  bool stepped_ = false;
};

class Database {
 public:
  // Opens the connection and sets WAL mode (unless read-only), busy timeout,
  // synchronous and foreign_keys.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A Query over the statement for `sql`, prepared once and cached by its text.
  Result<Query> Prepare(const std::string& sql);
  // Runs one or more statements without results (DDL, PRAGMA, BEGIN).
  Status Exec(const std::string& sql);

  // Makes everything committed to the database so far, by any connection,
  // durable: an fdatasync of the write-ahead log (and of its folder, the
  // first time). A no-op for ":memory:" and read-only connections.
  Status Sync();

  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  bool read_only() const { return options_.read_only; }
  const DatabaseOptions& options() const { return options_; }

 private:
  friend class Query;
  friend class Transaction;
  explicit Database(DatabaseOptions options);
  // "what: SQLite's message", or a message of its own for a file that is not
  // a database or whose folder is missing.
  Error ErrorFor(int rc, const std::string& what) const;
  // An error of a statement: named by the database, the SQL logged at debug.
  Error StatementError(int rc, const std::string& sql) const;

  DatabaseOptions options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A transaction on one Database. kWrite takes the write lock at once (BEGIN
// IMMEDIATE), so a read-then-write never fails half-way on a stale snapshot;
// kRead is a plain BEGIN. Destroying an uncommitted Transaction rolls it back.
class Transaction {
 public:
  enum class Kind { kRead, kWrite };
  static Result<Transaction> Begin(Database& db, Kind kind);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
  bool open_ = true;
};

}  // namespace gdsweep::sqlite
