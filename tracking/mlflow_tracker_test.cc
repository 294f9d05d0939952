// MlflowTracker against the fake MLflow server (tests/fakes/mlflow), on a
// SQLite database whose trials are made through Storage as `gdsweep run` does.
#include "tracking/mlflow_tracker.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tracking/captured_logs_test_support.h"
#include "tracking/fake_mlflow_test_support.h"
#include "tracking/mlflow_client.h"
#include "tracking/tracker_test_support.h"

namespace gdsweep {
namespace {

using nlohmann::json;
using testing::FakeMlflow;
using testing::StoredRun;
using testing::TrackedStudy;
using testing::TrackedStudyOptions;

constexpr auto kLongBudget = std::chrono::seconds(60);
constexpr double kTrackerMaxDouble = std::numeric_limits<double>::max();

std::unique_ptr<Tracker> TrackerFor(const FakeMlflow& fake, const TrackingTarget& target,
                                    std::optional<mlflow::ClientOptions> client = std::nullopt) {
  auto t = MakeMlflowTracker(target, client ? *client : fake.ClientOptions());
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().message));
  return std::move(*t);
}

DeliveryReport Deliver(Tracker& tracker, TrackedStudy& s, Storage* storage = nullptr,
                       const std::string& owner = "w1",
                       std::chrono::milliseconds budget = kLongBudget) {
  auto r = tracker.Deliver(storage ? *storage : s.storage(), s.study(), s.tag(), owner, budget);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return *r;
}

// The active runs on the server by name; a name twice fails the test.
std::map<std::string, StoredRun> RunsByName(const FakeMlflow& fake) {
  std::map<std::string, StoredRun> out;
  for (auto& r : testing::ReadRuns(fake.Runs())) {
    CHECK_MESSAGE(!out.count(r.run_name), "run " << r.run_name << " exists twice");
    out[r.run_name] = std::move(r);
  }
  return out;
}

// The points of `key` as (step, value) pairs in the server's order.
std::vector<std::pair<int64_t, json>> Points(const StoredRun& run, const std::string& key) {
  std::vector<std::pair<int64_t, json>> out;
  auto it = run.history.find(key);
  if (it == run.history.end()) return out;
  for (const auto& p : it->second) out.emplace_back(p[0].get<int64_t>(), p[2]);
  return out;
}

int64_t Ms(std::optional<double> seconds) {
  REQUIRE(seconds.has_value());
  return std::llround(*seconds * 1000);
}

TEST_CASE("a sweep's runs appear once, with parent, names, tags, params, metrics and statuses") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  auto t0 = s.Start();
  s.Report(t0, {{0, 0.9}, {1, 0.7}});
  s.Finish(t0, TrialState::kComplete, {0.5});
  auto t1 = s.Start();
  s.Finish(t1, TrialState::kFail, {}, "exit status 1");
  auto t2 = s.Start();
  s.Report(t2, {{0, 0.8}});
  s.Finish(t2, TrialState::kPruned, {}, "pruned at step 0");
  auto t3 = s.Start();
  s.Finish(t3, TrialState::kFail, {}, "interrupted by SIGINT", TrialOutcome::Requeue::kRerun);
  auto t4 = s.Start();  // trial 3 again: an interrupted trial reruns in place
  REQUIRE(t4.trial_id == t3.trial_id);
  s.Finish(t4, TrialState::kComplete, {0.3});
  REQUIRE(s.Counts().pending == 12);

  auto tracker = TrackerFor(fake, s.target());
  const DeliveryReport report = Deliver(*tracker, s);
  CHECK(report.delivered == 12);
  CHECK(report.pending == 0);
  CHECK(report.dead == 0);
  CHECK_FALSE(report.stopped_by.has_value());
  CHECK_FALSE(report.lease_held_elsewhere);

  auto runs = RunsByName(fake);
  REQUIRE(runs.size() == 5);  // the parent and trials 0-3: the rerun continued trial 3's run
  const StoredRun& parent = runs.at("s/sweep-1");
  CHECK(parent.tags.at("hptuning_tag") == "sweep-1");
  CHECK(parent.tags.at("gdsweep.study") == "s");
  CHECK(parent.tags.at("gdsweep.run_key") == s.target().run_key + ":parent:sweep-1");
  CHECK(parent.tags.count("mlflow.parentRunId") == 0);
  REQUIRE(s.RunOf(0).has_value());
  CHECK(s.RunOf(0)->run_id == parent.run_id);
  CHECK(s.RunOf(0)->experiment_id == parent.experiment_id);

  for (const auto& t : {t0, t1, t2, t4}) {
    CAPTURE(t.number);
    const StoredRun& run = runs.at("trial-" + std::to_string(t.number));
    CHECK(run.experiment_id == parent.experiment_id);
    CHECK(run.tags.at("mlflow.parentRunId") == parent.run_id);
    CHECK(run.tags.at("hptuning_tag") == "sweep-1");
    CHECK(run.tags.at("gdsweep.study") == "s");
    CHECK(run.tags.at("gdsweep.trial_number") == std::to_string(t.number));
    CHECK(run.tags.at("gdsweep.trial_attempt") == "1");
    CHECK(run.tags.at("gdsweep.run_key") == s.target().run_key + ":" + std::to_string(t.trial_id));
    CHECK(run.params.at("layers") == std::to_string(std::llround(t.params.at("layers"))));
    CHECK(run.params.at("opt") == std::string(t.params.at("opt") == 0 ? "adam" : "sgd"));
    const TrialRecord stored = s.Trial(t.number);
    CHECK(std::llabs(run.start_time - Ms(stored.datetime_start)) <= 1);
    REQUIRE(run.end_time.has_value());
    CHECK(std::llabs(*run.end_time - Ms(stored.datetime_complete)) <= 1);
    REQUIRE(s.RunOf(t.trial_id).has_value());
    CHECK(s.RunOf(t.trial_id)->run_id == run.run_id);
  }
  const StoredRun& r0 = runs.at("trial-0");
  CHECK(r0.params.at("lr") == "0.001");
  CHECK(r0.status == "FINISHED");
  CHECK(r0.tags.at("gdsweep.state") == "COMPLETE");
  CHECK(r0.tags.count("gdsweep.failure_reason") == 0);
  const auto p0 = Points(r0, "loss");
  REQUIRE(p0.size() == 3);
  CHECK(p0[0] == std::make_pair(int64_t(0), json(0.9)));
  CHECK(p0[1] == std::make_pair(int64_t(1), json(0.7)));
  CHECK(p0[2] == std::make_pair(int64_t(2), json(0.5)));  // the final value, one step on
  CHECK(r0.history.at("loss")[2][1].get<int64_t>() == *r0.end_time);

  const StoredRun& r1 = runs.at("trial-1");
  CHECK(r1.params.at("lr") == "0.002");
  CHECK(r1.status == "FAILED");
  CHECK(r1.tags.at("gdsweep.state") == "FAIL");
  CHECK(r1.tags.at("gdsweep.failure_reason") == "exit status 1");
  CHECK(Points(r1, "loss").empty());

  const StoredRun& r2 = runs.at("trial-2");
  CHECK(r2.status == "KILLED");
  CHECK(r2.tags.at("gdsweep.state") == "PRUNED");
  CHECK(r2.tags.at("gdsweep.failure_reason") == "pruned at step 0");
  CHECK(r2.tags.at("gdsweep.pruned") == "true");
  CHECK(r2.tags.at("gdsweep.pruned_step") == "0");
  CHECK(Points(r2, "loss") == std::vector<std::pair<int64_t, json>>{{0, json(0.8)}});

  // Marked KILLED when interrupted; its rerun then finished the same run.
  const StoredRun& r3 = runs.at("trial-3");
  CHECK(r3.status == "FINISHED");
  CHECK(r3.tags.at("gdsweep.interrupted") == "true");
  CHECK(r3.tags.at("gdsweep.state") == "COMPLETE");
  CHECK(Points(r3, "loss") == std::vector<std::pair<int64_t, json>>{{0, json(0.3)}});

  SUBCASE("delivering again sends nothing") {
    const int requests = static_cast<int>(fake.Requests().size());
    const DeliveryReport again = Deliver(*tracker, s);
    CHECK(again.delivered == 0);
    CHECK(again.pending == 0);
    CHECK(static_cast<int>(fake.Requests().size()) == requests);
  }
}

TEST_CASE("a delivery the database never recorded is done again without duplicates") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  auto t0 = s.Start();
  s.Report(t0, {{0, std::numeric_limits<double>::quiet_NaN()},
                {1, std::numeric_limits<double>::infinity()},
                {2, -std::numeric_limits<double>::infinity()}});
  s.Finish(t0, TrialState::kComplete, {0.25});
  auto t1 = s.Start();
  s.Finish(t1, TrialState::kComplete, {std::numeric_limits<double>::infinity()});

  // The process "dies" after the server did everything and before any of it
  // reached the database (settling is dropped).
  {
    struct Forgetful : testing::StorageWrapper {
      using StorageWrapper::StorageWrapper;
      Status SettleOutbox(int64_t, const std::string&, const OutboxUpdate&) override { return {}; }
    } forgetful(s.storage());
    auto first = TrackerFor(fake, s.target());
    const DeliveryReport r = Deliver(*first, s, &forgetful);
    CHECK(r.pending == 5);
  }
  const auto before = RunsByName(fake);
  REQUIRE(before.size() == 3);

  auto second = TrackerFor(fake, s.target());  // a new process
  const DeliveryReport r = Deliver(*second, s);
  CHECK(r.delivered == 5);
  CHECK(r.pending == 0);
  const auto after = RunsByName(fake);
  REQUIRE(after.size() == 3);
  CHECK(s.RunOf(0)->run_id == after.at("s/sweep-1").run_id);
  CHECK(s.RunOf(t0.trial_id)->run_id == after.at("trial-0").run_id);
  for (const auto& name : {"trial-0", "trial-1"}) {
    CAPTURE(name);
    CHECK(after.at(name).run_id == before.at(name).run_id);
    CHECK(after.at(name).history == before.at(name).history);
  }
  // Non-finite values as MLflow's SQL stores keep them.
  const auto p0 = Points(after.at("trial-0"), "loss");
  REQUIRE(p0.size() == 4);
  CHECK(p0[0].second == json("NaN"));
  CHECK(p0[1].second == json(kTrackerMaxDouble));
  CHECK(p0[2].second == json(-kTrackerMaxDouble));
  CHECK(p0[3] == std::make_pair(int64_t(3), json(0.25)));
  CHECK(Points(after.at("trial-1"), "loss") ==
        std::vector<std::pair<int64_t, json>>{{0, json(kTrackerMaxDouble)}});

  // ReadValues turns the clamped value back into infinity.
  auto values = second->ReadValues(*s.RunOf(t1.trial_id), {{"loss", Direction::kMinimize}});
  REQUIRE(values.ok());
  CHECK(values->values == std::vector<double>{std::numeric_limits<double>::infinity()});
}

TEST_CASE("reports leave only after a sync of the database; a failed sync sends nothing") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  auto t = s.Start();
  s.Finish(t, TrialState::kComplete, {0.5});
  struct Syncing : testing::StorageWrapper {
    Syncing(Storage& inner, const FakeMlflow& f) : StorageWrapper(inner), fake(f) {}
    Status Sync() override {
      requests_seen.push_back(fake.Requests().size());
      if (broken) return Error::Io("disk gone");
      return StorageWrapper::Sync();
    }
    const FakeMlflow& fake;
    bool broken = true;
    std::vector<size_t> requests_seen;
  } syncing(s.storage(), fake);

  auto tracker = TrackerFor(fake, s.target());
  auto refused = tracker->Deliver(syncing, s.study(), s.tag(), "w1", kLongBudget);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("disk gone") != std::string::npos);
  CHECK(fake.Requests().empty());
  CHECK(syncing.requests_seen == std::vector<size_t>{0});

  syncing.broken = false;
  const DeliveryReport r = Deliver(*tracker, s, &syncing);
  CHECK(r.delivered == 2);  // trial 0 started and finished
  REQUIRE(syncing.requests_seen.size() >= 2);
  CHECK(syncing.requests_seen[1] == 0);  // synced before the first request
  CHECK(RunsByName(fake).count("trial-0") == 1);
}

TEST_CASE("a server that is down stops the pass; nothing is lost and all goes once it is back") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  for (int i = 0; i < 3; ++i) {
    auto t = s.Start();
    s.Report(t, {{0, 1.0 / (i + 1)}});
    s.Finish(t, TrialState::kComplete, {0.1 * i});
  }
  auto tracker = TrackerFor(fake, s.target());

  SUBCASE("connections refused") {
    fake.SetFault("down");
    const DeliveryReport down = Deliver(*tracker, s);
    CHECK(down.delivered == 0);
    CHECK(down.pending == 9);
    CHECK(down.dead == 0);
    REQUIRE(down.stopped_by.has_value());
    CHECK(down.stopped_by->kind == Error::Kind::kIo);
    CHECK(down.stopped_by->message.find(fake.Url()) != std::string::npos);
    fake.ClearFault();
  }
  SUBCASE("log-batch answers 503 after the run was created") {
    fake.SetFault({{"mode", "503"}, {"paths", json::array({"/runs/log-batch"})}});
    const DeliveryReport failing = Deliver(*tracker, s);
    CHECK(failing.delivered == 0);
    CHECK(failing.pending == 9);
    REQUIRE(failing.stopped_by.has_value());
    CHECK(failing.stopped_by->message.find("503") != std::string::npos);
    // The run exists and is recorded although its message is still pending.
    CHECK(s.RunOf(s.Trial(0).trial_id).has_value());
    fake.ClearFault();
  }
  const DeliveryReport back = Deliver(*tracker, s);
  CHECK(back.delivered == 9);
  CHECK(back.pending == 0);
  CHECK(back.dead == 0);
  CHECK_FALSE(back.stopped_by.has_value());
  const auto runs = RunsByName(fake);
  CHECK(runs.size() == 4);
  for (int i = 0; i < 3; ++i) {
    const auto& run = runs.at("trial-" + std::to_string(i));
    CHECK(run.status == "FINISHED");
    CHECK(Points(run, "loss").size() == 2);
  }
}

TEST_CASE("a run whose creation was answered too late is found by its run_key, not created twice") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  for (int i = 0; i < 3; ++i) {
    auto t = s.Start();
    s.Finish(t, TrialState::kComplete, {0.5});
  }
  // The parent's creation and the first trial's are carried out, and their
  // answers lost.
  fake.SetFault({{"mode", "reset-after"}, {"count", 2}, {"paths", json::array({"/runs/create"})}});
  auto tracker = TrackerFor(fake, s.target());
  DeliveryReport r;
  int passes = 0;
  do {
    r = Deliver(*tracker, s);
    ++passes;
  } while (r.pending > 0 && passes < 6);
  CHECK(passes == 3);
  CHECK(r.pending == 0);
  CHECK(r.dead == 0);
  const auto runs = RunsByName(fake);
  CHECK(runs.size() == 4);
  std::set<std::string> keys;
  for (const auto& [name, run] : runs) keys.insert(run.tags.at("gdsweep.run_key"));
  CHECK(keys.size() == 4);
  // runs/create is never retried blindly: one request per run that exists.
  CHECK(fake.CountRequests("/runs/create") == 4);
  for (int i = 0; i < 3; ++i) {
    const auto& run = runs.at("trial-" + std::to_string(i));
    CHECK(run.tags.at("mlflow.parentRunId") == runs.at("s/sweep-1").run_id);
    CHECK(s.RunOf(s.Trial(i).trial_id)->run_id == run.run_id);
    CHECK(run.status == "FINISHED");
  }
}

TEST_CASE("params the server refuses make their message dead; the rest is delivered") {
  FakeMlflow fake;
  TrackedStudyOptions o;
  o.opt_name = "opt!";  // MLflow refuses the name: every run_started's log-batch is refused
  TrackedStudy s(fake.Url(), o);
  for (int i = 0; i < 3; ++i) {
    auto t = s.Start();
    s.Report(t, {{0, 1.0}});
    s.Finish(t, TrialState::kComplete, {0.5 + i});
  }
  auto tracker = TrackerFor(fake, s.target());
  const DeliveryReport r = Deliver(*tracker, s);
  CHECK(r.delivered == 6);
  CHECK(r.dead == 3);
  CHECK(r.pending == 0);
  CHECK_FALSE(r.stopped_by.has_value());
  auto dead = s.storage().DeadOutbox(s.study().study_id, s.tag());
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 3);
  for (const auto& m : *dead) {
    CHECK(m.kind == OutboxKind::kRunStarted);
    CHECK(m.last_error.find("INVALID_PARAMETER_VALUE") != std::string::npos);
  }

  // Each run exists, without its params, with its metrics and status: the
  // refused batch was sent again message by message.
  const auto runs = RunsByName(fake);
  REQUIRE(runs.size() == 4);
  for (int i = 0; i < 3; ++i) {
    const auto& run = runs.at("trial-" + std::to_string(i));
    CHECK(run.params.empty());
    CHECK(run.status == "FINISHED");
    CHECK(Points(run, "loss").size() == 2);
  }

  // Revived, they are refused again and stay dead; nothing else changes.
  auto revived = s.storage().ReviveOutbox(s.study().study_id, s.tag());
  REQUIRE(revived.ok());
  CHECK(*revived == 3);
  const DeliveryReport again = Deliver(*tracker, s);
  CHECK(again.dead == 3);
  CHECK(again.delivered == 0);
  CHECK(RunsByName(fake).size() == 4);
}

// Regression: a param value past MLflow's 6000 characters was cut by the
// server with only a warning in the server's log (MLFLOW_TRUNCATE_LONG_VALUES),
// so nothing showed the run's param was not the trial's.
TEST_CASE("a param past MLflow's 6000 characters is cut, logged and tagged on the run") {
  testing::FakeMlflowOptions fo;
  fo.flags = {"--truncate-long-values"};  // what a real server does by default
  FakeMlflow fake(fo);
  TrackedStudyOptions o;
  o.second_choice = std::string(5990, 'x') + std::string(20, 'y');  // 6010 characters
  TrackedStudy s(fake.Url(), o);
  for (int i = 0; i < 2; ++i) s.Finish(s.Start(), TrialState::kComplete, {0.5});
#ifdef GDSWEEP_CHECK_LOGS
  testing::CapturedLogs logs;
#endif
  auto tracker = TrackerFor(fake, s.target());
  const DeliveryReport r = Deliver(*tracker, s);
  CHECK(r.delivered == 4);
  CHECK(r.dead == 0);
  const auto runs = RunsByName(fake);
  const auto& cut = runs.at("trial-1");
  CHECK(cut.params.at("opt") == std::string(5990, 'x') + std::string(10, 'y'));
  CHECK(cut.tags.at("gdsweep.truncated_params") == "opt");
  CHECK(runs.at("trial-0").params.at("opt") == "adam");
  CHECK(runs.at("trial-0").tags.count("gdsweep.truncated_params") == 0);
#ifdef GDSWEEP_CHECK_LOGS
  CHECK(logs.Count("warning", "trial 1 param 'opt' is 6010 characters long") == 1);
#endif
}

// Regression: intermediate values got the time they were stored (flushed),
// not the time the trial reported them.
TEST_CASE("intermediate values carry the time the trial reported them") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  const double t0 = 1700000000.25;
  auto t = s.Start();
  s.Report(t, {{0, 0.9}, {1, 0.8}}, {{0, t0}, {1, t0 + 1}});  // one flush, two reports 1 s apart
  TrialOutcome o;
  o.state = TrialState::kComplete;
  o.values = {0.5};
  o.intermediate = {{2, 0.7}, {3, 0.6}};
  o.intermediate_times = {{2, t0 + 2}, {3, t0 + 3}};
  REQUIRE(s.storage().FinishTrial(t.trial_id, o).ok());
  auto tracker = TrackerFor(fake, s.target());
  CHECK(Deliver(*tracker, s).pending == 0);
  const auto run = RunsByName(fake).at("trial-0");
  std::map<int64_t, int64_t> when;  // step -> timestamp
  for (const auto& p : run.history.at("loss")) when[p[0].get<int64_t>()] = p[1].get<int64_t>();
  CHECK(when.at(0) == 1700000000250);
  CHECK(when.at(1) == 1700000001250);
  CHECK(when.at(2) == 1700000002250);
  CHECK(when.at(3) == 1700000003250);
}

TEST_CASE("ReadValues reads what the trial logged itself; final values are not re-logged") {
  FakeMlflow fake;
  TrackedStudyOptions o;
  o.values_from_tracking = true;
  TrackedStudy s(fake.Url(), o);
  auto t = s.Start();
  auto tracker = TrackerFor(fake, s.target());
  CHECK(Deliver(*tracker, s).delivered == 1);
  const auto run = s.RunOf(t.trial_id);
  REQUIRE(run.has_value());

  // The trial, given MLFLOW_RUN_ID, logs its own metric.
  mlflow::Client trial(fake.ClientOptions());
  REQUIRE(
      trial.LogBatch(run->run_id, {{"loss", 0.42, 1000, 0}, {"loss", 0.31, 2000, 1}}, {}, {}).ok());

  auto values = tracker->ReadValues(*run, {{"loss", Direction::kMinimize}});
  REQUIRE_MESSAGE(values.ok(), (values.ok() ? "" : values.error().message));
  CHECK(values->values == std::vector<double>{0.31});
  CHECK(values->intermediate == std::map<int64_t, double>{{0, 0.42}, {1, 0.31}});

  auto missing = tracker->ReadValues(
      *run, {{"loss", Direction::kMinimize}, {"accuracy", Direction::kMaximize}});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kNotFound);
  CHECK(missing.error().message.find("'accuracy'") != std::string::npos);
  CHECK(missing.error().message.find(run->run_id) != std::string::npos);
  CHECK(missing.error().message.find("MLFLOW_RUN_ID") != std::string::npos);

  auto unknown = tracker->ReadValues({run->experiment_id, std::string(32, 'a')},
                                     {{"loss", Direction::kMinimize}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == Error::Kind::kNotFound);

  s.Finish(t, TrialState::kComplete, values->values);
  CHECK(Deliver(*tracker, s).delivered == 1);
  const auto stored = RunsByName(fake).at("trial-0");
  CHECK(stored.status == "FINISHED");
  CHECK(Points(stored, "loss").size() == 2);
}

TEST_CASE("SearchRuns: finished trial runs of the tag, best first, without the parent") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  for (double v : {0.5, 0.2, 0.9}) {
    auto t = s.Start();
    s.Finish(t, TrialState::kComplete, {v});
  }
  s.Finish(s.Start(), TrialState::kFail, {}, "crashed");
  s.Start();  // still running
  // Another sweep tag of the same study, in the same experiment.
  s.SetTarget("other", s.target());
  s.Finish(s.Start("other"), TrialState::kComplete, {0.1});

  auto tracker = TrackerFor(fake, s.target());
  CHECK(Deliver(*tracker, s).pending == 0);
  auto other = tracker->Deliver(s.storage(), s.study(), "other", "w1", kLongBudget);
  REQUIRE(other.ok());
  CHECK(other->delivered == 2);

  auto names = [](const std::vector<RemoteRun>& runs) {
    std::vector<std::string> out;
    for (const auto& r : runs) out.push_back(r.run_name);
    return out;
  };
  const std::vector<Objective> minimize = {{"loss", Direction::kMinimize}};
  auto best = tracker->SearchRuns("sweep-1", minimize, 10);
  REQUIRE_MESSAGE(best.ok(), (best.ok() ? "" : best.error().message));
  CHECK(names(*best) == std::vector<std::string>{"trial-1", "trial-0", "trial-2"});
  const RemoteRun& first = best->front();
  CHECK(first.status == "FINISHED");
  CHECK(first.metrics.at("loss") == 0.2);
  CHECK(first.params.at("layers") == "2");
  CHECK(first.tags.at("hptuning_tag") == "sweep-1");
  CHECK(first.run.run_id == s.RunOf(s.Trial(1).trial_id)->run_id);
  CHECK(first.url ==
        fake.Url() + "/#/experiments/" + first.run.experiment_id + "/runs/" + first.run.run_id);
  CHECK(tracker->RunUrl(first.run) == first.url);

  auto two = tracker->SearchRuns("sweep-1", minimize, 2);
  REQUIRE(two.ok());
  CHECK(names(*two) == std::vector<std::string>{"trial-1", "trial-0"});

  auto maximize = tracker->SearchRuns("sweep-1", {{"loss", Direction::kMaximize}}, 1);
  REQUIRE(maximize.ok());
  CHECK(names(*maximize) == std::vector<std::string>{"trial-2"});

  auto several = tracker->SearchRuns(
      "sweep-1", {{"loss", Direction::kMinimize}, {"acc", Direction::kMaximize}}, 1);
  REQUIRE(several.ok());
  CHECK(several->size() == 3);

  auto other_tag = tracker->SearchRuns("other", minimize, 10);
  REQUIRE(other_tag.ok());
  CHECK(names(*other_tag) == std::vector<std::string>{"trial-5"});

  TrackingTarget elsewhere = s.target();
  elsewhere.experiment = "no-such-experiment";
  auto missing = TrackerFor(fake, elsewhere)->SearchRuns("sweep-1", minimize, 10);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kNotFound);
  CHECK(missing.error().message.find("'no-such-experiment'") != std::string::npos);
  CHECK(missing.error().message.find(fake.Url()) != std::string::npos);
}

// Regression: the server orders ties by start time, newest first, so
// `best --from-tracking` named the newest of tied runs while `best` names the
// lowest trial number (as Optuna's best_trial).
TEST_CASE("SearchRuns breaks ties by the lowest trial number, as best does") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  for (double v : {0.3, 0.2, 0.2, 0.2, 0.1}) {
    s.Finish(s.Start(), TrialState::kComplete, {v});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct start times
  }
  auto tracker = TrackerFor(fake, s.target());
  CHECK(Deliver(*tracker, s).pending == 0);
  auto names = [](const Result<std::vector<RemoteRun>>& runs) {
    std::vector<std::string> out;
    REQUIRE(runs.ok());
    for (const auto& r : *runs) out.push_back(r.run_name);
    return out;
  };
  const std::vector<Objective> maximize = {{"loss", Direction::kMaximize}};
  const std::vector<Objective> minimize = {{"loss", Direction::kMinimize}};
  CHECK(names(tracker->SearchRuns("sweep-1", minimize, 2)) ==
        std::vector<std::string>{"trial-4", "trial-1"});
  CHECK(names(tracker->SearchRuns("sweep-1", minimize, 3)) ==
        std::vector<std::string>{"trial-4", "trial-1", "trial-2"});
  CHECK(names(tracker->SearchRuns("sweep-1", minimize, 0)) ==
        std::vector<std::string>{"trial-4", "trial-1", "trial-2", "trial-3", "trial-0"});
  CHECK(names(tracker->SearchRuns("sweep-1", maximize, 2)) ==
        std::vector<std::string>{"trial-0", "trial-1"});
}

TEST_CASE("two owners: one delivers, the other finds the lease taken") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  for (int i = 0; i < 20; ++i) {
    auto t = s.Start();
    s.Report(t, {{0, 1.0}, {1, 0.5}});
    s.Finish(t, TrialState::kComplete, {0.1 * i});
  }
  SUBCASE("one at a time") {
    auto a = TrackerFor(fake, s.target());
    auto b = TrackerFor(fake, s.target());
    fake.SetFault("down");
    CHECK(Deliver(*a, s, nullptr, "owner-a").stopped_by.has_value());  // holds the lease
    fake.ClearFault();
    const int requests = static_cast<int>(fake.Requests().size());
    const DeliveryReport rb = Deliver(*b, s, nullptr, "owner-b");
    CHECK(rb.lease_held_elsewhere);
    CHECK(rb.delivered == 0);
    CHECK(rb.pending == 60);
    CHECK(static_cast<int>(fake.Requests().size()) == requests);
    CHECK(Deliver(*a, s, nullptr, "owner-a").delivered == 60);
  }
  SUBCASE("at once") {
    std::vector<int64_t> delivered(2, 0);
    std::vector<std::thread> owners;
    for (int i = 0; i < 2; ++i) {
      owners.emplace_back([&, i] {
        auto storage = s.Open();
        auto t = MakeMlflowTracker(s.target(), fake.ClientOptions());
        if (!t.ok()) return;
        for (int pass = 0; pass < 200; ++pass) {
          auto r = (*t)->Deliver(*storage, s.study(), s.tag(), "owner-" + std::to_string(i),
                                 kLongBudget);
          if (!r.ok()) return;
          delivered[i] += r->delivered;
          if (r->pending == 0) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    }
    for (auto& o : owners) o.join();
    CHECK(delivered[0] + delivered[1] == 60);
    CHECK((delivered[0] == 0 || delivered[1] == 0));
  }
  const auto runs = RunsByName(fake);
  CHECK(runs.size() == 21);
  CHECK(s.Counts().pending == 0);
}

TEST_CASE("a pass keeps to its budget") {
  FakeMlflow fake;
  TrackedStudy s(fake.Url());
  s.Finish(s.Start(), TrialState::kComplete, {0.5});
  auto tracker = TrackerFor(fake, s.target());
  const DeliveryReport r = Deliver(*tracker, s, nullptr, "w1", std::chrono::milliseconds(0));
  CHECK(r.delivered == 0);
  CHECK(r.pending == 2);
  CHECK_FALSE(r.stopped_by.has_value());
  CHECK(Deliver(*tracker, s).delivered == 2);
}

TEST_CASE("refused credentials stop the pass without naming the secret") {
  testing::FakeMlflowOptions fo;
  fo.token = "s3cret-t0ken";
  FakeMlflow fake(fo);
  TrackedStudy s(fake.Url());
  s.Finish(s.Start(), TrialState::kComplete, {0.5});
  auto wrong = fake.ClientOptions();
  wrong.token = "wr0ng-t0ken";
  const DeliveryReport r = Deliver(*TrackerFor(fake, s.target(), wrong), s);
  REQUIRE(r.stopped_by.has_value());
  CHECK(r.stopped_by->kind == Error::Kind::kIo);
  CHECK(r.stopped_by->message.find("MLFLOW_TRACKING_TOKEN") != std::string::npos);
  CHECK(r.stopped_by->message.find("wr0ng-t0ken") == std::string::npos);
  CHECK(r.pending == 2);
  CHECK(r.dead == 0);
  CHECK(Deliver(*TrackerFor(fake, s.target()), s).delivered == 2);
}

TEST_CASE("MakeMlflowTracker refuses a bad target") {
  TrackingTarget t;
  t.uri = "http://127.0.0.1:1";
  t.experiment = "e";
  t.tag_key = "gdsweep.run_key";
  auto own = MakeMlflowTracker(t);
  REQUIRE_FALSE(own.ok());
  CHECK(own.error().kind == Error::Kind::kInvalidInput);
  t.tag_key = "mlflow.runName";
  CHECK_FALSE(MakeMlflowTracker(t).ok());
  t.tag_key = "hptuning_tag";
  CHECK(MakeMlflowTracker(t).ok());
  t.uri = "file:///tmp/mlruns";
  auto file = MakeMlflowTracker(t);
  REQUIRE_FALSE(file.ok());
  CHECK(file.error().kind == Error::Kind::kInvalidInput);
}

}  // namespace
}  // namespace gdsweep
