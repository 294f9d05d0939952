// sql::Database as a user meets it: errors that name the file and never
// show SQL, and read-only connections that leave no -wal/-shm files behind.
#include "storage/sqlite_db.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::TempDir;

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

std::unique_ptr<sql::Database> Open(const std::string& path, bool read_only) {
  sqlite::DatabaseOptions o;
  o.path = path;
  o.read_only = read_only;
  o.busy_timeout_ms = 2000;
  auto db = sqlite::Database::Open(o);
  REQUIRE(db.ok());
  return std::move(*db);
}

// A WAL database with one table and row, closed: no -wal or -shm left.
std::string MakeWalDatabase(const TempDir& dir) {
  const std::string path = dir.File("wal.db");
  auto db = Open(path, false);
  REQUIRE(db->Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);"));
  db.reset();
  REQUIRE_FALSE(Exists(path + "-wal"));
  return path;
}

int64_t CountRows(sql::Database& db) {
  auto q = db.Prepare("SELECT count(*) FROM t");
  REQUIRE(q.ok());
  auto row = q->Step();
  REQUIRE(row.ok());
  return q->Int(0);
}

}  // namespace

TEST_CASE("a read-only connection leaves no -wal or -shm file it created") {
  TempDir dir;
  const std::string path = MakeWalDatabase(dir);
  {
    auto reader = Open(path, true);
    CHECK(CountRows(*reader) == 1);
    CHECK(Exists(path + "-shm"));  // SQLite needs them while it reads
  }
  CHECK_FALSE(Exists(path + "-wal"));
  CHECK_FALSE(Exists(path + "-shm"));
}

TEST_CASE("a read-only connection leaves a writer's -wal alone, with its rows") {
  TempDir dir;
  const std::string path = MakeWalDatabase(dir);
  auto writer = Open(path, false);
  REQUIRE(writer->Exec("INSERT INTO t VALUES (2)"));
  REQUIRE(Exists(path + "-wal"));
  {
    auto reader = Open(path, true);
    CHECK(CountRows(*reader) == 2);
  }
  CHECK(Exists(path + "-wal"));
  REQUIRE(writer->Exec("INSERT INTO t VALUES (3)"));  // the writer goes on as before
  writer.reset();
  CHECK(CountRows(*Open(path, true)) == 3);
}

TEST_CASE("a reader opened while a writer ran does not remove the files under a new writer") {
  TempDir dir;
  const std::string path = MakeWalDatabase(dir);
  auto reader = Open(path, true);  // no -wal yet: it will clean up when it closes
  CHECK(CountRows(*reader) == 1);
  auto writer = Open(path, false);
  REQUIRE(writer->Exec("INSERT INTO t VALUES (2)"));
  reader.reset();
  CHECK(Exists(path + "-wal"));  // the writer still has the file open
  CHECK(CountRows(*writer) == 2);
}

TEST_CASE("a file that is not a database is named as such, without SQL") {
  TempDir dir;
  const std::string path = dir.File("notes.db");
  {
    std::ofstream f(path);
    for (int i = 0; i < 200; ++i) f << "just some text\n";
  }
  for (bool read_only : {true, false}) {
    sqlite::DatabaseOptions o;
    o.path = path;
    o.read_only = read_only;
    auto db = sqlite::Database::Open(o);
    REQUIRE_FALSE(db.ok());
    CHECK(db.error().message == path +
                                    " is not a gdsweep/Optuna database (SQLite says: file is not "
                                    "a database)");
  }
}

TEST_CASE("a database in a missing folder names the folder") {
  TempDir dir;
  const std::string folder = dir.File("x/y");
  sqlite::DatabaseOptions o;
  o.path = folder + "/g.db";
  auto db = sqlite::Database::Open(o);
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message == "cannot open " + o.path + ": folder " + folder + " does not exist");
  CHECK_FALSE(Exists(dir.File("x")));
}

TEST_CASE("a failing statement's error names the database, not the SQL") {
  TempDir dir;
  auto db = Open(dir.File("g.db"), false);
  auto q = db->Prepare("SELECT x FROM no_such_table");
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().message == dir.File("g.db") + ": no such table: no_such_table");
  auto s = db->Exec("INSERT INTO no_such_table VALUES (1)");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("INSERT") == std::string::npos);
}

TEST_CASE("ForEachRow visits every row in order; an error from the visitor stops it") {
  TempDir dir;
  auto db = Open(dir.File("rows.db"), false);
  REQUIRE(db->Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);"));
  auto q = db->Prepare("SELECT x FROM t ORDER BY x");
  REQUIRE(q.ok());
  std::vector<int64_t> seen;
  REQUIRE(q->ForEachRow([&](const sql::Query& row) { seen.push_back(row.Int(0)); }));
  CHECK(seen == std::vector<int64_t>{1, 2, 3});

  auto again = db->Prepare("SELECT x FROM t ORDER BY x");
  REQUIRE(again.ok());
  seen.clear();
  Status stopped = again->ForEachRow([&](const sql::Query& row) -> Status {
    seen.push_back(row.Int(0));
    if (row.Int(0) == 2) return Error::Io("bad row 2");
    return {};
  });
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().message == "bad row 2");
  CHECK(seen == std::vector<int64_t>{1, 2});
}

}  // namespace gdsweep
