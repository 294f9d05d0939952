#include "storage/pg_db.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gdsweep::pg {

namespace {

// The key of the advisory lock every write transaction holds ("gdsweep" in
// ASCII): exclusively for kWrite (one at a time per database, as with
// SQLite), shared for kStudyWrite.
constexpr int64_t kWriteLockKey = 0x67647377656570;
// The first key of the per-study locks ("gdsw"; the second is the study id).
constexpr int32_t kStudyLockKey = 0x67647377;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string FirstLine(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// ?N -> $N outside quotes; returns the largest N.
int TranslatePlaceholders(const std::string& in, std::string& out) {
  out.clear();
  int max_param = 0;
  char quote = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c == '?' && i + 1 < in.size() && std::isdigit(static_cast<unsigned char>(in[i + 1]))) {
      size_t j = i + 1;
      int n = 0;
      while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j]))) {
        n = n * 10 + (in[j] - '0');
        ++j;
      }
      max_param = std::max(max_param, n);
      out += '$' + std::to_string(n);
      i = j - 1;
      continue;
    }
    out += c;
  }
  return max_param;
}

// The connection string libpq takes: the URL with Optuna's driver suffix
// (postgresql+psycopg2://) removed.
std::string LibpqUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  return "postgresql" + url.substr(scheme);
}

// A login the server refused: retrying cannot help.
bool IsRefusedLogin(const std::string& message) {
  for (const char* s :
       {"password authentication failed", "no password supplied", "authentication failed",
        "does not exist", "no pg_hba.conf entry", "permission denied"}) {
    if (message.find(s) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// A statement prepared in the current session under the name "gN", or a
// one-off copy of a cached one in use (a nested use of the same SQL).
class Statement final : public sql::Cursor {
 public:
  Statement(Database::Impl& db, std::string sql, bool cached) : db_(&db), cached_(cached) {
    nparams_ = TranslatePlaceholders(sql, pg_sql_);
    original_ = std::move(sql);
    params_.resize(static_cast<size_t>(nparams_));
  }
  ~Statement() override { Clear(); }

  void Bind(int index, int64_t value) override { Set(index, std::to_string(value)); }
  void Bind(int index, double value) override {
    if (std::isnan(value)) return Set(index, "NaN");
    if (std::isinf(value)) return Set(index, value > 0 ? "Infinity" : "-Infinity");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    Set(index, buf);
  }
  void Bind(int index, const std::string& value) override { Set(index, value); }
  void BindNull(int index) override {
    if (index >= 1 && index <= nparams_) params_[static_cast<size_t>(index - 1)].reset();
  }
  Result<bool> Step() override;
  int ColumnCount() const override { return result_ ? PQnfields(result_) : 0; }
  bool IsNull(int col) const override { return !result_ || PQgetisnull(result_, row_, col); }
  int64_t Int(int col) const override {
    if (IsNull(col)) return 0;
    const char* v = PQgetvalue(result_, row_, col);
    // A boolean expression (x IS NOT NULL) reads as SQLite's 1 or 0.
    if (v[0] == 't' && v[1] == 0) return 1;
    if (v[0] == 'f' && v[1] == 0) return 0;
    return std::strtoll(v, nullptr, 10);
  }
  double Double(int col) const override {
    if (IsNull(col)) return 0;
    return std::strtod(PQgetvalue(result_, row_, col), nullptr);
  }
  std::string Text(int col) const override {
    if (IsNull(col)) return {};
    return std::string(PQgetvalue(result_, row_, col),
                       static_cast<size_t>(PQgetlength(result_, row_, col)));
  }
  void Release() override {
    if (!cached_) {
      delete this;
      return;
    }
    Clear();
    for (auto& p : params_) p.reset();
    in_use_ = false;
  }

  bool in_use_ = true;
  std::string prepared_name_;  // empty: not prepared in this session
  uint64_t prepared_session_ = 0;

 private:
  void Set(int index, std::string value) {
    if (index >= 1 && index <= nparams_) params_[static_cast<size_t>(index - 1)] = std::move(value);
  }
  void Clear() {
    if (result_) PQclear(result_);
    result_ = nullptr;
    row_ = -1;
  }
  Database::Impl* db_;
  bool cached_;
  std::string original_, pg_sql_;
  int nparams_ = 0;
  std::vector<std::optional<std::string>> params_;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

namespace {

// The SQLSTATEs after which the same transaction, run again from the start,
// can succeed: the connection failed (class 08), the server is shutting
// down or restarting (57P01-57P03), a serialization failure or deadlock.
bool RetryableState(const char* sqlstate) {
  if (sqlstate == nullptr) return false;
  const std::string s = sqlstate;
  return s.rfind("08", 0) == 0 || s == "57P01" || s == "57P02" || s == "57P03" || s == "40001" ||
         s == "40P01";
}

std::atomic<CommitFault> g_commit_fault{CommitFault::kNone};

}  // namespace

struct Database::Impl {
  PGconn* conn = nullptr;
  std::string name;      // the redacted URL
  uint64_t session = 1;  // counts connections: prepared names are per session
  uint64_t next_statement = 1;
  int64_t changes = 0;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache;
  std::minstd_rand jitter{std::random_device{}()};
  // The current transaction: open, its kind and (kWrite) its txid.
  bool in_transaction = false;
  sql::TransactionKind kind = sql::TransactionKind::kRead;
  std::string xid;
  // The current transaction was lost before it committed (TransactionLost).
  bool lost = false;
  // When the connection was first found lost (steady ms), 0 while none is:
  // cleared by a commit, so the wait for a server is bounded per outage.
  int64_t outage_since = 0;

  bool Broken() const { return conn == nullptr || PQstatus(conn) != CONNECTION_OK; }

  void Drop() {
    if (conn) PQfinish(conn);
    conn = nullptr;
  }

  int64_t OutageDeadline(int timeout_ms) {
    if (outage_since == 0) outage_since = NowMs();
    return outage_since + timeout_ms;
  }

  // An error of `what`, with the server's message; a lost connection says so
  // and marks the transaction lost, as does a failure a retry can cure.
  Error ErrorOf(const std::string& what, const PGresult* res) {
    std::string message =
        FirstLine(res ? PQresultErrorMessage(res) : (conn ? PQerrorMessage(conn) : ""));
    if (message.empty() && conn) message = FirstLine(PQerrorMessage(conn));
    if (message.empty()) message = "the connection is closed";
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const bool retryable = RetryableState(state);
    // A server that is shutting down ends the session: start a new one.
    if (state &&
        (std::string(state).rfind("08", 0) == 0 || std::string(state).rfind("57P", 0) == 0)) {
      Drop();
    }
    if (Broken()) {
      lost = true;
      if (outage_since == 0) outage_since = NowMs();
      return Error::Io(name + ": lost the connection to the server: " + message);
    }
    if (retryable) lost = true;
    return Error::Io(name + ": " + what + ": " + message);
  }

  // Runs `sql` (one or more statements) without parameters; the first column
  // of the last statement's first row ("" for none or NULL); kIo on an error.
  Result<std::string> Value(const std::string& sql) {
    if (Broken()) return ErrorOf("not connected", nullptr);
    PGresult* res = PQexec(conn, sql.c_str());
    const auto status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      std::string value;
      if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
        value = PQgetvalue(res, 0, 0);
      }
      PQclear(res);
      return value;
    }
    Error e = ErrorOf("statement failed", res);
    spdlog::debug("PostgreSQL error in: {}", sql::ShortenSql(sql));
    PQclear(res);
    return e;
  }

  Status Run(const std::string& sql) {
    auto v = Value(sql);
    if (!v) return v.error();
    return {};
  }

  // COMMIT, with the fault a test injected (write transactions only).
  Status Commit() {
    const CommitFault fault = kind != sql::TransactionKind::kRead
                                  ? g_commit_fault.exchange(CommitFault::kNone)
                                  : CommitFault::kNone;
    if (fault == CommitFault::kDropBeforeCommit) {
      Drop();
      return ErrorOf("COMMIT", nullptr);
    }
    auto s = Run("COMMIT");
    if (s && fault == CommitFault::kDropCommitAnswer) {
      Drop();
      return ErrorOf("COMMIT", nullptr);
    }
    return s;
  }
};

Result<bool> Statement::Step() {
  if (row_ >= 0) {
    ++row_;
    return row_ < PQntuples(result_);
  }
  if (db_->Broken()) return db_->ErrorOf("not connected", nullptr);
  PGconn* conn = db_->conn;
  if (prepared_name_.empty() || prepared_session_ != db_->session) {
    const std::string name = "g" + std::to_string(db_->next_statement++);
    PGresult* res = PQprepare(conn, name.c_str(), pg_sql_.c_str(), 0, nullptr);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      Error e = db_->ErrorOf("preparing a statement", res);
      spdlog::debug("PostgreSQL error preparing: {}", sql::ShortenSql(original_));
      PQclear(res);
      return e;
    }
    PQclear(res);
    prepared_name_ = name;
    prepared_session_ = db_->session;
  }
  std::vector<const char*> values(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    values[i] = params_[i] ? params_[i]->c_str() : nullptr;
  }
  result_ =
      PQexecPrepared(conn, prepared_name_.c_str(), nparams_, values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(result_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Error e = db_->ErrorOf("statement failed", result_);
    spdlog::debug("PostgreSQL error in: {}", sql::ShortenSql(original_));
    Clear();
    return e;
  }
  const char* tuples = PQcmdTuples(result_);
  db_->changes = tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
  row_ = 0;
  return row_ < PQntuples(result_);
}

// ---- URLs ----

bool IsPostgresUrl(const std::string& url) {
  for (const char* scheme : {"postgresql://", "postgres://", "postgresql+psycopg2://"}) {
    if (url.rfind(scheme, 0) == 0) return true;
  }
  return false;
}

std::string RedactUrl(const std::string& url) {
  std::string out = url;
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // A password=... parameter of the query string.
  for (size_t at = out.find("password="); at != std::string::npos;
       at = out.find("password=", at + 1)) {
    if (at > 0 && out[at - 1] != '?' && out[at - 1] != '&') continue;
    const size_t value = at + 9;
    const size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

// ---- Database ----

Database::Database(ConnectionOptions options)
    : options_(std::move(options)),
      redacted_(RedactUrl(options_.url)),
      impl_(std::make_unique<Impl>()) {
  impl_->name = redacted_;
}

Database::~Database() {
  impl_->cache.clear();
  if (impl_->conn) PQfinish(impl_->conn);
}

Status Database::Connect() {
  if (impl_->conn) PQfinish(impl_->conn);
  const std::string url = LibpqUrl(options_.url);
  // Keywords before dbname are defaults the URL may override.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "gdsweep", url.c_str(), nullptr};
  impl_->conn = PQconnectdbParams(keys, values, 1);
  ++impl_->session;
  if (PQstatus(impl_->conn) == CONNECTION_OK) {
    // The server's notices ("relation ... already exists, skipping") go to
    // the debug log, not to stderr.
    PQsetNoticeProcessor(
        impl_->conn,
        [](void*, const char* message) { spdlog::debug("PostgreSQL: {}", FirstLine(message)); },
        nullptr);
    return {};
  }
  const std::string message = FirstLine(PQerrorMessage(impl_->conn));
  if (IsRefusedLogin(message)) {
    return Error::Remote(redacted_ + ": the server refused the connection: " + message);
  }
  return Error::Remote(redacted_ + ": cannot reach the server: " + message);
}

Result<std::unique_ptr<Database>> Database::Open(const ConnectionOptions& options) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(LibpqUrl(options.url).c_str(), &parse_error);
  if (!parsed) {
    std::string message = FirstLine(parse_error);
    PQfreemem(parse_error);
    return Error::Invalid(RedactUrl(options.url) + ": not a PostgreSQL URL: " + message);
  }
  PQconninfoFree(parsed);
  std::unique_ptr<Database> db(new Database(options));
  if (auto s = db->Connect(); !s) return s.error();
  return db;
}

Result<sql::Query> Database::Prepare(const std::string& sql) {
  auto& slot = impl_->cache[sql];
  if (slot && !slot->in_use_) {
    slot->in_use_ = true;
    return sql::Query(slot.get());
  }
  if (!slot) {
    slot = std::make_unique<Statement>(*impl_, sql, true);
    return sql::Query(slot.get());
  }
  return sql::Query(new Statement(*impl_, sql, false));
}

Status Database::Exec(const std::string& sql) { return impl_->Run(sql); }

int64_t Database::Changes() const { return impl_->changes; }

void InjectCommitFaultForTesting(CommitFault fault) { g_commit_fault = fault; }

bool Database::TransactionLost() const { return impl_->lost; }

Status Database::Reconnect(int round, Error& last) {
  const int64_t deadline = impl_->OutageDeadline(options_.reconnect_timeout_ms);
  const int64_t now = NowMs();
  if (now >= deadline) {
    const int64_t waited_s = (now - impl_->outage_since) / 1000;
    impl_->outage_since = 0;  // the next method waits afresh
    return Error::Remote(redacted_ + ": the server could not be reached for " +
                         std::to_string(waited_s) + " s; gave up: " + last.message);
  }
  const int base = 50 << std::min(round, 5);  // 50 ms .. 1.6 s
  std::uniform_int_distribution<int> extra(0, base);
  const int64_t wait = std::min<int64_t>(base + extra(impl_->jitter), deadline - now);
  std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  if (!impl_->Broken()) return {};  // only waiting (a commit still in progress)
  spdlog::warn("{}: reconnecting ({})", redacted_, last.message);
  auto s = Connect();
  if (!s) {
    last = s.error();
    if (IsRefusedLogin(last.message)) return last;
  }
  return {};
}

Status Database::BeginTransaction(sql::TransactionKind kind) {
  std::string begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  if (kind != sql::TransactionKind::kRead) {
    const char* lock = kind == sql::TransactionKind::kWrite ? "pg_advisory_xact_lock"
                                                            : "pg_advisory_xact_lock_shared";
    begin = "BEGIN; SELECT " + std::string(lock) + "(" + std::to_string(kWriteLockKey) +
            "); SELECT txid_current()";
  }
  impl_->lost = false;
  impl_->in_transaction = false;
  // Nothing has happened yet in this transaction, so a connection the server
  // dropped (a restart) is re-established and BEGIN tried again, with
  // backoff, until the outage has lasted reconnect_timeout_ms.
  Error last = Error::Io(redacted_ + ": not connected");
  for (int round = 0;; ++round) {
    if (!impl_->Broken()) {
      auto xid = impl_->Value(begin);
      if (xid) {
        impl_->in_transaction = true;
        impl_->kind = kind;
        impl_->xid = *xid;
        impl_->lost = false;
        return {};
      }
      last = xid.error();
      if (!impl_->Broken()) {
        (void)impl_->Run("ROLLBACK");
        impl_->lost = false;
        return last;
      }
    }
    if (auto s = Reconnect(round, last); !s) {
      impl_->lost = false;
      return s;
    }
  }
}

Status Database::LockStudy(int64_t study_id) {
  if (!impl_->in_transaction || impl_->kind != sql::TransactionKind::kStudyWrite) return {};
  auto q = Prepare("SELECT pg_advisory_xact_lock(" + std::to_string(kStudyLockKey) + ", ?1::int4)");
  if (!q) return q.error();
  return q->Bind(1, study_id).Run();
}

Status Database::CommitTransaction() {
  auto s = impl_->Commit();
  impl_->in_transaction = false;
  if (s) {
    impl_->outage_since = 0;
    return {};
  }
  // The server answered: COMMIT failed and rolled back (lost says whether a
  // retry can cure it).
  if (!impl_->Broken()) return s;
  // A snapshot read has nothing to commit: what it read stands.
  if (impl_->kind == sql::TransactionKind::kRead) {
    impl_->lost = false;
    return {};
  }
  return ResolveLostCommit(s.error());
}

Status Database::ResolveLostCommit(const Error& lost) {
  impl_->lost = false;
  const std::string xid = impl_->xid;
  if (xid.empty()) return lost;
  spdlog::warn(
      "{}: the connection was lost while committing ({}); asking the server whether "
      "transaction {} committed",
      redacted_, lost.message, xid);
  Error last = lost;
  for (int round = 0;; ++round) {
    if (!impl_->Broken()) {
      auto status = impl_->Value("SELECT txid_status(" + xid + ")");
      if (status && *status == "committed") {
        spdlog::info("{}: transaction {} did commit", redacted_, xid);
        impl_->outage_since = 0;
        impl_->lost = false;
        return {};
      }
      if (status && *status == "aborted") {
        impl_->lost = true;
        return Error::Io(lost.message + " (the transaction did not commit)");
      }
      if (status && status->empty()) {  // NULL: too old for the server to know
        impl_->lost = false;
        return Error::Io(lost.message + "; the server no longer knows whether transaction " + xid +
                         " committed, so it is not run again");
      }
      if (!status) {
        last = status.error();
        if (!impl_->Broken()) {
          impl_->lost = false;
          return Error::Io(lost.message + "; cannot ask whether it committed: " + last.message);
        }
      }
      // "in progress": the old session is still ending it; ask again.
    }
    if (auto s = Reconnect(round, last); !s) {
      impl_->lost = false;
      return Error::Remote(s.error().message +
                           " (the answer to COMMIT was lost: whether the last change was stored "
                           "is unknown)");
    }
  }
}

void Database::RollbackTransaction() {
  // What the attempt's own failure said stands, whatever the ROLLBACK meets.
  const bool lost = impl_->lost;
  if (impl_->in_transaction && !impl_->Broken()) (void)impl_->Run("ROLLBACK");
  impl_->in_transaction = false;
  impl_->lost = lost;
}

}  // namespace gdsweep::pg
