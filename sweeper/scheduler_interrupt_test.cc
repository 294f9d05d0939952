// Scheduler and interruptions: a trial the infrastructure stopped (a backend
// event marked interrupted, a dead worker's trial) goes back to WAITING in
// place and runs again with the same parameters, outside the budget and the
// trial's retries; what a dead worker of this host left running is ended
// before its trial runs again. Driven through a scripted fake backend.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <set>

#include "storage/test_support.h"
#include "sweeper/scheduler.h"
#include "sweeper/scheduler_test_support.h"
#include "sweeper/worker.h"

namespace gdsweep {
namespace {

using testing::TempDir;

// Trials print loss=<number> and exit 0 at once, except the first launch of
// each trial number in `interrupt`, which ends interrupted. Records every
// launch and every EndStale call.
class ScriptedBackend : public Backend {
 public:
  std::set<int64_t> interrupt;
  std::vector<TrialLaunch> launches;
  std::vector<std::pair<int64_t, LaunchProcess>> ended_stale;

  Status Start(const TrialLaunch& launch) override {
    launches.push_back(launch);
    pending_.push_back(launch);
    return {};
  }
  Result<std::vector<BackendEvent>> Wait(std::chrono::milliseconds) override {
    std::vector<BackendEvent> events;
    for (const auto& l : pending_) {
      BackendEvent exit;
      exit.kind = BackendEvent::Kind::kExited;
      exit.trial_id = l.trial_id;
      if (l.run == 1 && interrupt.count(l.trial_number)) {
        exit.interrupted = true;
        exit.exit_code = -1;
        exit.reason = "the API server was unreachable for 10m";
      } else {
        BackendEvent out;
        out.trial_id = l.trial_id;
        out.line = "loss=" + std::to_string(l.trial_number);
        events.push_back(out);
      }
      events.push_back(exit);
    }
    pending_.clear();
    return events;
  }
  void Cancel(int64_t, std::chrono::milliseconds) override {}
  size_t Running() const override { return pending_.size(); }
  Status EndStale(int64_t trial_id, const LaunchProcess& process) override {
    ended_stale.emplace_back(trial_id, process);
    return {};
  }

 private:
  std::vector<TrialLaunch> pending_;
};

struct InterruptSweep {
  TempDir dir;
  std::unique_ptr<Storage> storage;
  StudySpec spec;
  std::unique_ptr<Study> study;

  InterruptSweep(int n_trials, int parallelism) {
    spec = testing::SmallSweepSpec(dir, n_trials, parallelism);
    storage = testing::OpenOrDie(dir.File("db.sqlite"));
    study = testing::OpenSweepStudy(dir, *storage, spec);
  }

  RunSummary Run(Backend& backend) { return testing::RunQuietly(*study, backend); }
  std::vector<TrialRecord> Trials() { return testing::AllTrials(*study); }
};

TEST_CASE(
    "a trial the infrastructure interrupted runs again in place, outside budget and retries") {
  InterruptSweep sweep(4, 2);  // trial.retries unset: 0
  ScriptedBackend backend;
  backend.interrupt = {1, 2};
  const RunSummary summary = sweep.Run(backend);
  CHECK(summary.completed == 4);
  CHECK(summary.failed == 0);
  CHECK(summary.interrupted == 2);
  const auto trials = sweep.Trials();
  REQUIRE(trials.size() == 4);  // no copies: the same four trials
  for (const auto& t : trials) {
    CAPTURE(t.number);
    CHECK(t.state == TrialState::kComplete);
    CHECK(t.attempt == 1);
    CHECK(t.values == std::vector<double>{static_cast<double>(t.number)});
    CHECK(t.runs == (t.number == 1 || t.number == 2 ? 2 : 1));
  }
  // The rerun had the same trial, parameters and attempt, and its own run number.
  std::vector<TrialLaunch> of_1;
  for (const auto& l : backend.launches) {
    if (l.trial_number == 1) of_1.push_back(l);
  }
  REQUIRE(of_1.size() == 2);
  CHECK(of_1[0].run == 1);
  CHECK(of_1[1].run == 2);
  CHECK(of_1[1].trial_id == of_1[0].trial_id);
  CHECK(of_1[1].attempt == 1);
  CHECK(of_1[1].params == of_1[0].params);
  auto runs = sweep.storage->ListTrialRuns(of_1[0].trial_id);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 2);
  CHECK((*runs)[0].outcome == "INTERRUPTED");
  CHECK((*runs)[0].reason == "interrupted: the API server was unreachable for 10m");
  CHECK((*runs)[1].outcome == "COMPLETE");
}

TEST_CASE("a dead worker's trial on this host: its process is ended, then it runs again in place") {
  InterruptSweep sweep(2, 1);
  const int64_t study_id = sweep.study->info().study_id;
  // A worker of this host whose process is gone (a child we reaped).
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  REQUIRE(gone > 0);
  ::waitpid(gone, nullptr, 0);
  WorkerInfo dead = ThisWorker(study_id);
  dead.worker_id = "dead-worker";
  dead.pid = gone;
  REQUIRE(sweep.storage->RegisterWorker(dead).ok());
  auto asked = sweep.study->Ask("dead-worker");
  REQUIRE(asked.ok());
  REQUIRE(asked->kind == AskResult::Kind::kTrial);
  const TrialRecord orphan = asked->trial;
  REQUIRE(sweep.storage->RecordRunProcesses({{orphan.trial_id, 1, dead.host, "boot-x", 4242, 99}})
              .ok());

  ScriptedBackend backend;
  const RunSummary summary = sweep.Run(backend);
  CHECK(summary.recovered == 1);
  CHECK(summary.completed == 2);
  CHECK(summary.failed == 0);
  REQUIRE(backend.ended_stale.size() == 1);
  CHECK(backend.ended_stale[0].first == orphan.trial_id);
  CHECK(backend.ended_stale[0].second.pid == 4242);
  CHECK(backend.ended_stale[0].second.start_time == 99);
  CHECK(backend.ended_stale[0].second.boot_id == "boot-x");
  const auto trials = sweep.Trials();
  REQUIRE(trials.size() == 2);
  CHECK(trials[0].trial_id == orphan.trial_id);
  CHECK(trials[0].state == TrialState::kComplete);
  CHECK(trials[0].runs == 2);
  CHECK(trials[1].state == TrialState::kComplete);
}

}  // namespace
}  // namespace gdsweep
