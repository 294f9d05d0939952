// The SQL connection the storage code is written against: a Database (SQLite
// file or PostgreSQL server), Queries over its cached prepared statements, and
// Transactions that roll back unless committed. SQL is written with ?N
// placeholders; where the two dialects differ, the caller asks dialect().
// Implementations: sqlite_db.h, pg_db.h. A Database and its Queries are used by
// one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "sweeper/model/result.h"

namespace gdsweep::sql {

enum class Dialect { kSqlite, kPostgres };

// One execution of a prepared statement, implemented per database. Owned by
// its Database; a Query hands it back with Release().
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual void Bind(int index, int64_t value) = 0;
  virtual void Bind(int index, double value) = 0;
  virtual void Bind(int index, const std::string& value) = 0;
  virtual void BindNull(int index) = 0;
  virtual Result<bool> Step() = 0;
  virtual int ColumnCount() const = 0;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Double(int col) const = 0;
  virtual std::string Text(int col) const = 0;
  // Resets the statement for its next use (or frees a one-off statement).
  virtual void Release() = 0;
};

// One use of a prepared statement: bind, step through the rows, read columns.
// Columns and parameters are 0-based and 1-based respectively (?1 is index 1).
// The statement is reset and its bindings cleared when the Query is destroyed.
class Query {
 public:
  explicit Query(Cursor* cursor) : cursor_(cursor) {}
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  Query& Bind(int index, int64_t value) {
    cursor_->Bind(index, value);
    return *this;
  }
  Query& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Query& Bind(int index, double value) {
    cursor_->Bind(index, value);
    return *this;
  }
  Query& Bind(int index, const std::string& value) {
    cursor_->Bind(index, value);
    return *this;
  }
  Query& Bind(int index, const char* value) { return Bind(index, std::string(value)); }
  Query& BindNull(int index) {
    cursor_->BindNull(index);
    return *this;
  }
  template <typename T>
  Query& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // Advances to the next row: true when there is one, false when done.
  Result<bool> Step() { return cursor_->Step(); }
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

  int ColumnCount() const { return cursor_->ColumnCount(); }  // known after the first Step
  bool IsNull(int col) const { return cursor_->IsNull(col); }
  int64_t Int(int col) const { return cursor_->Int(col); }
  double Double(int col) const { return cursor_->Double(col); }
  std::string Text(int col) const { return cursor_->Text(col); }  // "" for NULL
  std::optional<int64_t> OptInt(int col) const;
  std::optional<double> OptDouble(int col) const;
  std::optional<std::string> OptText(int col) const;

 private:
  Cursor* cursor_;
};

enum class TransactionKind {
  kRead,  // a consistent snapshot
  // Serialized with every other write transaction on the database (SQLite:
  // BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so a
  // read-then-write never works on a stale read. Schema changes, creating,
  // deleting, renaming and importing studies.
  kWrite,
  // Writes the rows of one study: the body calls LockStudy(study_id) before
  // it reads what it decides on, and is then serialized with the writers of
  // that study and with every kWrite, not with the writers of other studies
  // (PostgreSQL: a shared advisory lock of the database plus one per study;
  // SQLite: BEGIN IMMEDIATE, as kWrite).
  kStudyWrite,
};

class Database {
 public:
  virtual ~Database() = default;

  // A Query over the statement for `sql`, prepared once and cached by its text.
  virtual Result<Query> Prepare(const std::string& sql) = 0;
  // Runs one or more statements without results or parameters (DDL, BEGIN).
  virtual Status Exec(const std::string& sql) = 0;
  // Makes everything committed so far durable (SQLite with synchronous =
  // NORMAL: an fdatasync of the WAL; PostgreSQL commits durably: a no-op).
  virtual Status Sync() = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  virtual int64_t Changes() const = 0;

  virtual Dialect dialect() const = 0;
  virtual bool read_only() const = 0;
  // What names the database in messages: a file path, or a URL without its
  // password.
  virtual const std::string& name() const = 0;
  // After a failed statement or COMMIT: true when the transaction was lost
  // before it committed in a way that running it again from the start can
  // cure (PostgreSQL: the connection to the server dropped, or the server
  // aborted it for a serialization failure or deadlock), so nothing of it is
  // stored. Reset by the next BeginTransaction. SQLite: never.
  virtual bool TransactionLost() const { return false; }
  // In a kStudyWrite transaction: waits for the other writers of the study
  // and holds it until the transaction ends. SQLite: nothing to do.
  virtual Status LockStudy(int64_t /*study_id*/) { return {}; }

 protected:
  friend class Transaction;
  virtual Status BeginTransaction(TransactionKind kind) = 0;
  virtual Status CommitTransaction() = 0;
  virtual void RollbackTransaction() = 0;
};

// A transaction on one Database. Destroying an uncommitted Transaction rolls
// it back.
class Transaction {
 public:
  using Kind = TransactionKind;
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

// Runs body() in one transaction of `kind` and commits when it succeeded.
// An attempt the database lost before it committed (TransactionLost) stored
// nothing: on_retry() (when given) undoes what the attempt changed in memory
// and the whole body runs again in a new transaction, up to
// kMaxTransactionAttempts times (the database bounds how long it waits for a
// server that went away). So a method whose transaction a server restart cuts
// in the middle is applied exactly once.
inline constexpr int kMaxTransactionAttempts = 10;
Status RunTransaction(Database& db, TransactionKind kind, const std::function<Status()>& body,
                      const std::function<void()>& on_retry = nullptr);

// RunTransaction for a body that returns a Result<T> or a Status: the
// result of the attempt that committed.
template <typename F>
auto InTransaction(Database& db, TransactionKind kind, F&& body,
                   const std::function<void()>& on_retry = nullptr) -> decltype(body()) {
  using R = decltype(body());
  std::optional<R> out;
  Status s = RunTransaction(
      db, kind,
      [&]() -> Status {
        out.reset();
        out.emplace(body());
        if (!*out) return out->error();
        return {};
      },
      on_retry);
  if (!s) return s.error();
  return std::move(*out);
}

// The SQL that is true when integer column `column` is one of the ids in
// ?`param`, bound as a JSON list ("[1,2,3]"): json_each on SQLite, a jsonb
// array on PostgreSQL.
std::string InIdList(const Database& db, const std::string& column, int param);

// Runs an INSERT ... RETURNING <id> and returns the id.
Result<int64_t> InsertReturningId(Query& q);

// A statement on one line, cut at 80 characters, for debug logs of errors.
std::string ShortenSql(const std::string& sql);

}  // namespace gdsweep::sql
