#include "storage/sqlite_db.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>

namespace gdsweep::sqlite {

// A prepared statement, either owned by the cache (reused) or by one Query.
class Statement final : public sql::Cursor {
 public:
  Statement(Database& db, sqlite3_stmt* stmt, bool cached)
      : db_(&db), stmt_(stmt), cached_(cached) {}
  ~Statement() override { sqlite3_finalize(stmt_); }

  void Bind(int index, int64_t value) override { Check(sqlite3_bind_int64(stmt_, index, value)); }
  void Bind(int index, double value) override { Check(sqlite3_bind_double(stmt_, index, value)); }
  void Bind(int index, const std::string& value) override {
    Check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                            SQLITE_TRANSIENT));
  }
  void BindNull(int index) override { Check(sqlite3_bind_null(stmt_, index)); }
  Result<bool> Step() override;
  int ColumnCount() const override { return sqlite3_column_count(stmt_); }
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const override {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  void Release() override {
    if (!cached_) {
      delete this;
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    in_use_ = false;
    bind_error_ = 0;
    stepped_ = false;
  }

  bool in_use_ = true;

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && !bind_error_) bind_error_ = rc;
  }
  Database* db_;
  sqlite3_stmt* stmt_;
  bool cached_;
  int bind_error_ = 0;
  bool stepped_ = false;
};

struct Database::Impl {
  sqlite3* db = nullptr;
  bool remove_wal_on_close = false;  // read-only, and the file had no -wal when opened
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache;
  std::minstd_rand jitter{std::random_device{}()};
};

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool IsBusy(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// Runs `attempt` (returning an SQLite result code) again while it reports
// SQLITE_BUSY, which SQLite returns without calling the busy handler in some
// cases (WAL recovery, a lock upgrade that would deadlock, journal-mode
// changes), sleeping 1, 2, 4 .. 64 ms (with jitter) until `timeout_ms` passed.
template <typename F>
int RetryBusy(int timeout_ms, std::minstd_rand& jitter, F&& attempt) {
  const int64_t deadline = NowMs() + timeout_ms;
  for (int round = 0;; ++round) {
    int rc = attempt();
    if (!IsBusy(rc) || NowMs() >= deadline) return rc;
    const int base = 1 << std::min(round, 6);
    std::uniform_int_distribution<int> extra(0, base);
    std::this_thread::sleep_for(std::chrono::milliseconds(base + extra(jitter)));
  }
}

}  // namespace

// ---- Database ----

Database::Database(DatabaseOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The folder of a file path ("." for a bare name).
std::string FolderOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A read-only connection to a WAL database creates its -wal and -shm files
// and, unable to checkpoint, leaves them when it closes. When they did not
// exist before it opened, a read-write connection that only reads is opened
// and closed: SQLite's own last-connection close then checkpoints and deletes
// them, and leaves them alone while any other connection uses the file.
void RemoveLeftoverWal(const std::string& path) {
  if (!Exists(path + "-wal") && !Exists(path + "-shm")) return;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) ==
      SQLITE_OK) {
    sqlite3_busy_timeout(db, 100);
    sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
  }
  sqlite3_close_v2(db);
}

}  // namespace

Database::~Database() {
  impl_->cache.clear();
  if (impl_->db) sqlite3_close_v2(impl_->db);
  if (impl_->db && impl_->remove_wal_on_close) RemoveLeftoverWal(options_.path);
}

Error Database::ErrorFor(int rc, const std::string& what) const {
  std::string msg = impl_->db ? sqlite3_errmsg(impl_->db) : sqlite3_errstr(rc);
  const int code = rc & 0xff;
  if (code == SQLITE_NOTADB) {
    return Error::Io(options_.path + " is not a gdsweep/Optuna database (SQLite says: " + msg +
                     ")");
  }
  if (code == SQLITE_CANTOPEN && !Exists(FolderOf(options_.path))) {
    const std::string text =
        "cannot open " + options_.path + ": folder " + FolderOf(options_.path) + " does not exist";
    return options_.read_only ? Error::NotFound(text) : Error::Io(text);
  }
  std::string text = what + ": " + msg;
  const int primary = rc & 0xff;
  if (IsBusy(rc)) {
    text += " (still locked by another connection after " +
            std::to_string(options_.busy_timeout_ms) + " ms)";
  }
  if (primary == SQLITE_MISUSE || primary == SQLITE_RANGE) return Error::Internal(text);
  if (primary == SQLITE_CANTOPEN && options_.read_only) return Error::NotFound(text);
  return Error::Io(text);
}

Error Database::StatementError(int rc, const std::string& sql) const {
  Error e = ErrorFor(rc, options_.path);
  // The statement helps a developer, not a user: it goes to the debug log only.
  spdlog::debug("SQLite error {} in: {}", rc, sql::ShortenSql(sql));
  return e;
}

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  std::unique_ptr<Database> db(new Database(options));
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const bool in_memory = options.path == ":memory:" || options.path.empty();
  db->impl_->remove_wal_on_close =
      options.read_only && !in_memory && !Exists(options.path + "-wal");
  int rc = sqlite3_open_v2(options.path.c_str(), &db->impl_->db, flags, nullptr);
  if (rc != SQLITE_OK) return db->ErrorFor(rc, "cannot open " + options.path);
  if (!in_memory) {
    // Reads the header now, so that a file that is not a database is named as
    // such rather than failing the first statement.
    rc = RetryBusy(options.busy_timeout_ms, db->impl_->jitter, [&] {
      return sqlite3_exec(db->impl_->db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
    });
    if (rc != SQLITE_OK) return db->ErrorFor(rc, "reading " + options.path);
  }
  sqlite3_extended_result_codes(db->impl_->db, 1);
  sqlite3_busy_timeout(db->impl_->db, options.busy_timeout_ms);
  std::string pragmas = "PRAGMA foreign_keys = ON;";
  if (!options.read_only) {  // WAL: storage::EnsureSchema, once the file is known to be ours
    pragmas +=
        options.synchronous_full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;";
  }
  if (auto s = db->Exec(pragmas); !s) return s.error();
  return db;
}

Status Database::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = RetryBusy(options_.busy_timeout_ms, impl_->jitter, [&] {
    sqlite3_free(err);
    err = nullptr;
    return sqlite3_exec(impl_->db, sql.c_str(), nullptr, nullptr, &err);
  });
  sqlite3_free(err);
  if (rc == SQLITE_OK) return {};
  return StatementError(rc, sql);
}

Result<sql::Query> Database::Prepare(const std::string& sql) {
  auto& slot = impl_->cache[sql];
  if (slot && !slot->in_use_) {
    slot->in_use_ = true;
    return sql::Query(slot.get());
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = RetryBusy(options_.busy_timeout_ms, impl_->jitter, [&] {
    return sqlite3_prepare_v3(impl_->db, sql.c_str(), static_cast<int>(sql.size()) + 1,
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  });
  if (rc != SQLITE_OK) {
    if (!slot) impl_->cache.erase(sql);
    return StatementError(rc, sql);
  }
  if (!slot) {
    slot = std::make_unique<Statement>(*this, stmt, true);
    return sql::Query(slot.get());
  }
  // The cached statement is busy (a nested use of the same SQL): a private one.
  return sql::Query(new Statement(*this, stmt, false));
}

Status Database::Sync() {
  if (options_.read_only) return {};
  // SQLite's own handle of the WAL file, so its first sync also syncs the
  // folder that holds the new file, as SQLite does with synchronous = FULL.
  sqlite3_file* wal = nullptr;
  int rc = sqlite3_file_control(impl_->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (rc != SQLITE_OK) return ErrorFor(rc, "finding the write-ahead log of " + options_.path);
  if (wal == nullptr || wal->pMethods == nullptr) return {};  // not open: nothing to sync
  rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) {
    return Error::Io("syncing the write-ahead log of " + options_.path + ": " + sqlite3_errstr(rc));
  }
  return {};
}

int64_t Database::Changes() const { return sqlite3_changes64(impl_->db); }

// ---- Statement ----

Result<bool> Statement::Step() {
  const char* sql = sqlite3_sql(stmt_);
  if (bind_error_) return db_->StatementError(bind_error_, sql);
  int rc;
  if (!stepped_) {
    // Nothing has been read yet, so a busy first step can simply be retried.
    rc = RetryBusy(db_->options_.busy_timeout_ms, db_->impl_->jitter, [&] {
      int r = sqlite3_step(stmt_);
      if (IsBusy(r)) sqlite3_reset(stmt_);
      return r;
    });
    stepped_ = true;
  } else {
    rc = sqlite3_step(stmt_);
  }
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->StatementError(rc, sql);
}

// ---- Transactions ----

// BEGIN and COMMIT run as cached prepared statements: parsing them on every
// transaction showed as a few percent of a sweep's CPU.
Status Database::BeginTransaction(sql::TransactionKind kind) {
  auto q = Prepare(kind == sql::TransactionKind::kRead ? "BEGIN" : "BEGIN IMMEDIATE");
  if (!q) return q.error();
  return q->Run();
}

void Database::RollbackTransaction() {
  sqlite3_exec(impl_->db, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Database::CommitTransaction() {
  // A busy COMMIT leaves the transaction open, so retrying it (Statement::Step
  // does, until the busy timeout) is safe.
  auto q = Prepare("COMMIT");
  if (!q) return q.error();
  return q->Run();
}

}  // namespace gdsweep::sqlite
