// KubernetesBackend when things go wrong around a trial: a crash between a
// trial's end and the commit of its result (the Job must still be there),
// Jobs left by earlier runs, API outages while a Job is being created (Start
// must not wait, the create is settled by name after recovery), a 429 on one
// create, and an outage that outlasts kubernetes.api_patience.
#include <doctest/doctest.h>

#include "backends/kubernetes/kubernetes_backend_test_support.h"

namespace gdsweep {
namespace {

using namespace testing;

// Waits for `id`'s exit, handing it out but not releasing it.
BackendEvent ExitOf(Backend& b, int64_t id, std::vector<std::string>* lines = nullptr,
                    std::chrono::seconds limit = 60s) {
  auto exit = WaitForEvent(
      b, id,
      [&](const BackendEvent& ev) {
        if (ev.kind == BackendEvent::Kind::kExited) return true;
        if (lines) lines->push_back(ev.line);
        return false;
      },
      limit);
  if (exit) return *exit;
  FAIL("trial " << id << " did not end in time");
  return {};
}

// Blocks until the fake runs a pod process (the trial is really running).
void WaitForProcesses(const FakeCluster& fake, size_t n) {
  const auto deadline = Clock::now() + 30s;
  while (fake.AdminGet("processes")["processes"].size() < n && Clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(fake.AdminGet("processes")["processes"].size() >= n);
}

TEST_CASE("a finished Job outlives its exit until Release: kill -9 before the commit lost it") {
  FakeCluster fake;
  TrialLaunch l = Py(31, "print('loss=0.5')");
  {
    auto first = Make(fake);
    REQUIRE(first->Start(l).ok());
    std::vector<std::string> lines;
    BackendEvent exit = ExitOf(*first, 31, &lines);
    CHECK(exit.exit_code == 0);
    CHECK(lines == std::vector<std::string>{"loss=0.5"});
    // The engine has the exit but has not committed it yet; the process dies here.
    std::this_thread::sleep_for(1500ms);
    CHECK(JobExists(fake, l));
  }
  CHECK(JobExists(fake, l));
  // The next run re-attaches the RUNNING trial and reads its result again.
  auto second = Make(fake);
  auto r = second->Reattach(l);
  REQUIRE(r.ok());
  REQUIRE(*r);
  auto seen = RunAll(*second);  // releases the exit: now the Job goes
  REQUIRE(seen[31].exits == 1);
  CHECK(seen[31].exit->exit_code == 0);
  CHECK(seen[31].lines == std::vector<std::string>{"loss=0.5"});
  second.reset();
  CHECK_FALSE(JobExists(fake, l));
  CHECK(fake.JobsCreated(JobOf(l)) == 1);
}

TEST_CASE("ReleaseLeftovers deletes the Jobs of finished and requeued trials, nothing else") {
  FakeCluster fake;
  TrialLaunch finished = Py(41, "print('loss=1')");
  TrialLaunch running = Py(42, "import time; time.sleep(30)");
  TrialLaunch requeued = Py(43, "import time; time.sleep(30)");
  TrialLaunch foreign = Py(44, "import time; time.sleep(30)");
  {
    auto first = Make(fake);
    for (const auto& l : {finished, running, requeued, foreign}) REQUIRE(first->Start(l).ok());
    ExitOf(*first, 41);  // finished; "killed" before Release
    WaitForProcesses(fake, 3);
  }
  TrialLaunch again = requeued;
  again.run = 2;  // its next launch has a Job of another name
  std::map<int64_t, std::optional<TrialLaunch>> trials = {
      {41, std::nullopt}, {42, running}, {43, again}};  // 44: not this database's
  auto b = Make(fake);
  REQUIRE(b->ReleaseLeftovers("kb", trials).ok());
  CHECK_FALSE(JobExists(fake, finished));
  CHECK(JobExists(fake, running));
  CHECK_FALSE(JobExists(fake, requeued));
  CHECK(JobExists(fake, foreign));
  // Another study's Jobs are never listed.
  CHECK(b->ReleaseLeftovers("other", {{42, std::nullopt}}).ok());
  CHECK(JobExists(fake, running));
  // With on_finish: keep, an ended Job stays; one still running goes.
  KubernetesSpec keep = Spec();
  keep.delete_finished = false;
  TrialLaunch kept = Py(45, "print('loss=1')");
  auto k = Make(fake, keep);
  REQUIRE(k->Start(kept).ok());
  RunAll(*k);
  REQUIRE(k->ReleaseLeftovers("kb", {{45, std::nullopt}, {42, std::nullopt}}).ok());
  CHECK(JobExists(fake, kept));
  CHECK_FALSE(JobExists(fake, running));
}

TEST_CASE(
    "an API outage while a Job is created: Start returns at once, the running trial is "
    "untouched, the create is settled by name after recovery") {
  FakeCluster fake;
  auto b = Make(fake);  // the default api_patience (10 minutes)
  TrialLaunch running = Py(51,
                           "import time\n"
                           "print('step=1', flush=True)\n"
                           "time.sleep(4)\n"
                           "print('loss=1')");
  REQUIRE(b->Start(running).ok());
  WaitForProcesses(fake, 1);
  // The server makes the next Job, then dies before answering; down for 8 s.
  fake.Admin("outage", R"({"seconds": 8, "afterNextPost": true})");
  TrialLaunch created = Py(52, "print('loss=2')");
  const auto before = Clock::now();
  REQUIRE(b->Start(created).ok());
  CHECK(Clock::now() - before < 1s);  // the engine is not held up by the outage
  auto seen = RunAll(*b, 90s);
  REQUIRE(seen[51].exits == 1);
  CHECK(seen[51].exit->exit_code == 0);
  CHECK_FALSE(seen[51].exit->interrupted);
  CHECK(seen[51].lines == std::vector<std::string>{"step=1", "loss=1"});
  REQUIRE(seen[52].exits == 1);
  CHECK(seen[52].exit->exit_code == 0);
  CHECK(seen[52].lines == std::vector<std::string>{"loss=2"});
  CHECK(fake.JobsCreated(JobOf(running)) == 1);
  CHECK(fake.JobsCreated(JobOf(created)) == 1);  // adopted after 409, not made twice
  b.reset();
  CHECK_FALSE(JobExists(fake, running));
  CHECK_FALSE(JobExists(fake, created));
}

TEST_CASE("a 429 with Retry-After delays that create only, not Start") {
  FakeCluster fake;
  auto b = Make(fake);
  fake.Admin("faults", R"({"rate": 1.0, "codes": ["429"], "seed": 1})");
  const auto before = Clock::now();
  REQUIRE(b->Start(Py(61, "print('loss=1')")).ok());
  REQUIRE(b->Start(Py(62, "print('loss=2')")).ok());
  CHECK(Clock::now() - before < 500ms);
  std::this_thread::sleep_for(1500ms);
  fake.Admin("faults", R"({"rate": 0.0})");
  auto seen = RunAll(*b, 60s);
  for (int64_t id : {61, 62}) {
    REQUIRE(seen[id].exits == 1);
    CHECK(seen[id].exit->exit_code == 0);
  }
}

TEST_CASE(
    "an outage longer than api_patience interrupts the followed trials, then a remote error") {
  FakeCluster fake;
  KubernetesSpec spec = Spec();
  spec.api_patience_seconds = 2;
  auto b = Make(fake, spec);
  REQUIRE(b->Start(Py(71, "import time; print('up', flush=True); time.sleep(30)")).ok());
  WaitForProcesses(fake, 1);
  fake.Admin("outage", R"({"seconds": 8})");
  const auto since = Clock::now();
  BackendEvent exit = ExitOf(*b, 71, nullptr, 30s);
  CHECK(exit.interrupted);
  CHECK_FALSE(exit.cancelled);
  CHECK(exit.reason.find("kubernetes.api_patience") != std::string::npos);
  CHECK(Clock::now() - since < 7s);
  auto after = b->Wait(1s);
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().kind == Error::Kind::kRemote);
  CHECK(after.error().message.find("has not answered") != std::string::npos);
  CHECK(b->Running() == 0);
}

}  // namespace
}  // namespace gdsweep
