#include "storage/sql_storage.h"

// GCC 12 -O2 warns that std::variant storage in a Choice "may be used
// uninitialized" here (a known false positive, GCC bug 105562).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <doctest/doctest.h>

#include <cmath>

#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::AskOne;
using testing::Complete;
using testing::Failed;
using testing::FixedSample;
using testing::OpenOrDie;
using testing::Request;
using testing::Rows;
using testing::SmallStudy;
using testing::TempDir;
using testing::TestDatabase;

TEST_CASE("OpenStudy creates the study, then resumes it with the stored seed") {
  TempDir dir;
  auto path = TestDatabase(dir);
  auto s = OpenOrDie(path);
  auto created = s->OpenStudy(SmallStudy());
  REQUIRE(created.ok());
  CHECK(created->created);
  CHECK(created->seed == 7);
  CHECK(created->metric_names == std::vector<std::string>{"loss"});
  CHECK(Rows(path, "SELECT direction, objective FROM study_directions") ==
        std::vector<std::string>{"MINIMIZE|0"});
  CHECK(Rows(path, "SELECT \"key\", value_json FROM study_system_attributes") ==
        std::vector<std::string>{"study:metric_names|[\"loss\"]"});

  auto again = SmallStudy();
  again.seed = 99;
  auto resumed = s->OpenStudy(again);
  REQUIRE(resumed.ok());
  CHECK_FALSE(resumed->created);
  CHECK(resumed->study_id == created->study_id);
  CHECK(resumed->seed == 7);

  auto got = s->GetStudy("s");
  REQUIRE(got.ok());
  CHECK(got->space == SmallStudy().space);
  CHECK(got->directions == std::vector<Direction>{Direction::kMinimize});
  auto missing = s->GetStudy("nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == Error::Kind::kNotFound);
}

TEST_CASE("a changed space or objectives is a conflict naming the difference") {
  TempDir dir;
  auto s = OpenOrDie(TestDatabase(dir));
  REQUIRE(s->OpenStudy(SmallStudy()).ok());

  auto changed = SmallStudy();
  std::get<FloatDistribution>(changed.space[0].distribution).low = 0.001;
  auto r = s->OpenStudy(changed);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kConflict);
  CHECK(r.error().message.find("search_space.lr: the study has FloatDistribution("
                               "low=0.0001, high=1.0, log=true, step=None), the file "
                               "FloatDistribution(low=0.001, high=1.0, log=true, step=None)") !=
        std::string::npos);

  auto renamed = SmallStudy();
  renamed.objectives[0].metric = "val_loss";
  r = s->OpenStudy(renamed);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(
            "objectives[0]: the study has loss MINIMIZE, the file val_loss MINIMIZE") !=
        std::string::npos);

  SUBCASE("allow_changes records the new version") {
    changed.allow_changes = true;
    changed.spec_json = "{\"v\": 2}";
    auto ok = s->OpenStudy(changed);
    REQUIRE(ok.ok());
    CHECK(s->GetStudy("s")->space == changed.space);
    changed.allow_changes = false;
    CHECK(s->OpenStudy(changed).ok());  // now it matches
    CHECK_FALSE(s->OpenStudy(SmallStudy()).ok());
  }
  SUBCASE("changes Optuna refuses stay refused with allow_changes") {
    auto other = SmallStudy();
    other.allow_changes = true;
    std::get<CategoricalDistribution>(other.space[2].distribution)
        .choices.push_back(Choice{std::string("rmsprop")});
    auto refused = s->OpenStudy(other);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == Error::Kind::kConflict);
    CHECK(refused.error().message.rfind("search_space.opt: ", 0) == 0);

    auto two = SmallStudy();
    two.allow_changes = true;
    two.objectives.push_back({"acc", Direction::kMaximize});
    CHECK_FALSE(s->OpenStudy(two).ok());
  }
}

TEST_CASE("Ask numbers trials, claims WAITING retries first and counts the budget") {
  TempDir dir;
  auto path = TestDatabase(dir);
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(SmallStudy());
  REQUIRE(study.ok());
  TrialHistory h;
  auto req = Request(study->study_id, "t1", 3);

  auto t0 = AskOne(*s, req, h);
  auto t1 = AskOne(*s, req, h);
  CHECK(t0.number == 0);
  CHECK(t1.number == 1);
  CHECK(t0.state == TrialState::kRunning);
  CHECK(t1.log_path == "/logs/trial-1");
  CHECK(t1.worker_id == "w1");
  CHECK(t1.params.at("layers") == 2);
  CHECK(h.trials.size() == 2);

  // Trial 1 fails (a retry is queued); trial 0 is interrupted: it goes back
  // to WAITING in place, its intermediate values of that run dropped.
  REQUIRE(s->ReportIntermediate(t0.trial_id, {{1, 0.5}}).ok());
  REQUIRE(s->FinishTrial(t1.trial_id, Failed("exit 1", TrialOutcome::Requeue::kRetry)).ok());
  REQUIRE(s->FinishTrial(t0.trial_id, Failed("SIGINT", TrialOutcome::Requeue::kRerun)).ok());
  auto back = s->ListTrials(study->study_id, {std::nullopt, std::nullopt, 0});
  REQUIRE(back->size() == 1);
  CHECK(back->front().state == TrialState::kWaiting);
  CHECK_FALSE(back->front().datetime_start.has_value());
  CHECK(back->front().intermediate.empty());
  CHECK(back->front().worker_id.empty());
  CHECK(back->front().runs == 1);
  // The oldest WAITING goes first: trial 0 itself (run 2), then the retry of trial 1.
  auto r0 = AskOne(*s, req, h);
  CHECK(r0.trial_id == t0.trial_id);
  CHECK(r0.number == 0);
  CHECK(r0.attempt == 1);  // an interruption spends no retry
  CHECK(r0.runs == 2);
  CHECK(r0.params == t0.params);
  auto r2 = AskOne(*s, req, h);
  CHECK(r2.number == 2);
  CHECK(r2.retry_of == 1);
  CHECK(r2.attempt == 2);
  CHECK(r2.runs == 1);
  CHECK(r2.params == t1.params);
  CHECK(r2.log_path == "/logs/trial-2");
  auto runs = s->ListTrialRuns(t0.trial_id);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 2);
  CHECK((*runs)[0].outcome == "INTERRUPTED");
  CHECK((*runs)[0].reason == "SIGINT");
  CHECK((*runs)[0].ended_at.has_value());
  CHECK((*runs)[0].worker_id == "w1");
  CHECK((*runs)[1].outcome.empty());
  CHECK_FALSE((*runs)[1].ended_at.has_value());
  REQUIRE(s->FinishTrial(r0.trial_id, Complete(0.25)).ok());
  runs = s->ListTrialRuns(t0.trial_id);
  CHECK(runs->back().outcome == "COMPLETE");

  // Optuna's view of the retries.
  CHECK(Rows(path,
             "SELECT a.\"key\", a.value_json FROM trial_system_attributes a JOIN trials t "
             "USING (trial_id) WHERE t.number = 2 ORDER BY a.\"key\"") ==
        std::vector<std::string>{"failed_trial|1",
                                 "fixed_params|{\"layers\":2,\"lr\":0.01,"
                                 "\"opt\":\"sgd\"}",
                                 "retry_history|[1]"});
  CHECK(Rows(path,
             "SELECT a.value_json FROM trial_system_attributes a JOIN trials t "
             "USING (trial_id) WHERE t.number = 1 AND a.\"key\" = 'fail_reason'") ==
        std::vector<std::string>{"\"exit 1\""});

  // Retries and reruns do not count against the budget: one fresh trial is left.
  auto t4 = AskOne(*s, req, h);
  CHECK(t4.number == 3);
  CHECK_FALSE(t4.retry_of.has_value());
  auto done = s->Ask(req, h, FixedSample());
  REQUIRE(done.ok());
  CHECK(done->kind == AskResult::Kind::kBudgetExhausted);

  // Another tag has its own budget and no claim on t1's WAITING trials.
  auto other = AskOne(*s, Request(study->study_id, "t2", 1), h);
  CHECK(other.number == 4);
  CHECK(other.tag == "t2");

  auto exhausted = s->Ask(Request(study->study_id, "t3"), h,
                          [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
                            return std::optional<Params>();
                          });
  REQUIRE(exhausted.ok());
  CHECK(exhausted->kind == AskResult::Kind::kSamplerExhausted);
  CHECK(h.trials.size() == 5);
  for (size_t i = 0; i < h.trials.size(); ++i) CHECK(h.trials[i].number == int64_t(i));
}

// Two workers (connections) on one study; `a` asked `n` trials before.
struct TwoWorkers {
  explicit TwoWorkers(int n) : path(TestDatabase(dir)), a(OpenOrDie(path)), b(OpenOrDie(path)) {
    auto study = a->OpenStudy(SmallStudy());
    REQUIRE(study.ok());
    study_id = study->study_id;
    for (int i = 0; i < n; ++i) AskOne(*a, Request(study_id, "x"), ha);
  }
  // b's Ask, noting how many trials and which number the sampler saw.
  Result<AskResult> AskB(const AskRequest& req) {
    return b->Ask(req, hb, [&](const TrialHistory& h, int64_t n) -> Result<std::optional<Params>> {
      seen = h.trials.size();
      seen_number = n;
      return FixedSample()(h, n);
    });
  }
  TempDir dir;
  std::string path;
  std::unique_ptr<Storage> a, b;
  int64_t study_id = 0;
  TrialHistory ha, hb;
  size_t seen = 99;
  int64_t seen_number = -1;
};

TEST_CASE("the sampler sees the refreshed history and the next number") {
  TwoWorkers w(2);
  auto r = w.AskB(Request(w.study_id, "x"));
  REQUIRE(r.ok());
  CHECK(w.seen == 2);
  CHECK(w.seen_number == 2);
}

TEST_CASE("an Ask without refresh_history leaves the history alone; a later refresh has it all") {
  TwoWorkers w(1);
  AskRequest blind = Request(w.study_id, "x");
  blind.refresh_history = false;
  auto r = w.AskB(blind);
  REQUIRE(r.ok());
  CHECK(w.seen == 0);
  CHECK(r->trial.number == 1);
  auto& hb = w.hb;
  CHECK(hb.trials.empty());
  CHECK(hb.max_trial_id == 0);
  AskOne(*w.a, Request(w.study_id, "x"), w.ha);  // another worker's, after b's
  REQUIRE(w.b->RefreshHistory(w.study_id, hb).ok());
  REQUIRE(hb.trials.size() == 3);
  for (int64_t n = 0; n < 3; ++n) CHECK(hb.trials[static_cast<size_t>(n)].number == n);
}

TEST_CASE("a finished trial never changes") {
  TempDir dir;
  auto s = OpenOrDie(TestDatabase(dir));
  auto study = s->OpenStudy(SmallStudy());
  TrialHistory h;
  auto t = AskOne(*s, Request(study->study_id, "x"), h);
  REQUIRE(s->FinishTrial(t.trial_id, Complete(0.5)).ok());
  auto again = s->FinishTrial(t.trial_id, Complete(0.1));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == Error::Kind::kConflict);
  CHECK(again.error().message ==
        "trial 0 is COMPLETE, not RUNNING: a finished trial never changes");
  auto late = s->ReportIntermediate(t.trial_id, {{1, 0.3}});
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == Error::Kind::kConflict);
  auto missing = s->FinishTrial(12345, Complete(0.1));
  CHECK(missing.error().kind == Error::Kind::kNotFound);

  auto wrong = AskOne(*s, Request(study->study_id, "x"), h);
  auto two_values = s->FinishTrial(wrong.trial_id, TrialOutcome{TrialState::kComplete, {1, 2}});
  CHECK(two_values.error().kind == Error::Kind::kInvalidInput);
  auto nan = s->FinishTrial(wrong.trial_id, Complete(std::nan("")));
  CHECK(nan.error().kind == Error::Kind::kInvalidInput);
  // Nothing of the refused calls was written: the trial is still RUNNING.
  REQUIRE(s->RefreshHistory(study->study_id, h).ok());
  CHECK(h.trials[1].state == TrialState::kRunning);
  CHECK(h.trials[0].values == std::vector<double>{0.5});
}

TEST_CASE("infinities and NaN are stored as Optuna stores them") {
  TempDir dir;
  auto path = TestDatabase(dir);
  auto s = OpenOrDie(path);
  auto reg = SmallStudy();
  reg.objectives = {{"loss", Direction::kMinimize}, {"acc", Direction::kMaximize}};
  auto study = s->OpenStudy(reg);
  REQUIRE(study.ok());
  TrialHistory h;
  auto t = AskOne(*s, Request(study->study_id, "x"), h);
  REQUIRE(s->ReportIntermediate(t.trial_id, {{0, std::nan("")}, {1, HUGE_VAL}}).ok());
  TrialOutcome o;
  o.values = {HUGE_VAL, -HUGE_VAL};
  o.intermediate = {{2, -HUGE_VAL}, {3, 0.25}};
  REQUIRE(s->FinishTrial(t.trial_id, o).ok());
  CHECK(Rows(path, "SELECT objective, value, value_type FROM trial_values ORDER BY objective") ==
        std::vector<std::string>{"0|NULL|INF_POS", "1|NULL|INF_NEG"});
  CHECK(
      Rows(path,
           "SELECT step, intermediate_value, intermediate_value_type "
           "FROM trial_intermediate_values ORDER BY step") ==
      std::vector<std::string>{"0|NULL|NAN", "1|NULL|INF_POS", "2|NULL|INF_NEG", "3|0.25|FINITE"});
  auto listed = s->ListTrials(study->study_id, {});
  REQUIRE(listed.ok());
  const auto& r = listed->at(0);
  CHECK(r.values == std::vector<double>{HUGE_VAL, -HUGE_VAL});
  CHECK(std::isnan(r.intermediate.at(0)));
  CHECK(r.intermediate.at(1) == HUGE_VAL);
  CHECK(r.intermediate.at(3) == 0.25);
  CHECK(r.state == TrialState::kComplete);
  REQUIRE(r.datetime_start.has_value());
  REQUIRE(r.datetime_complete.has_value());
  CHECK(*r.datetime_complete >= *r.datetime_start);
}

TEST_CASE("a pruned trial keeps its last intermediate value, as Optuna's tell does") {
  TempDir dir;
  auto path = TestDatabase(dir);
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(SmallStudy());
  TrialHistory h;
  auto t = AskOne(*s, Request(study->study_id, "x"), h);
  TrialOutcome o;
  o.state = TrialState::kPruned;
  o.intermediate = {{1, 0.9}, {4, 0.7}};
  REQUIRE(s->FinishTrial(t.trial_id, o).ok());
  CHECK(Rows(path, "SELECT value, value_type FROM trial_values") ==
        std::vector<std::string>{"0.7|FINITE"});
}

TEST_CASE("an incremental history refresh equals a full read") {
  TempDir dir;
  auto path = TestDatabase(dir);
  auto a = OpenOrDie(path);
  auto b = OpenOrDie(path);
  auto study = a->OpenStudy(SmallStudy());
  REQUIRE(study.ok());
  TrialHistory ha, incremental;
  std::vector<TrialRecord> asked;
  for (int i = 0; i < 6; ++i) asked.push_back(AskOne(*a, Request(study->study_id, "x"), ha));
  REQUIRE(b->RefreshHistory(study->study_id, incremental).ok());
  CHECK(incremental.trials.size() == 6);
  // Change some (finish, report, fail with retry), add more, then refresh again.
  REQUIRE(a->FinishTrial(asked[0].trial_id, Complete(1.0)).ok());
  REQUIRE(a->ReportIntermediate(asked[2].trial_id, {{1, 0.5}}).ok());
  REQUIRE(a->FinishTrial(asked[3].trial_id, Failed("oom", TrialOutcome::Requeue::kRetry)).ok());
  for (int i = 0; i < 3; ++i) AskOne(*a, Request(study->study_id, "y"), ha);
  REQUIRE(a->FinishTrial(asked[5].trial_id, Complete(0.2)).ok());
  REQUIRE(b->RefreshHistory(study->study_id, incremental).ok());

  TrialHistory full;
  auto c = OpenOrDie(path);
  REQUIRE(c->RefreshHistory(study->study_id, full).ok());
  REQUIRE(incremental.trials.size() == full.trials.size());
  CHECK(incremental.max_trial_id == full.max_trial_id);
  for (size_t i = 0; i < full.trials.size(); ++i) {
    const auto& x = incremental.trials[i];
    const auto& y = full.trials[i];
    CAPTURE(i);
    CHECK(x.trial_id == y.trial_id);
    CHECK(x.number == y.number);
    CHECK(x.state == y.state);
    CHECK(x.params == y.params);
    CHECK(x.values == y.values);
    CHECK(x.intermediate == y.intermediate);
    CHECK(x.datetime_start == y.datetime_start);
    CHECK(x.datetime_complete == y.datetime_complete);
    CHECK(x.tag == y.tag);
    CHECK(x.attempt == y.attempt);
    CHECK(x.retry_of == y.retry_of);
    CHECK(x.worker_id == y.worker_id);
    CHECK(x.failure_reason == y.failure_reason);
    CHECK(x.log_path == y.log_path);
  }
  CHECK(full.trials.size() == 10);  // 6 + 1 retry + 3
  CHECK(full.trials[2].intermediate.at(1) == 0.5);
  CHECK(full.trials[3].failure_reason == "oom");
  // Ask's own history stays in step with the database too.
  REQUIRE(a->RefreshHistory(study->study_id, ha).ok());
  CHECK(ha.trials.size() == full.trials.size());
}

TEST_CASE("ListTrials filters by tag and state; ListStudies counts them") {
  TempDir dir;
  auto s = OpenOrDie(TestDatabase(dir));
  auto study = s->OpenStudy(SmallStudy());
  REQUIRE(s->OpenStudy(SmallStudy("empty")).ok());
  TrialHistory h;
  auto a = AskOne(*s, Request(study->study_id, "alpha"), h);
  AskOne(*s, Request(study->study_id, "beta"), h);
  auto c = AskOne(*s, Request(study->study_id, "alpha"), h);
  REQUIRE(s->FinishTrial(a.trial_id, Complete(1)).ok());
  REQUIRE(s->FinishTrial(c.trial_id, Failed("x", TrialOutcome::Requeue::kNo)).ok());

  auto alpha = s->ListTrials(study->study_id, {std::string("alpha"), std::nullopt});
  REQUIRE(alpha.ok());
  REQUIRE(alpha->size() == 2);
  CHECK((*alpha)[0].number == 0);
  CHECK((*alpha)[1].number == 2);
  auto failed = s->ListTrials(study->study_id, {std::string("alpha"), TrialState::kFail});
  REQUIRE(failed->size() == 1);
  CHECK(failed->front().failure_reason == "x");
  auto running = s->ListTrials(study->study_id, {std::nullopt, TrialState::kRunning});
  REQUIRE(running->size() == 1);
  CHECK(running->front().tag == "beta");
  auto by_number = s->ListTrials(study->study_id, {std::nullopt, std::nullopt, 2});
  REQUIRE(by_number->size() == 1);
  CHECK(by_number->front().trial_id == c.trial_id);
  CHECK(s->ListTrials(study->study_id, {std::string("beta"), std::nullopt, 2})->empty());
  CHECK(s->ListTrials(study->study_id, {std::nullopt, TrialState::kComplete, 2})->empty());

  auto all = s->ListStudies();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].info.name == "s");
  CHECK((*all)[0].tags == std::vector<std::string>{"alpha", "beta"});
  CHECK((*all)[0].trials_by_state.at(TrialState::kComplete) == 1);
  CHECK((*all)[0].trials_by_state.at(TrialState::kFail) == 1);
  CHECK((*all)[0].trials_by_state.at(TrialState::kRunning) == 1);
  CHECK((*all)[1].trials_by_state.empty());
}

TEST_CASE("a failing sampler leaves no trial behind") {
  TempDir dir;
  auto path = TestDatabase(dir);
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(SmallStudy());
  TrialHistory h;
  auto r = s->Ask(Request(study->study_id, "x"), h,
                  [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
                    return Error::Internal("sampler broke");
                  });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "sampler broke");
  auto outside = s->Ask(Request(study->study_id, "x"), h,
                        [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
                          return std::optional<Params>(Params{{"layers", 99}});
                        });
  REQUIRE_FALSE(outside.ok());
  CHECK(Rows(path, "SELECT count(*) FROM trials") == std::vector<std::string>{"0"});
  CHECK(Rows(path, "SELECT count(*) FROM gdsweep_trials") == std::vector<std::string>{"0"});
  CHECK(AskOne(*s, Request(study->study_id, "x"), h).number == 0);
}

TEST_CASE("a dead worker's trials go back to WAITING in place, whatever their attempt, once") {
  TempDir dir;
  auto path = TestDatabase(dir);
  auto s = OpenOrDie(path);
  auto study = s->OpenStudy(SmallStudy());
  REQUIRE(s->RegisterWorker({"dead", study->study_id, "h", 1, 100.0, 100.0}).ok());
  REQUIRE(s->RegisterWorker({"alive", study->study_id, "h", 2, 101.0, 101.0}).ok());
  REQUIRE(s->Heartbeat("alive", 200.0).ok());
  TrialHistory h;
  auto t0 = AskOne(*s, Request(study->study_id, "x", std::nullopt, "dead"), h);
  auto t1 = AskOne(*s, Request(study->study_id, "x", std::nullopt, "dead"), h);
  auto t2 = AskOne(*s, Request(study->study_id, "x", std::nullopt, "alive"), h);
  REQUIRE(s->FinishTrial(t1.trial_id, Failed("crash", TrialOutcome::Requeue::kRetry)).ok());
  auto t1_retry = AskOne(*s, Request(study->study_id, "x", std::nullopt, "dead"), h);
  CHECK(t1_retry.attempt == 2);
  REQUIRE(s->RecordRunProcesses({{t0.trial_id, 1, "h", "boot-1", 4242, 777}}).ok());

  auto requeued = s->RequeueTrialsOfWorker("dead", "worker dead stopped");
  REQUIRE(requeued.ok());
  REQUIRE(requeued->size() == 2);
  CHECK((*requeued)[0].trial_id == t0.trial_id);
  CHECK((*requeued)[1].trial_id == t1_retry.trial_id);
  auto runs = s->ListTrialRuns(t0.trial_id);
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().host == "h");
  CHECK(runs->front().boot_id == "boot-1");
  CHECK(runs->front().pid == 4242);
  CHECK(runs->front().pid_start_time == 777);
  CHECK(runs->front().outcome == "INTERRUPTED");
  CHECK(runs->front().reason == "worker dead stopped");

  auto workers = s->ListWorkers(study->study_id);
  REQUIRE(workers.ok());
  REQUIRE(workers->size() == 1);
  CHECK(workers->front().worker_id == "alive");
  CHECK(workers->front().heartbeat_at == 200.0);
  auto beat = s->Heartbeat("dead", 300.0);
  CHECK(beat.error().kind == Error::Kind::kNotFound);

  auto second = s->RequeueTrialsOfWorker("dead", "again");
  REQUIRE(second.ok());
  CHECK(second->empty());

  // Both are WAITING again as they were, t1's retry still at attempt 2 (no
  // retry spent, none refused), and no FAIL row was added for them.
  auto waiting = s->ListTrials(study->study_id, {std::nullopt, TrialState::kWaiting});
  REQUIRE(waiting->size() == 2);
  CHECK(waiting->front().trial_id == t0.trial_id);
  CHECK(waiting->front().attempt == 1);
  CHECK(waiting->back().trial_id == t1_retry.trial_id);
  CHECK(waiting->back().attempt == 2);
  CHECK(s->ListTrials(study->study_id, {std::nullopt, TrialState::kFail})->size() == 1);
  auto running = s->ListTrials(study->study_id, {std::nullopt, TrialState::kRunning});
  REQUIRE(running->size() == 1);
  CHECK(running->front().trial_id == t2.trial_id);
  REQUIRE(s->RemoveWorker("alive").ok());
  CHECK(s->ListWorkers(study->study_id)->empty());
}

TEST_CASE("a read-only storage reads and refuses to write") {
  TempDir dir;
  auto path = TestDatabase(dir);
  {
    auto s = OpenOrDie(path);
    auto study = s->OpenStudy(SmallStudy());
    TrialHistory h;
    AskOne(*s, Request(study->study_id, "x"), h);
  }
  auto ro = OpenStorage(path, /*read_only=*/true);
  REQUIRE(ro.ok());
  auto trials = (*ro)->ListTrials(1, {});
  REQUIRE(trials.ok());
  CHECK(trials->size() == 1);
  CHECK_FALSE((*ro)->OpenStudy(SmallStudy()).ok());

  if (testing::TestingPostgres()) return;  // a server's database: created by its owner
  SqliteOptions o;
  o.read_only = true;
  o.path = dir.File("missing.sqlite");
  auto none = OpenSqliteStorage(o);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == Error::Kind::kNotFound);
}

}  // namespace
}  // namespace gdsweep
