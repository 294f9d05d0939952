// Helpers shared by the storage tests: a temporary folder, a database file in
// it, a small study registration, raw SQL reads, and running Debian's Python
// (with Optuna) on a script from storage/testdata. Test-only; not thread-safe.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/pg_test_server.h"
#include "storage/sqlite_db.h"
#include "storage/storage.h"

namespace gdsweep::testing {

// A fresh folder under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gdsweep-storage-XXXXXX");
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline SqliteOptions FastOptions(const std::string& path) {
  SqliteOptions o;
  o.path = path;
  o.synchronous_full = false;
  o.busy_timeout_ms = 20000;
  return o;
}

// Where a contract test keeps its database: a file `name` in `dir`, or, when
// the suites run against PostgreSQL (TestingPostgres()), the URL of a fresh
// database on the shared test server.
inline std::string TestDatabase(const TempDir& dir, const std::string& name = "db.sqlite") {
  if (!TestingPostgres()) return dir.File(name);
  PostgresServer* server = PostgresServer::Shared();
  REQUIRE_MESSAGE(server != nullptr, "the PostgreSQL test server did not start");
  std::string url = server->CreateDatabase(name);
  REQUIRE(!url.empty());
  return url;
}

// Opens a test database (a file path or a PostgreSQL URL) as the engine does,
// without waiting for the disk.
inline Result<std::unique_ptr<Storage>> OpenTestStorage(const std::string& location) {
  if (IsPostgresUrl(location)) {
    PostgresOptions o;
    o.url = location;
    o.reconnect_timeout_ms = 20000;
    return OpenPostgresStorage(o);
  }
  return OpenSqliteStorage(FastOptions(location));
}

inline std::unique_ptr<Storage> OpenOrDie(const std::string& path) {
  auto s = OpenTestStorage(path);
  if (!s) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), s.error().message.c_str());
    std::abort();
  }
  return std::move(*s);
}

// lr (log float), layers (int), opt (categorical) minimising loss.
inline StudyRegistration SmallStudy(const std::string& name = "s") {
  StudyRegistration reg;
  reg.name = name;
  reg.objectives = {{"loss", Direction::kMinimize}};
  reg.space = {
      {"lr", FloatDistribution{1e-4, 1.0, true, std::nullopt}},
      {"layers", IntDistribution{1, 8, false, 1}},
      {"opt", CategoricalDistribution{{Choice{std::string("adam")}, Choice{std::string("sgd")}}}},
  };
  reg.spec_json = "{\"name\": \"" + name + "\"}";
  reg.seed = 7;
  return reg;
}

// Opens SmallStudy() in `s` with its sweep `tag` reported to a tracking
// server (so that state changes write outbox messages); returns its id.
inline int64_t OpenTrackedStudy(Storage& s, const std::string& tag) {
  auto study = s.OpenStudy(SmallStudy());
  REQUIRE(study.ok());
  TrackingTarget target;
  target.uri = "http://mlflow:5000";
  target.experiment = "exp";
  REQUIRE(s.SetTrackingTarget(study->study_id, tag, target).ok());
  return study->study_id;
}

// A sampler stand-in: the same params every time, shifted by the number.
inline SampleFn FixedSample() {
  return [](const TrialHistory&, int64_t number) -> Result<std::optional<Params>> {
    return std::optional<Params>(
        Params{{"lr", 0.01}, {"layers", double(1 + number % 8)}, {"opt", double(number % 2)}});
  };
}

inline AskRequest Request(int64_t study_id, const std::string& tag,
                          std::optional<int64_t> n_trials = std::nullopt,
                          const std::string& worker = "w1") {
  AskRequest r;
  r.study_id = study_id;
  r.tag = tag;
  r.worker_id = worker;
  r.n_trials = n_trials;
  r.log_path_for = [](int64_t n) { return "/logs/trial-" + std::to_string(n); };
  return r;
}

// The rows of a query on a separate connection, each row's columns as text
// ("NULL" for NULL), joined by '|'.
inline TrialOutcome Complete(double v) {
  TrialOutcome o;
  o.values = {v};
  return o;
}

inline TrialOutcome Failed(const std::string& reason, TrialOutcome::Requeue requeue) {
  TrialOutcome o;
  o.state = TrialState::kFail;
  o.failure_reason = reason;
  o.requeue = requeue;
  return o;
}

// One Ask that must hand out a trial.
inline TrialRecord AskOne(Storage& s, const AskRequest& req, TrialHistory& h) {
  auto r = s.Ask(req, h, FixedSample());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  REQUIRE(r->kind == AskResult::Kind::kTrial);
  return r->trial;
}

// A raw connection to a test database (a file path or a PostgreSQL URL), for
// SQL the Storage seam does not offer; nullptr, with the error, on failure.
inline std::unique_ptr<sql::Database> OpenRawDatabase(const std::string& path, bool read_only,
                                                      std::string* error = nullptr) {
  if (IsPostgresUrl(path)) {
    pg::ConnectionOptions o;
    o.url = path;
    auto opened = pg::Database::Open(o);
    if (opened) return std::move(*opened);
    if (error) *error = opened.error().message;
    return nullptr;
  }
  sqlite::DatabaseOptions o;
  o.path = path;
  o.read_only = read_only;
  auto opened = sqlite::Database::Open(o);
  if (opened) return std::move(*opened);
  if (error) *error = opened.error().message;
  return nullptr;
}

inline std::vector<std::string> Rows(const std::string& path, const std::string& sql) {
  std::string error;
  std::unique_ptr<sql::Database> holder = OpenRawDatabase(path, /*read_only=*/true, &error);
  if (!holder) return {"open failed: " + error};
  auto* db = &holder;
  auto q = (*db)->Prepare(sql);
  if (!q) return {"prepare failed: " + q.error().message};
  std::vector<std::string> out;
  while (true) {
    auto row = q->Step();
    if (!row) return {"step failed: " + row.error().message};
    if (!*row) return out;
    const int columns = q->ColumnCount();
    std::string line;
    for (int c = 0; c < columns; ++c) {
      line += (c ? "|" : "") + (q->IsNull(c) ? std::string("NULL") : q->Text(c));
    }
    out.push_back(line);
  }
}

// Runs a shell-free command, returning its exit status and stdout.
struct RunResult {
  int status = -1;
  std::string out;
};
inline RunResult RunCommand(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    close(pipefd[0]);
    close(pipefd[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  RunResult r;
  std::array<char, 4096> buf;
  ssize_t n;
  while ((n = read(pipefd[0], buf.data(), buf.size())) > 0) r.out.append(buf.data(), size_t(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The interop helpers: storage's tests define where Python and the scripts are.
#ifdef GDSWEEP_PYTHON
inline bool HavePythonOptuna() {
  static const bool ok = RunCommand({GDSWEEP_PYTHON, "-c", "import optuna"}).status == 0;
  return ok;
}

inline RunResult RunInterop(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {GDSWEEP_PYTHON,
                                   std::string(GDSWEEP_STORAGE_TESTDATA) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}
#endif  // GDSWEEP_PYTHON

}  // namespace gdsweep::testing
