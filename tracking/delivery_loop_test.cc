// DeliveryLoop with the MLflow tracker against the fake MLflow server: it
// delivers while trials are made, flushes on Stop, and keeps everything while
// the server is down. Times are asserted only as generous bounds.
#include "tracking/delivery_loop.h"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "tracking/captured_logs_test_support.h"
#include "tracking/fake_mlflow_test_support.h"
#include "tracking/mlflow_tracker.h"
#include "tracking/tracker_test_support.h"

namespace gdsweep {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::FakeMlflow;
using testing::TrackedStudy;

DeliveryLoopOptions LoopOptions(const FakeMlflow& fake, TrackedStudy& s,
                                const std::string& owner = "w1") {
  DeliveryLoopOptions o;
  o.open_storage = [&s]() -> Result<std::unique_ptr<Storage>> { return s.Open(); };
  o.make_tracker = [target = s.target(), client = fake.ClientOptions()] {
    return MakeMlflowTracker(target, client);
  };
  o.study = s.study();
  o.tag = s.tag();
  o.owner = owner;
  o.server = fake.Url();
  o.idle_poll = milliseconds(50);
  o.first_backoff = milliseconds(100);
  o.max_backoff = milliseconds(400);
  return o;
}

// Waits up to 20 s for `done`.
bool Eventually(const std::function<bool()>& done) {
  const auto until = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return done();
}

void MakeTrials(TrackedStudy& s, int n, DeliveryLoop* loop) {
  for (int i = 0; i < n; ++i) {
    auto t = s.Start();
    if (loop) loop->Nudge();
    s.Report(t, {{0, 1.0}, {1, 0.5}});
    if (loop) loop->Nudge();
    s.Finish(t, TrialState::kComplete, {0.1 * i});
    if (loop) loop->Nudge();
  }
}

TEST_CASE("the loop delivers while trials are made; Stop flushes the rest") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  DeliveryLoop loop(LoopOptions(fake, s));
  REQUIRE(loop.Start().ok());
  auto first = s.Start();
  loop.Nudge();
  // What the scheduler waits for before launching the trial with MLFLOW_RUN_ID.
  CHECK(Eventually([&] { return s.RunOf(first.trial_id).has_value(); }));
  s.Finish(first, TrialState::kComplete, {0.5});
  loop.Nudge();
  MakeTrials(s, 4, &loop);
  CHECK(loop.reachable());
  const auto report = loop.Stop(std::chrono::seconds(20));
  REQUIRE_MESSAGE(report.ok(), (report.ok() ? "" : report.error().message));
  CHECK(report->delivered == 14);
  CHECK(report->pending == 0);
  CHECK(report->dead == 0);
  CHECK_FALSE(report->stopped_by.has_value());
  CHECK_FALSE(loop.last_error().has_value());
  CHECK(testing::ReadRuns(fake.Runs()).size() == 6);
  CHECK(s.Counts().pending == 0);
}

TEST_CASE("Stop delivers what was written without a Nudge") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  auto options = LoopOptions(fake, s);
  options.idle_poll = std::chrono::hours(1);  // only Stop will look again
  DeliveryLoop loop(options);
  REQUIRE(loop.Start().ok());
  MakeTrials(s, 3, nullptr);
  const auto report = loop.Stop(std::chrono::seconds(20));
  REQUIRE(report.ok());
  CHECK(report->delivered == 9);
  CHECK(report->pending == 0);
  CHECK(testing::ReadRuns(fake.Runs()).size() == 4);
}

TEST_CASE("a server that is down: reports are kept, Stop keeps to flush_for, all go later") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  fake.SetFault("down");
  MakeTrials(s, 3, nullptr);
  {
    DeliveryLoop loop(LoopOptions(fake, s));
    REQUIRE(loop.Start().ok());
    CHECK(Eventually([&] { return !loop.reachable(); }));
    const auto error = loop.last_error();
    REQUIRE(error.has_value());
    CHECK(error->kind == Error::Kind::kIo);
    CHECK(error->message.find(fake.Url()) != std::string::npos);
    const auto stop_at = Clock::now();
    const auto report = loop.Stop(milliseconds(1000));
    const auto took = Clock::now() - stop_at;
    REQUIRE(report.ok());
    CHECK(took < std::chrono::seconds(8));
    CHECK(report->delivered == 0);
    CHECK(report->pending == 9);
    CHECK(report->dead == 0);
    REQUIRE(report->stopped_by.has_value());
    CHECK(report->stopped_by->kind == Error::Kind::kIo);
  }
  CHECK(s.Counts().pending == 9);
  CHECK(fake.Runs().empty());

  fake.ClearFault();
  DeliveryLoop later(LoopOptions(fake, s));  // the lease was given up by Stop
  REQUIRE(later.Start().ok());
  const auto report = later.Stop(std::chrono::seconds(20));
  REQUIRE(report.ok());
  CHECK(report->delivered == 9);
  CHECK(report->pending == 0);
  CHECK(testing::ReadRuns(fake.Runs()).size() == 4);
}

TEST_CASE("the server goes away and comes back while the loop runs: one warning, one info") {
#ifdef GDSWEEP_CHECK_LOGS
  testing::CapturedLogs logs;
#else
  MESSAGE("log lines not checked: the test does not link spdlog");
#endif
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  DeliveryLoop loop(LoopOptions(fake, s));
  REQUIRE(loop.Start().ok());
  MakeTrials(s, 2, &loop);
  CHECK(Eventually([&] { return s.Counts().pending == 0; }));

  fake.SetFault("down");
  MakeTrials(s, 3, &loop);
  CHECK(Eventually([&] { return !loop.reachable(); }));
  std::this_thread::sleep_for(milliseconds(1500));  // several failed passes and Nudges
  CHECK(loop.last_report().pending > 0);
  fake.ClearFault();
  loop.Nudge();
  CHECK(Eventually([&] { return loop.reachable() && s.Counts().pending == 0; }));
  CHECK_FALSE(loop.last_error().has_value());
  const auto report = loop.Stop(std::chrono::seconds(20));
  REQUIRE(report.ok());
  CHECK(report->delivered == 15);
  CHECK(report->pending == 0);
  CHECK(testing::ReadRuns(fake.Runs()).size() == 6);
#ifdef GDSWEEP_CHECK_LOGS
  CHECK(logs.Count("warning", "reports kept and retried") == 1);
  CHECK(logs.Count("info", "delivering again") == 1);
#endif
}

TEST_CASE("a loop whose lease another process holds stops at once and leaves the work to it") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  MakeTrials(s, 2, nullptr);
  // Another process took the lease (its server was down) and has not let go.
  fake.SetFault("down");
  auto other = MakeMlflowTracker(s.target(), fake.ClientOptions());
  REQUIRE(other.ok());
  REQUIRE((*other)->Deliver(s.storage(), s.study(), s.tag(), "w-other", milliseconds(5000)).ok());
  fake.ClearFault();

  DeliveryLoop loop(LoopOptions(fake, s, "w-mine"));
  REQUIRE(loop.Start().ok());
  const auto stop_at = Clock::now();
  const auto report = loop.Stop(std::chrono::seconds(10));
  REQUIRE(report.ok());
  CHECK(Clock::now() - stop_at < std::chrono::seconds(5));
  CHECK(report->lease_held_elsewhere);
  CHECK(report->delivered == 0);
  CHECK(report->pending == 6);
  CHECK(fake.Runs().empty());
}

TEST_CASE("Start reports a tracker that cannot be made; Stop without Start is an error") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  auto options = LoopOptions(fake, s);
  options.make_tracker = [] {
    TrackingTarget bad;
    bad.uri = "file:///tmp/mlruns";
    return MakeMlflowTracker(bad);
  };
  DeliveryLoop loop(options);
  auto started = loop.Start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().kind == Error::Kind::kInvalidInput);
  CHECK_FALSE(loop.Stop(milliseconds(0)).ok());
}

}  // namespace
}  // namespace gdsweep
