#include "storage/pg_db.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "storage/schema.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::PostgresServer;
using testing::Rows;

// Rows as one string, so that doctest shows a difference.
std::string Joined(const std::vector<std::string>& rows) {
  std::string out;
  for (const auto& r : rows) out += r + "\n";
  return out;
}

// The PostgreSQL run of the contract suites (ctest's *_postgres) is skipped,
// saying why, when the server binaries are missing: exit 77 before any test.
const bool kSkipWithoutPostgres = [] {
  if (testing::TestingPostgres() && !testing::PostgresInstalled()) {
    std::fprintf(stderr,
                 "SKIPPED: PostgreSQL 15 is not installed (%s/postgres is missing); "
                 "scripts/install-deps.sh installs it\n",
                 testing::kPostgresBin);
    std::exit(77);
  }
  return true;
}();

// The server, or a message and an early return when PostgreSQL is missing.
#define REQUIRE_POSTGRES(server)                                      \
  PostgresServer* server = PostgresServer::Shared();                  \
  if (server == nullptr) {                                            \
    MESSAGE("skipped: PostgreSQL is not installed or did not start"); \
    return;                                                           \
  }

TEST_CASE("a URL's password is redacted wherever it is") {
  CHECK(pg::RedactUrl("postgresql://bob:hunter2@db.example:5432/sweeps?sslmode=require") ==
        "postgresql://bob:***@db.example:5432/sweeps?sslmode=require");
  CHECK(pg::RedactUrl("postgresql+psycopg2://bob:p%40ss@h/db") ==
        "postgresql+psycopg2://bob:***@h/db");
  CHECK(pg::RedactUrl("postgresql://bob@h/db") == "postgresql://bob@h/db");
  CHECK(pg::RedactUrl("postgresql://h/db?user=bob&password=hunter2&sslmode=disable") ==
        "postgresql://h/db?user=bob&password=***&sslmode=disable");
  CHECK(pg::RedactUrl("/tmp/gdsweep.db") == "/tmp/gdsweep.db");
  CHECK(pg::IsPostgresUrl("postgresql+psycopg2://h/db"));
  CHECK(pg::IsPostgresUrl("postgres://h/db"));
  CHECK_FALSE(pg::IsPostgresUrl("mysql://h/db"));
  CHECK_FALSE(pg::IsPostgresUrl("sqlite:///x.db"));
}

TEST_CASE("a wrong password or an unreachable server is a clear error without the password") {
  REQUIRE_POSTGRES(server);
  PostgresOptions o;
  o.url = server->Url("postgres", "wrong-Pw-123");
  auto refused = OpenPostgresStorage(o);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == Error::Kind::kRemote);
  CHECK(refused.error().message.find("password authentication failed") != std::string::npos);
  CHECK(refused.error().message.find("wrong-Pw-123") == std::string::npos);
  CHECK(refused.error().message.find("postgres:***@127.0.0.1") != std::string::npos);

  // Nothing was written: the database has no tables.
  CHECK(Joined(Rows(server->Url("postgres"),
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) == "0\n");

  o.url = "postgresql://postgres:" + std::string(testing::kPostgresPassword) +
          "@127.0.0.1:1/postgres?connect_timeout=2";
  auto unreachable = OpenPostgresStorage(o);
  REQUIRE_FALSE(unreachable.ok());
  CHECK(unreachable.error().kind == Error::Kind::kRemote);
  CHECK(unreachable.error().message.find("cannot reach the server") != std::string::npos);
  CHECK(unreachable.error().message.find(testing::kPostgresPassword) == std::string::npos);

  o.url = "postgresql://h/db?nonsense=1";
  auto bad = OpenPostgresStorage(o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == Error::Kind::kInvalidInput);
}

TEST_CASE("PGPASSWORD supplies a password the URL leaves out") {
  REQUIRE_POSTGRES(server);
  const std::string url = server->CreateDatabase("pgpassword");
  const std::string without = server->Url(url.substr(url.rfind('/') + 1), "");
  ::setenv("PGPASSWORD", testing::kPostgresPassword, 1);
  PostgresOptions o;
  o.url = without;
  auto s = OpenPostgresStorage(o);
  ::unsetenv("PGPASSWORD");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
}

// Optuna's objects in a database, described from the catalog: columns with
// types, nullability and defaults; constraints; indexes; enum types.
std::vector<std::string> OptunaCatalog(const std::string& url) {
  std::vector<std::string> out;
  auto add = [&](const std::vector<std::string>& rows) {
    out.insert(out.end(), rows.begin(), rows.end());
  };
  add(Rows(url,
           "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || "
           "coalesce(character_maximum_length::text, '') || ' ' || is_nullable || ' ' || "
           "coalesce(column_default, '') || ' ' || udt_name "
           "FROM information_schema.columns WHERE table_schema = 'public' "
           "AND table_name NOT LIKE 'gdsweep%' ORDER BY table_name, ordinal_position"));
  add(Rows(url,
           "SELECT c.conrelid::regclass::text || ' ' || c.conname || ' ' || "
           "pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n "
           "ON n.oid = c.connamespace WHERE n.nspname = 'public' "
           "AND c.conrelid::regclass::text NOT LIKE 'gdsweep%' ORDER BY 1"));
  add(Rows(url,
           "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' "
           "AND tablename NOT LIKE 'gdsweep%' AND indexname NOT LIKE 'gdsweep%' ORDER BY 1"));
  add(Rows(url,
           "SELECT t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) "
           "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1"));
  add(Rows(url,
           "SELECT sequencename || ' ' || data_type FROM pg_sequences "
           "WHERE sequencename NOT LIKE 'gdsweep%' ORDER BY 1"));
  add(Rows(url, "SELECT version_num FROM alembic_version"));
  add(Rows(url, "SELECT version_info_id, schema_version FROM version_info"));
  return out;
}

TEST_CASE("gdsweep creates Optuna's PostgreSQL schema as Optuna creates it") {
  REQUIRE_POSTGRES(server);
  if (!testing::HavePythonOptuna()) {
    MESSAGE("skipped: Debian's python3-optuna is not installed");
    return;
  }
  const std::string theirs = server->CreateDatabase("optuna_made");
  auto made = testing::RunCommand(
      {GDSWEEP_PYTHON, "-c",
       "import sys, optuna; optuna.logging.set_verbosity(optuna.logging.WARNING); "
       "optuna.create_study(storage=sys.argv[1].replace('postgresql://', "
       "'postgresql+psycopg2://'), study_name='x')",
       theirs});
  REQUIRE(made.status == 0);
  const std::string ours = server->CreateDatabase("gdsweep_made");
  {
    auto s = testing::OpenOrDie(ours);
    REQUIRE(s->OpenStudy(testing::SmallStudy()).ok());
  }
  const auto expected = OptunaCatalog(theirs);
  REQUIRE(expected.size() > 40);
  CHECK(Joined(OptunaCatalog(ours)) == Joined(expected));
  // gdsweep's tables beside them, at the current version.
  CHECK(Joined(Rows(ours, "SELECT schema_version FROM gdsweep_version_info")) ==
        std::to_string(storage::CurrentGdsweepSchemaVersion()) + "\n");
  // Opening an Optuna-made database adds gdsweep's tables and changes none of Optuna's.
  testing::OpenOrDie(theirs);
  CHECK(Joined(OptunaCatalog(theirs)) == Joined(expected));
}

TEST_CASE("two processes creating the schema at once both succeed") {
  REQUIRE_POSTGRES(server);
  const std::string url = server->CreateDatabase("race");
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto s = testing::OpenTestStorage(url);
      if (!s) std::fprintf(stderr, "child %d: %s\n", i, s.error().message.c_str());
      _exit(s.ok() ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(Joined(Rows(url, "SELECT count(*) FROM alembic_version")) == "1\n");
}

TEST_CASE("a transaction after a server restart reconnects; a study's data survives") {
  REQUIRE_POSTGRES(server);
  const std::string url = server->CreateDatabase("restart");
  auto s = testing::OpenOrDie(url);
  auto study = s->OpenStudy(testing::SmallStudy());
  REQUIRE(study.ok());
  TrialHistory h;
  auto t0 = testing::AskOne(*s, testing::Request(study->study_id, "x"), h);
  REQUIRE(server->Stop());
  REQUIRE(server->Restart());
  // The old connection is gone; the next transaction reconnects.
  REQUIRE(s->FinishTrial(t0.trial_id, testing::Complete(0.5)).ok());
  auto t1 = testing::AskOne(*s, testing::Request(study->study_id, "x"), h);
  CHECK(t1.number == 1);
  auto trials = s->ListTrials(study->study_id, {});
  REQUIRE_MESSAGE(trials.ok(), (trials.ok() ? "" : trials.error().message));
  REQUIRE(trials->size() == 2);
  CHECK((*trials)[0].state == TrialState::kComplete);
}

// Runs an Ask on study `study_id` of a storage of its own in another thread,
// whose sampler (inside the Ask's write transaction) holds it open until
// `release` is set (or 10 s passed).
struct HeldAsk {
  HeldAsk(const std::string& url, int64_t study_id) {
    done = std::async(std::launch::async, [this, url, study_id] {
      auto s = testing::OpenOrDie(url);
      TrialHistory h;
      SampleFn holding = [this](const TrialHistory& history, int64_t number) {
        inside = true;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!release && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        released_in_time = release.load();
        return testing::FixedSample()(history, number);
      };
      auto r = s->Ask(testing::Request(study_id, "x"), h, holding);
      return r.ok() && r->kind == AskResult::Kind::kTrial ? r->trial.number : int64_t{-1};
    });
    while (!inside && done.wait_for(std::chrono::milliseconds(5)) == std::future_status::timeout) {
    }
  }
  std::atomic<bool> inside{false}, release{false}, released_in_time{false};
  std::future<int64_t> done;
};

TEST_CASE("writers of two studies do not wait for each other; writers of one study do") {
  REQUIRE_POSTGRES(server);
  const std::string url = server->CreateDatabase("two_studies");
  auto s = testing::OpenOrDie(url);
  auto a = s->OpenStudy(testing::SmallStudy("a"));
  auto b = s->OpenStudy(testing::SmallStudy("b"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());

  HeldAsk held(url, a->study_id);  // study a's write transaction stays open
  REQUIRE(held.inside);
  // Study b: asked, told and enqueued to while a's Ask holds its transaction.
  TrialHistory h;
  auto other = testing::AskOne(*s, testing::Request(b->study_id, "x"), h);
  REQUIRE(s->FinishTrial(other.trial_id, testing::Complete(0.5)).ok());
  CHECK(held.done.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);

  // Study a: a second writer waits for the first.
  auto second = std::async(std::launch::async, [&] {
    auto s2 = testing::OpenOrDie(url);
    TrialHistory h2;
    auto r = s2->Ask(testing::Request(a->study_id, "x"), h2, testing::FixedSample());
    return r.ok() && r->kind == AskResult::Kind::kTrial ? r->trial.number : int64_t{-1};
  });
  CHECK(second.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);
  held.release = true;
  CHECK(held.done.get() == 0);
  CHECK(held.released_in_time);  // b's writes did not wait for a's 10 s
  CHECK(second.get() == 1);
}

}  // namespace
}  // namespace gdsweep
