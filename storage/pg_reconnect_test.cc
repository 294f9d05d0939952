// PostgreSQL: a transaction that a lost connection cuts off is run again
// whole on a new connection, and applied exactly once: killed between the
// statements of a write, cut by a server restart, or losing the answer to
// COMMIT (asked of the server by txid). A server that stays away is a clear
// error after the reconnect timeout.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "storage/pg_db.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::AskOne;
using testing::Complete;
using testing::FixedSample;
using testing::PostgresServer;
using testing::Request;
using testing::Rows;

#define REQUIRE_POSTGRES(server)                                      \
  PostgresServer* server = PostgresServer::Shared();                  \
  if (server == nullptr) {                                            \
    MESSAGE("skipped: PostgreSQL is not installed or did not start"); \
    return;                                                           \
  }

// Terminates, from a connection of its own, every other session of the
// database that sits in an open transaction; returns how many.
std::string KillSessionsInTransaction(const std::string& url) {
  auto rows = Rows(url,
                   "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
                   "FROM pg_stat_activity WHERE datname = current_database() "
                   "AND pid <> pg_backend_pid() AND state = 'idle in transaction'");
  return rows.empty() ? "" : rows[0];
}

// A database with SmallStudy() reported to a tracking target for tag "x", so
// each state change also writes one outbox message.
struct Tracked {
  explicit Tracked(PostgresServer& server, const std::string& hint)
      : url(server.CreateDatabase(hint)), s(testing::OpenOrDie(url)) {
    study_id = testing::OpenTrackedStudy(*s, "x");
  }
  std::vector<std::string> Outbox() const {
    return Rows(url, "SELECT kind, trial_number FROM gdsweep_tracking_outbox ORDER BY id");
  }
  std::vector<std::string> Trials() const {
    return Rows(url,
                "SELECT t.number, t.state, g.tag, g.runs FROM trials t "
                "JOIN gdsweep_trials g USING (trial_id) ORDER BY t.number");
  }
  // An Ask of tag "x" whose COMMIT suffers `fault`; `calls` counts its
  // sampler's calls (one per attempt that got that far).
  Result<AskResult> AskWith(pg::CommitFault fault, int& calls) {
    pg::InjectCommitFaultForTesting(fault);
    SampleFn counting = [&calls](const TrialHistory& history, int64_t number) {
      ++calls;
      return FixedSample()(history, number);
    };
    return s->Ask(Request(study_id, "x"), h, counting);
  }
  std::string url;
  std::unique_ptr<Storage> s;
  int64_t study_id = 0;
  TrialHistory h;
};

TEST_CASE("an Ask whose connection is killed between its statements lands exactly once") {
  REQUIRE_POSTGRES(server);
  Tracked db(*server, "killed_ask");
  auto t0 = AskOne(*db.s, Request(db.study_id, "x"), db.h);

  // The sampler runs inside the Ask's transaction, after the finish of t0 and
  // the history read: the session is killed there, so the insert that
  // follows finds the connection gone.
  int calls = 0;
  std::string killed;
  SampleFn killing = [&](const TrialHistory& h, int64_t number) {
    if (++calls == 1) killed = KillSessionsInTransaction(db.url);
    return FixedSample()(h, number);
  };
  auto req = Request(db.study_id, "x");
  req.finish_first = {{t0.trial_id, Complete(0.5)}};
  auto r = db.s->Ask(req, db.h, killing);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(killed == "1");
  CHECK(calls == 2);  // the whole transaction ran again
  REQUIRE(r->kind == AskResult::Kind::kTrial);
  CHECK(r->trial.number == 1);
  CHECK(r->finish_errors.empty());
  CHECK(db.Trials() == std::vector<std::string>{"0|COMPLETE|x|1", "1|RUNNING|x|1"});
  CHECK(db.Outbox() ==
        std::vector<std::string>{"run_started|0", "run_finished|0", "run_started|1"});
  CHECK(Rows(db.url, "SELECT fresh_trials FROM gdsweep_sweeps") == std::vector<std::string>{"2"});
  // The history the retry read holds each trial once, as stored.
  REQUIRE(db.h.trials.size() == 2);
  CHECK(db.h.trials[0].state == TrialState::kComplete);
  CHECK(db.h.trials[1].number == 1);
}

TEST_CASE("a server restart in the middle of a write: the write lands once on the new server") {
  REQUIRE_POSTGRES(server);
  Tracked db(*server, "restart_mid");
  auto t0 = AskOne(*db.s, Request(db.study_id, "x"), db.h);
  int calls = 0;
  bool restarted = false;
  SampleFn restarting = [&](const TrialHistory& h, int64_t number) {
    if (++calls == 1) restarted = server->Stop() && server->Restart();
    return FixedSample()(h, number);
  };
  auto req = Request(db.study_id, "x");
  req.finish_first = {{t0.trial_id, Complete(0.25)}};
  auto r = db.s->Ask(req, db.h, restarting);
  REQUIRE(restarted);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(calls == 2);
  CHECK(r->trial.number == 1);
  CHECK(db.Trials() == std::vector<std::string>{"0|COMPLETE|x|1", "1|RUNNING|x|1"});
  CHECK(db.Outbox() ==
        std::vector<std::string>{"run_started|0", "run_finished|0", "run_started|1"});
  // And the connection serves the next methods as before.
  REQUIRE(db.s->FinishTrial(r->trial.trial_id, Complete(0.125)).ok());
  auto trials = db.s->ListTrials(db.study_id, {});
  REQUIRE(trials.ok());
  CHECK(trials->size() == 2);
}

TEST_CASE("a lost answer to COMMIT of a write that committed is not applied again") {
  REQUIRE_POSTGRES(server);
  Tracked db(*server, "lost_answer");
  int calls = 0;
  auto r = db.AskWith(pg::CommitFault::kDropCommitAnswer, calls);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(calls == 1);
  CHECK(r->trial.number == 0);
  CHECK(db.Trials() == std::vector<std::string>{"0|RUNNING|x|1"});

  // A finish whose COMMIT answer is lost: done once, not refused as a
  // finish of a trial no longer RUNNING.
  pg::InjectCommitFaultForTesting(pg::CommitFault::kDropCommitAnswer);
  auto finished = db.s->FinishTrial(r->trial.trial_id, Complete(0.5));
  REQUIRE_MESSAGE(finished.ok(), (finished.ok() ? "" : finished.error().message));
  CHECK(db.Trials() == std::vector<std::string>{"0|COMPLETE|x|1"});
  CHECK(db.Outbox() == std::vector<std::string>{"run_started|0", "run_finished|0"});
  auto next = AskOne(*db.s, Request(db.study_id, "x"), db.h);
  CHECK(next.number == 1);
}

TEST_CASE("a write whose connection is lost before COMMIT is sent is run again, once") {
  REQUIRE_POSTGRES(server);
  Tracked db(*server, "lost_commit");
  int calls = 0;
  auto r = db.AskWith(pg::CommitFault::kDropBeforeCommit, calls);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(calls == 2);
  CHECK(r->trial.number == 0);
  CHECK(db.Trials() == std::vector<std::string>{"0|RUNNING|x|1"});
  CHECK(db.Outbox() == std::vector<std::string>{"run_started|0"});
}

TEST_CASE("a server that stays away is an Error::Remote after the reconnect timeout") {
  REQUIRE_POSTGRES(server);
  const std::string url = server->CreateDatabase("stays_away");
  PostgresOptions o;
  o.url = url;
  o.reconnect_timeout_ms = 1500;
  auto s = OpenPostgresStorage(o);
  REQUIRE(s.ok());
  auto study = (*s)->OpenStudy(testing::SmallStudy());
  REQUIRE(study.ok());
  REQUIRE(server->Stop());
  auto r = (*s)->ListTrials(study->study_id, {});
  const bool restarted = server->Restart();
  REQUIRE(restarted);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kRemote);
  CHECK(r.error().message.find("could not be reached for 1 s") != std::string::npos);
  CHECK(r.error().message.find(testing::kPostgresPassword) == std::string::npos);
  // Back again: the same storage carries on.
  auto again = (*s)->ListTrials(study->study_id, {});
  CHECK(again.ok());
}

}  // namespace
}  // namespace gdsweep
