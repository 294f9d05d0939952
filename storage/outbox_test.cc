// The tracking outbox: messages written with the state changes they report
// (outbox_writer.cc, called from trial_writer.cc), and the targets, lease,
// claim and settle of tracking_outbox.cc, through the Storage seam.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "storage/storage.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using nlohmann::json;
using testing::AskOne;
using testing::Complete;
using testing::Failed;
using testing::FixedSample;
using testing::OpenOrDie;
using testing::Request;
using testing::Rows;
using testing::SmallStudy;
using testing::TempDir;

TrackingTarget Target(const std::string& uri = "http://mlflow:5000") {
  TrackingTarget t;
  t.uri = uri;
  t.experiment = "exp";
  t.tag_key = "hptuning_tag";
  return t;
}

// A storage with study "s" (SmallStudy) and a target for tag "t".
struct Tracked {
  TempDir dir;
  std::string path = testing::TestDatabase(dir);
  std::unique_ptr<Storage> s = OpenOrDie(path);
  int64_t study_id = 0;
  TrialHistory h;

  Tracked() {
    auto study = s->OpenStudy(SmallStudy());
    REQUIRE(study.ok());
    study_id = study->study_id;
    REQUIRE(s->SetTrackingTarget(study_id, "t", Target()).ok());
  }
  TrialRecord Ask(const std::string& tag = "t", const std::string& worker = "w1") {
    return AskOne(*s, Request(study_id, tag, std::nullopt, worker), h);
  }
  // Every pending message of tag "t", claimed by a test owner and released.
  std::vector<OutboxMessage> Pending() {
    auto m = s->ClaimOutbox(study_id, "t", "peek", 60, 1000);
    REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
    REQUIRE(s->ReleaseOutboxLease(study_id, "t", "peek").ok());
    return *m;
  }
  int64_t RowCount() {
    return std::stoll(Rows(path, "SELECT count(*) FROM gdsweep_tracking_outbox").at(0));
  }
};

// The payload without its time fields (checked apart: they vary).
json Payload(const OutboxMessage& m) {
  json j = json::parse(m.payload);
  for (const char* key : {"start_time", "end_time", "time"}) j.erase(key);
  return j;
}

double TimeField(const OutboxMessage& m, const char* key) {
  json j = json::parse(m.payload);
  REQUIRE(j.contains(key));
  REQUIRE(j[key].is_number_float());
  return j[key].get<double>();
}

TEST_CASE("without a tracking target nothing is written to the outbox") {
  TempDir dir;
  auto path = testing::TestDatabase(dir);
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(SmallStudy());
  REQUIRE(study.ok());
  TrialHistory h;
  auto t = AskOne(*s, Request(study->study_id, "t"), h);
  REQUIRE(s->ReportIntermediate(t.trial_id, {{1, 0.5}}).ok());
  REQUIRE(s->FinishTrial(t.trial_id, Complete(0.5)).ok());
  CHECK(Rows(path, "SELECT count(*) FROM gdsweep_tracking_outbox") ==
        std::vector<std::string>{"0"});
  auto target = s->GetTrackingTarget(study->study_id, "t");
  REQUIRE(target.ok());
  CHECK_FALSE(target->has_value());
  CHECK(s->ListTrackingTargets()->empty());
  auto counts = s->CountOutbox(study->study_id, "t");
  REQUIRE(counts.ok());
  CHECK(counts->pending == 0);
  CHECK(counts->dead == 0);
  CHECK_FALSE(counts->oldest_pending_at.has_value());
  auto claim = s->ClaimOutbox(study->study_id, "t", "me", 60, 10);
  REQUIRE_FALSE(claim.ok());
  CHECK(claim.error().kind == Error::Kind::kNotFound);
}

TEST_CASE("a tracking target keeps the run key it was first given") {
  Tracked x;
  auto first = x.s->GetTrackingTarget(x.study_id, "t");
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  const std::string key = (*first)->run_key;
  CHECK(key.size() == 32);
  CHECK(key.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK((*first)->tag_key == "hptuning_tag");
  CHECK((*first)->experiment == "exp");
  CHECK_FALSE((*first)->values_from_tracking);

  auto changed = Target("http://other:5000");
  changed.values_from_tracking = true;
  changed.artifact_location = "s3://bucket";
  changed.run_key = "ignored";
  auto updated = x.s->SetTrackingTarget(x.study_id, "t", changed);
  REQUIRE(updated.ok());
  CHECK(updated->uri == "http://other:5000");
  CHECK(updated->artifact_location == "s3://bucket");
  CHECK(updated->values_from_tracking);
  CHECK(updated->run_key == key);

  auto other = x.s->SetTrackingTarget(x.study_id, "u", Target());
  REQUIRE(other.ok());
  CHECK(other->run_key.size() == 32);
  CHECK(other->run_key != key);
  auto all = x.s->ListTrackingTargets();
  REQUIRE(all.ok());
  CHECK(*all == std::vector<std::pair<int64_t, std::string>>{{x.study_id, "t"}, {x.study_id, "u"}});

  auto missing = x.s->SetTrackingTarget(999, "t", Target());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kNotFound);
}

TEST_CASE("a trial's start, intermediate values and finish are three messages in order") {
  Tracked x;
  auto t = x.Ask();
  REQUIRE(x.s->ReportIntermediate(t.trial_id, {{1, 0.5}, {2, std::nan("")}}).ok());
  TrialOutcome done = Complete(0.25);
  done.intermediate = {{3, HUGE_VAL}};
  REQUIRE(x.s->FinishTrial(t.trial_id, done).ok());

  auto m = x.Pending();
  REQUIRE(m.size() == 3);
  for (const auto& msg : m) {
    CHECK(msg.study_id == x.study_id);
    CHECK(msg.tag == "t");
    CHECK(msg.trial_id == t.trial_id);
    CHECK(msg.trial_number == 0);
    CHECK(msg.attempts == 1);
    CHECK(msg.last_error.empty());
    CHECK(msg.created_at > 0);
  }
  CHECK(m[0].id < m[1].id);
  CHECK(m[1].id < m[2].id);

  CHECK(m[0].kind == OutboxKind::kRunStarted);
  CHECK(Payload(m[0]) == json::parse(R"({"number": 0, "attempt": 1,
                        "params": {"lr": "0.01", "layers": "1", "opt": "adam"}})"));
  CHECK(std::abs(TimeField(m[0], "start_time") - *t.datetime_start) < 1e-3);

  CHECK(m[1].kind == OutboxKind::kIntermediate);
  CHECK(Payload(m[1]) == json::parse(R"({"points": [[1, 0.5], [2, "NaN"]]})"));
  CHECK(m[1].payload.find("\"NaN\"") != std::string::npos);
  CHECK(TimeField(m[1], "time") >= TimeField(m[0], "start_time"));

  CHECK(m[2].kind == OutboxKind::kRunFinished);
  CHECK(Payload(m[2]) == json::parse(R"({"state": "COMPLETE", "values": [0.25], "reason": "",
                                         "interrupted": false,
                                         "points": [[3, "Infinity"]]})"));
  auto listed = x.s->ListTrials(x.study_id, {});
  REQUIRE(listed.ok());
  CHECK(std::abs(TimeField(m[2], "end_time") - *listed->at(0).datetime_complete) < 1e-3);
  CHECK(std::string(ToString(m[2].kind)) == "run_finished");

  SUBCASE("a pruned trial reports the value Optuna stores, non-finite as a string") {
    auto p = x.Ask();
    TrialOutcome pruned;
    pruned.state = TrialState::kPruned;
    pruned.failure_reason = "pruned at step 1";
    pruned.intermediate = {{1, -HUGE_VAL}};
    REQUIRE(x.s->FinishTrial(p.trial_id, pruned).ok());
    auto all = x.Pending();
    REQUIRE(all.size() == 5);
    CHECK(all[3].kind == OutboxKind::kRunStarted);
    CHECK(Payload(all[3])["params"] ==
          json::parse(R"({"lr": "0.01", "layers": "2", "opt": "sgd"})"));
    CHECK(Payload(all[4]) == json::parse(R"({"state": "PRUNED", "values": ["-Infinity"],
                          "reason": "pruned at step 1", "interrupted": false,
                          "points": [[1, "-Infinity"]], "pruned_step": 1})"));
  }
}

TEST_CASE("a claimed retry starts a run of its own; an interrupted trial reruns under its own") {
  Tracked x;
  auto t0 = x.Ask();
  auto t1 = x.Ask();
  REQUIRE(x.s->FinishTrial(t0.trial_id, Failed("exit 1", TrialOutcome::Requeue::kRetry)).ok());
  REQUIRE(x.s->FinishTrial(t1.trial_id, Failed("SIGINT", TrialOutcome::Requeue::kRerun)).ok());
  auto rerun = x.Ask();  // trial 1 itself: the oldest WAITING
  auto retry = x.Ask();
  REQUIRE(rerun.trial_id == t1.trial_id);
  REQUIRE(retry.number == 2);

  auto m = x.Pending();
  REQUIRE(m.size() == 6);
  CHECK(m[2].trial_id == t0.trial_id);
  CHECK(Payload(m[2]) == json::parse(R"({"state": "FAIL", "values": [], "reason": "exit 1",
                                         "interrupted": false, "points": []})"));
  CHECK(m[3].trial_id == t1.trial_id);
  CHECK(Payload(m[3]) == json::parse(R"({"state": "FAIL", "values": [], "reason": "SIGINT",
                                         "interrupted": true, "points": []})"));
  CHECK(m[4].trial_id == t1.trial_id);
  CHECK(Payload(m[4]) == json::parse(R"({"number": 1, "attempt": 1,
                        "params": {"lr": "0.01", "layers": "2", "opt": "sgd"}})"));
  CHECK(m[5].trial_id == retry.trial_id);
  CHECK(m[5].trial_number == 2);
  CHECK(Payload(m[5]) == json::parse(R"({"number": 2, "attempt": 2, "retry_of": 0,
                        "params": {"lr": "0.01", "layers": "1", "opt": "adam"}})"));
  CHECK(std::abs(TimeField(m[5], "start_time") - *retry.datetime_start) < 1e-3);
}

TEST_CASE("a dead worker's trial is reported interrupted and reruns as the same trial") {
  Tracked x;
  REQUIRE(x.s->RegisterWorker({"dead", x.study_id, "h", 1, 100.0, 100.0}).ok());
  auto t0 = x.Ask("t", "dead");
  auto requeued = x.s->RequeueTrialsOfWorker("dead", "worker dead stopped");
  REQUIRE(requeued.ok());
  REQUIRE(requeued->size() == 1);
  auto m = x.Pending();
  REQUIRE(m.size() == 2);
  CHECK(m[1].trial_id == t0.trial_id);
  CHECK(Payload(m[1]) ==
        json::parse(R"({"state": "FAIL", "values": [], "reason": "worker dead stopped",
                        "interrupted": true, "points": []})"));
  auto rerun = x.Ask("t", "alive");
  CHECK(rerun.trial_id == t0.trial_id);
  m = x.Pending();
  REQUIRE(m.size() == 3);
  CHECK(m[2].trial_id == t0.trial_id);
  CHECK(Payload(m[2])["attempt"] == 1);
}

TEST_CASE("a worker found dead frees the delivery lease it held") {
  Tracked x;
  REQUIRE(x.s->RegisterWorker({"dead", x.study_id, "h", 1, 100.0, 100.0}).ok());
  x.Ask("t", "dead");
  REQUIRE(x.s->ClaimOutbox(x.study_id, "t", "dead", 60, 10)->size() == 1);
  CHECK(x.s->ClaimOutbox(x.study_id, "t", "alive", 60, 10)->empty());
  REQUIRE(x.s->RequeueTrialsOfWorker("dead", "worker dead stopped").ok());
  CHECK(x.s->ClaimOutbox(x.study_id, "t", "alive", 60, 10)->size() == 2);
}

TEST_CASE("a trial of another tag writes nothing") {
  Tracked x;
  auto other = x.Ask("u");
  REQUIRE(x.s->ReportIntermediate(other.trial_id, {{1, 1.0}}).ok());
  REQUIRE(x.s->FinishTrial(other.trial_id, Failed("x", TrialOutcome::Requeue::kRetry)).ok());
  x.Ask("u");  // claims the retry
  CHECK(x.RowCount() == 0);
  CHECK(x.s->CountOutbox(x.study_id, "u")->pending == 0);
  x.Ask("t");
  CHECK(x.RowCount() == 1);
}

TEST_CASE("a refused state change writes no message") {
  Tracked x;
  auto t = x.Ask();
  REQUIRE(x.s->FinishTrial(t.trial_id, Complete(0.5)).ok());
  REQUIRE(x.RowCount() == 2);
  auto again = x.s->FinishTrial(t.trial_id, Complete(0.1));
  CHECK(again.error().kind == Error::Kind::kConflict);
  auto late = x.s->ReportIntermediate(t.trial_id, {{1, 0.3}});
  CHECK(late.error().kind == Error::Kind::kConflict);
  CHECK(x.RowCount() == 2);

  // Refused after its intermediate values were written: all of it rolls back.
  auto u = x.Ask();
  TrialOutcome nan = Complete(std::nan(""));
  nan.intermediate = {{1, 0.4}};
  CHECK(x.s->FinishTrial(u.trial_id, nan).error().kind == Error::Kind::kInvalidInput);
  CHECK(x.RowCount() == 3);
  CHECK(Rows(x.path, "SELECT count(*) FROM trial_intermediate_values") ==
        std::vector<std::string>{"0"});
}

TEST_CASE("the delivery lease: one owner at a time, until released or expired") {
  Tracked x;
  for (int i = 0; i < 3; ++i) x.Ask();
  auto a = x.s->ClaimOutbox(x.study_id, "t", "A", 60, 2);
  REQUIRE(a.ok());
  REQUIRE(a->size() == 2);
  CHECK((*a)[0].attempts == 1);
  auto b = x.s->ClaimOutbox(x.study_id, "t", "B", 60, 10);
  REQUIRE(b.ok());
  CHECK(b->empty());
  // The owner renews; unsettled messages come back, counted again.
  a = x.s->ClaimOutbox(x.study_id, "t", "A", 60, 2);
  REQUIRE(a->size() == 2);
  CHECK((*a)[0].attempts == 2);
  CHECK((*a)[1].attempts == 2);
  // Only the owner can release it.
  REQUIRE(x.s->ReleaseOutboxLease(x.study_id, "t", "B").ok());
  CHECK(x.s->ClaimOutbox(x.study_id, "t", "B", 60, 10)->empty());
  REQUIRE(x.s->ReleaseOutboxLease(x.study_id, "t", "A").ok());
  b = x.s->ClaimOutbox(x.study_id, "t", "B", 0.2, 10);
  REQUIRE(b->size() == 3);
  CHECK((*b)[0].attempts == 3);
  CHECK((*b)[2].attempts == 1);
  CHECK(x.s->ClaimOutbox(x.study_id, "t", "A", 60, 10)->empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  a = x.s->ClaimOutbox(x.study_id, "t", "A", 60, 10);
  REQUIRE(a->size() == 3);
  CHECK(x.s->ClaimOutbox(x.study_id, "t", "B", 60, 10)->empty());
  CHECK(Rows(x.path, "SELECT lease_owner FROM gdsweep_tracking_targets") ==
        std::vector<std::string>{"A"});

  CHECK(x.s->ClaimOutbox(x.study_id, "t", "A", 60, 0).error().kind == Error::Kind::kInvalidInput);
}

TEST_CASE("settling removes delivered messages, records runs and failures; dead ones revive") {
  Tracked x;
  auto t0 = x.Ask();
  x.Ask();
  x.Ask();
  auto m = x.s->ClaimOutbox(x.study_id, "t", "A", 60, 10);
  REQUIRE(m.ok());
  REQUIRE(m->size() == 3);
  OutboxUpdate u;
  u.delivered = {(*m)[0].id};
  u.runs = {{0, {"7", "parent"}}, {t0.trial_id, {"7", "run-0"}}};
  u.failed = {{(*m)[1].id, "HTTP 503", false}, {(*m)[2].id, "INVALID_PARAMETER_VALUE", true}};
  REQUIRE(x.s->SettleOutbox(x.study_id, "t", u).ok());

  auto counts = x.s->CountOutbox(x.study_id, "t");
  REQUIRE(counts.ok());
  CHECK(counts->pending == 1);
  CHECK(counts->dead == 1);
  CHECK(counts->oldest_pending_at == (*m)[1].created_at);
  auto parent = x.s->GetTrackingRun(x.study_id, "t", 0);
  REQUIRE(parent.ok());
  REQUIRE(parent->has_value());
  CHECK((*parent)->experiment_id == "7");
  CHECK((*parent)->run_id == "parent");
  CHECK((*x.s->GetTrackingRun(x.study_id, "t", t0.trial_id))->run_id == "run-0");
  CHECK_FALSE(x.s->GetTrackingRun(x.study_id, "t", 12345)->has_value());
  CHECK_FALSE(x.s->GetTrackingRun(x.study_id, "u", 0)->has_value());

  auto dead = x.s->DeadOutbox(x.study_id, "t");
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].id == (*m)[2].id);
  CHECK((*dead)[0].last_error == "INVALID_PARAMETER_VALUE");
  auto next = x.s->ClaimOutbox(x.study_id, "t", "A", 60, 10);
  REQUIRE(next->size() == 1);
  CHECK((*next)[0].id == (*m)[1].id);
  CHECK((*next)[0].last_error == "HTTP 503");
  CHECK((*next)[0].attempts == 2);

  // Settling twice is harmless; a run recorded again is replaced.
  OutboxUpdate again;
  again.delivered = {(*m)[0].id, (*m)[1].id};
  again.runs = {{t0.trial_id, {"7", "run-0b"}}};
  REQUIRE(x.s->SettleOutbox(x.study_id, "t", again).ok());
  CHECK((*x.s->GetTrackingRun(x.study_id, "t", t0.trial_id))->run_id == "run-0b");
  CHECK(x.s->CountOutbox(x.study_id, "t")->pending == 0);

  auto revived = x.s->ReviveOutbox(x.study_id, "t");
  REQUIRE(revived.ok());
  CHECK(*revived == 1);
  CHECK(x.s->DeadOutbox(x.study_id, "t")->empty());
  next = x.s->ClaimOutbox(x.study_id, "t", "A", 60, 10);
  REQUIRE(next->size() == 1);
  CHECK((*next)[0].id == (*m)[2].id);
  CHECK((*next)[0].attempts == 1);  // revived messages start counting again
  CHECK((*next)[0].last_error == "INVALID_PARAMETER_VALUE");
  CHECK(*x.s->ReviveOutbox(x.study_id, "t") == 0);

  // A late settle of an id never touches a newer message (ids are not reused).
  OutboxUpdate last;
  last.delivered = {(*m)[2].id};
  REQUIRE(x.s->SettleOutbox(x.study_id, "t", last).ok());
  CHECK_FALSE(x.s->CountOutbox(x.study_id, "t")->oldest_pending_at.has_value());
  REQUIRE(x.s->ReleaseOutboxLease(x.study_id, "t", "A").ok());
  x.Ask();
  auto fresh = x.Pending();
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0].id > (*m)[2].id);
}

}  // namespace
}  // namespace gdsweep
