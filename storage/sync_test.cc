// Durability (SqliteOptions::synchronous_full and Storage::Sync): which
// commits reach the disk when, observed through a VFS that counts the syncs of
// the write-ahead log (SQLite only), and what a crash of the process keeps
// (both databases).
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/storage.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::AskOne;
using testing::Complete;
using testing::OpenOrDie;
using testing::Request;
using testing::Rows;
using testing::SmallStudy;
using testing::TempDir;

// The default VFS with every xSync of a WAL file counted. Registered as the
// default while a SyncCounter lives.
struct CountedFile {
  sqlite3_file base;
  sqlite3_file* real;  // the default VFS's file, allocated right after this
  bool wal;
};

int g_wal_syncs = 0;
sqlite3_vfs* g_real_vfs = nullptr;

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<CountedFile*>(f)->real; }

int CountedSync(sqlite3_file* f, int flags) {
  if (reinterpret_cast<CountedFile*>(f)->wal) ++g_wal_syncs;
  return Real(f)->pMethods->xSync(Real(f), flags);
}

int CountedClose(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int CountedRead(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), p, n, off);
}
int CountedWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xWrite(Real(f), p, n, off);
}
int CountedTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int CountedFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int CountedLock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int CountedUnlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CountedCheckReserved(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int CountedFileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int CountedSectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int CountedDevice(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
int CountedShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** p) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, p);
}
int CountedShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void CountedShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int CountedShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int CountedFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
  return Real(f)->pMethods->xFetch(Real(f), off, n, p);
}
int CountedUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods kCountedMethods = {3,
                                            CountedClose,
                                            CountedRead,
                                            CountedWrite,
                                            CountedTruncate,
                                            CountedSync,
                                            CountedFileSize,
                                            CountedLock,
                                            CountedUnlock,
                                            CountedCheckReserved,
                                            CountedFileControl,
                                            CountedSectorSize,
                                            CountedDevice,
                                            CountedShmMap,
                                            CountedShmLock,
                                            CountedShmBarrier,
                                            CountedShmUnmap,
                                            CountedFetch,
                                            CountedUnfetch};

int CountedOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                int* out_flags) {
  auto* f = reinterpret_cast<CountedFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = g_real_vfs->xOpen(g_real_vfs, name, f->real, flags, out_flags);
  file->pMethods = f->real->pMethods ? &kCountedMethods : nullptr;
  return rc;
}

struct SyncCounter {
  SyncCounter() {
    g_real_vfs = sqlite3_vfs_find(nullptr);
    vfs = *g_real_vfs;
    vfs.zName = "gdsweep-counted";
    vfs.szOsFile = static_cast<int>(sizeof(CountedFile)) + g_real_vfs->szOsFile;
    vfs.xOpen = CountedOpen;
    vfs.pNext = nullptr;
    sqlite3_vfs_register(&vfs, 1);
    g_wal_syncs = 0;
  }
  ~SyncCounter() {
    sqlite3_vfs_unregister(&vfs);
    sqlite3_vfs_register(g_real_vfs, 1);
  }
  int syncs() const { return g_wal_syncs; }
  sqlite3_vfs vfs;
};

// The cases about SQLite's own syncs say so, and pass, on PostgreSQL's run.
#define SQLITE_ONLY()                                                      \
  if (testing::TestingPostgres()) {                                        \
    MESSAGE("SQLite only: PostgreSQL commits durably, Sync() is a no-op"); \
    return;                                                                \
  }

TEST_CASE("with synchronous_full off, commits reach the disk at Sync(), all at once") {
  SQLITE_ONLY();
  SyncCounter counter;
  TempDir dir;
  auto path = dir.File("db.sqlite");
  auto s = OpenOrDie(path);  // synchronous_full = false
  auto study = s->OpenStudy(SmallStudy());
  REQUIRE(study.ok());
  const int opened = counter.syncs();  // creating the schema may checkpoint
  TrialHistory h;
  auto a = AskOne(*s, Request(study->study_id, "x"), h);
  auto b = AskOne(*s, Request(study->study_id, "x"), h);
  REQUIRE(s->FinishTrial(a.trial_id, Complete(0.5)).ok());
  CHECK(counter.syncs() == opened);
  REQUIRE(s->Sync().ok());
  CHECK(counter.syncs() == opened + 1);
  REQUIRE(s->FinishTrial(b.trial_id, Complete(0.25)).ok());
  CHECK(counter.syncs() == opened + 1);
  REQUIRE(s->Sync().ok());
  CHECK(counter.syncs() == opened + 2);
}

TEST_CASE("with synchronous_full on, every commit is synced before it returns") {
  SQLITE_ONLY();
  SyncCounter counter;
  TempDir dir;
  SqliteOptions o = testing::FastOptions(dir.File("db.sqlite"));
  o.synchronous_full = true;
  auto s = OpenSqliteStorage(o);
  REQUIRE(s.ok());
  auto study = (*s)->OpenStudy(SmallStudy());
  REQUIRE(study.ok());
  TrialHistory h;
  const int before = counter.syncs();
  CHECK(before >= 1);
  AskOne(**s, Request(study->study_id, "x"), h);
  CHECK(counter.syncs() == before + 1);
}

TEST_CASE("Sync() of an in-memory or read-only database does nothing and succeeds") {
  SQLITE_ONLY();
  auto memory = OpenSqliteStorage(testing::FastOptions(":memory:"));
  REQUIRE(memory.ok());
  REQUIRE((*memory)->OpenStudy(SmallStudy()).ok());
  CHECK((*memory)->Sync().ok());

  TempDir dir;
  auto path = dir.File("db.sqlite");
  REQUIRE(OpenOrDie(path)->OpenStudy(SmallStudy()).ok());
  SqliteOptions ro;
  ro.path = path;
  ro.read_only = true;
  auto reader = OpenSqliteStorage(ro);
  REQUIRE(reader.ok());
  CHECK((*reader)->Sync().ok());
}

TEST_CASE("a process killed before any Sync() loses nothing it committed") {
  TempDir dir;
  auto path = testing::TestDatabase(dir);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto s = OpenOrDie(path);
    auto study = s->OpenStudy(SmallStudy());
    if (!study) _exit(3);
    TrialHistory h;
    auto asked = s->Ask(Request(study->study_id, "x"), h, testing::FixedSample());
    if (!asked) _exit(4);
    if (!s->FinishTrial(asked->trial.trial_id, Complete(0.125))) _exit(5);
    ::kill(::getpid(), SIGKILL);  // no Sync, no close: the WAL stays as it is
    _exit(6);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  auto s = OpenOrDie(path);
  auto study = s->GetStudy("s");
  REQUIRE(study.ok());
  auto trials = s->ListTrials(study->study_id, {});
  REQUIRE(trials.ok());
  REQUIRE(trials->size() == 1);
  CHECK(trials->front().state == TrialState::kComplete);
  CHECK(trials->front().values == std::vector<double>{0.125});
}

}  // namespace
}  // namespace gdsweep
