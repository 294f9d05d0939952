#include "storage/sql_db.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace gdsweep::sql {

Query::Query(Query&& other) noexcept : cursor_(std::exchange(other.cursor_, nullptr)) {}

Query::~Query() {
  if (cursor_) cursor_->Release();
}

Status Query::Run() {
  while (true) {
    auto row = Step();
    if (!row) return row.error();
    if (!*row) return {};
  }
}

std::optional<int64_t> Query::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

std::optional<double> Query::OptDouble(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Double(col);
}

std::optional<std::string> Query::OptText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}

Result<Transaction> Transaction::Begin(Database& db, Kind kind) {
  if (auto s = db.BeginTransaction(kind); !s) return s.error();
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  if (open_) db_->RollbackTransaction();
}

Status Transaction::Commit() {
  auto s = db_->CommitTransaction();
  if (s) open_ = false;
  return s;
}

Status RunTransaction(Database& db, TransactionKind kind, const std::function<Status()>& body,
                      const std::function<void()>& on_retry) {
  for (int attempt = 1;; ++attempt) {
    Status outcome = [&]() -> Status {
      auto tx = Transaction::Begin(db, kind);
      if (!tx) return tx.error();
      if (auto s = body(); !s) return s;
      return tx->Commit();
    }();
    if (outcome || !db.TransactionLost()) return outcome;
    if (attempt >= kMaxTransactionAttempts) {
      return Error::Remote(
          "gave up after " + std::to_string(attempt) +
          " attempts of one transaction, each cut off; the last: " + outcome.error().message);
    }
    spdlog::warn("a transaction was cut off before it committed ({}); running it again",
                 outcome.error().message);
    if (on_retry) on_retry();
  }
}

std::string InIdList(const Database& db, const std::string& column, int param) {
  const std::string p = "?" + std::to_string(param);
  if (db.dialect() == Dialect::kPostgres) {
    return column + " IN (SELECT jsonb_array_elements_text(" + p + "::jsonb)::bigint)";
  }
  return column + " IN (SELECT value FROM json_each(" + p + "))";
}

Result<int64_t> InsertReturningId(Query& q) {
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return Error::Internal("an INSERT ... RETURNING returned no row");
  const int64_t id = q.Int(0);
  if (auto s = q.Run(); !s) return s.error();
  return id;
}

std::string ShortenSql(const std::string& sql) {
  std::string s;
  for (char c : sql) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && !s.empty() && s.back() == ' ') continue;
    s += c;
  }
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

}  // namespace gdsweep::sql
