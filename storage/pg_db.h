// The PostgreSQL implementation of sql::Database (sql_db.h) over libpq: one
// server connection with its statements prepared once per session, ?N
// placeholders sent as $N, every value as text. A kWrite transaction holds a
// transaction-scoped advisory lock of the database, so it is serialized with
// every other writer as SQLite's BEGIN IMMEDIATE serializes them; a
// kStudyWrite holds it shared, plus one lock per study. A lost connection
// is re-established with backoff; a transaction it cut off reports
// TransactionLost (after asking the server, when the answer to COMMIT was
// lost, whether it committed). The only file that includes libpq-fe.h is
// pg_db.cc. Used by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "storage/sql_db.h"
#include "sweeper/model/result.h"

namespace gdsweep::pg {

struct ConnectionOptions {
  // postgresql://user[:password]@host[:port]/dbname[?sslmode=...] (also
  // postgresql+psycopg2://, as Optuna takes it). A password not in the URL
  // comes from PGPASSWORD or ~/.pgpass (libpq reads them).
  std::string url;
  // How long to keep trying to (re)connect to a server that does not answer
  // before an error (Error::Remote), counted from when the connection was
  // first found lost until a transaction commits again; a refused password
  // fails at once.
  int reconnect_timeout_ms = 60000;
  bool read_only = false;  // transactions are READ ONLY
};

// The URL with its password (in the user part or a password= parameter)
// replaced by "***": what messages and logs show.
std::string RedactUrl(const std::string& url);

// True for the URLs Open takes: postgresql://, postgres:// and
// postgresql+psycopg2://.
bool IsPostgresUrl(const std::string& url);

// Test-only fault injection (pg_db_test.cc): what the next write
// transaction's COMMIT, in any Database of the process, suffers. Never set
// outside tests.
enum class CommitFault {
  kNone,
  kDropBeforeCommit,  // the connection is closed instead of sending COMMIT
  kDropCommitAnswer,  // COMMIT is sent and done, then its answer is lost
};
void InjectCommitFaultForTesting(CommitFault fault);

class Database final : public sql::Database {
 public:
  // Connects (with backoff while the server is unreachable, up to
  // reconnect_timeout_ms). Error::Remote for a refused login or a server that
  // stayed unreachable, Error::Invalid for a malformed URL; messages name the
  // redacted URL.
  static Result<std::unique_ptr<Database>> Open(const ConnectionOptions& options);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Result<sql::Query> Prepare(const std::string& sql) override;
  Status Exec(const std::string& sql) override;
  Status Sync() override { return {}; }  // a commit is durable when it returns
  int64_t Changes() const override;
  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
  bool read_only() const override { return options_.read_only; }
  const std::string& name() const override { return redacted_; }
  bool TransactionLost() const override;
  Status LockStudy(int64_t study_id) override;

  struct Impl;

 private:
  explicit Database(ConnectionOptions options);
  Status Connect();
  // Waits (backoff by `round`) and, when the connection is lost, connects
  // again; an error when the outage has lasted reconnect_timeout_ms (naming
  // `last`) or the login is refused.
  Status Reconnect(int round, Error& last);
  // COMMIT's answer was lost: asks the server (a new session) whether the
  // transaction committed. OK when it did; TransactionLost when it did not.
  Status ResolveLostCommit(const Error& lost);
  Status BeginTransaction(sql::TransactionKind kind) override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;

  ConnectionOptions options_;
  std::string redacted_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gdsweep::pg
