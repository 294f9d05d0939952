// Storage::ReportAndJudge: intermediate values stored and judged in one
// transaction, successive halving's rung values kept as Optuna's
// "completed_rung_N" trial system attributes (written as json.dumps writes a
// float, read back into every trial's completed_rungs), a pruned trial
// finished PRUNED with its last value, repeated steps ignored as Optuna's
// report ignores them; and Debian's Optuna reading and writing those rungs.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "storage/storage.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::AskOne;
using testing::OpenOrDie;
using testing::Request;
using testing::Rows;
using testing::TempDir;

// A judge that records what it saw and answers from a script: rungs to
// complete and whether to prune, per (trial id, step).
struct ScriptedJudge {
  std::map<std::pair<int64_t, int64_t>, Judgement> answers;
  std::vector<std::string> seen;  // "trial@step: history steps of every trial"
  JudgeFn Fn() {
    return [this](const TrialHistory& h, const TrialRecord& t) -> Result<Judgement> {
      std::string line =
          std::to_string(t.number) + "@" + std::to_string(t.intermediate.rbegin()->first) + ":";
      for (const auto& other : h.trials) {
        line +=
            " " + std::to_string(other.number) + "=" + std::to_string(other.intermediate.size());
      }
      seen.push_back(line);
      auto it = answers.find({t.trial_id, t.intermediate.rbegin()->first});
      return it == answers.end() ? Judgement{} : it->second;
    };
  }
};

// A database with SmallStudy() open in it.
struct Db {
  TempDir dir;
  std::string path = dir.File("db");
  std::unique_ptr<Storage> s = OpenOrDie(path);
  StudyInfo study = Open(*s);
  TrialHistory h;
  static StudyInfo Open(Storage& storage) {
    auto opened = storage.OpenStudy(testing::SmallStudy());
    REQUIRE(opened.ok());
    return *opened;
  }
};

TEST_CASE(
    "rungs are stored as Optuna's completed_rung_N attributes and read back for every trial") {
  Db db;
  auto& s = db.s;
  const auto& path = db.path;
  const StudyInfo* study = &db.study;
  TrialHistory& h = db.h;
  auto t0 = AskOne(*s, Request(study->study_id, "a"), h);
  auto t1 = AskOne(*s, Request(study->study_id, "a"), h);

  ScriptedJudge judge;
  judge.answers[{t0.trial_id, 1}] = Judgement{false, {{0, 0.25}}};
  judge.answers[{t1.trial_id, 1}] = Judgement{false, {{0, HUGE_VAL}}};
  judge.answers[{t1.trial_id, 2}] = Judgement{false, {{1, -HUGE_VAL}, {2, 1e-05}}};
  ReportRequest req;
  req.study_id = study->study_id;
  req.values = {{t0.trial_id, 1, 0.25}, {t1.trial_id, 1, 3.0}, {t1.trial_id, 2, 1.5}};
  TrialHistory judged_history;
  auto r = s->ReportAndJudge(req, judged_history, judge.Fn());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  REQUIRE(r->verdicts.size() == 3);
  CHECK(r->conflicts.empty());
  // Each judgement saw the values stored before it, the other trial's too.
  CHECK(judge.seen == std::vector<std::string>{"0@1: 0=1 1=0", "1@1: 0=1 1=1", "1@2: 0=1 1=2"});

  // As Python's json.dumps writes the numbers.
  CHECK(Rows(path,
             "SELECT trial_id, key, value_json FROM trial_system_attributes "
             "WHERE key LIKE 'completed_rung_%' ORDER BY trial_id, key") ==
        std::vector<std::string>{std::to_string(t0.trial_id) + "|completed_rung_0|0.25",
                                 std::to_string(t1.trial_id) + "|completed_rung_0|Infinity",
                                 std::to_string(t1.trial_id) + "|completed_rung_1|-Infinity",
                                 std::to_string(t1.trial_id) + "|completed_rung_2|1e-05"});
  // Read back into every trial: a list, a fresh history, the judge's history.
  auto listed = s->ListTrials(study->study_id, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].completed_rungs == std::map<int, double>{{0, 0.25}});
  CHECK((*listed)[1].completed_rungs ==
        std::map<int, double>{{0, HUGE_VAL}, {1, -HUGE_VAL}, {2, 1e-05}});
  TrialHistory fresh;
  REQUIRE(s->RefreshHistory(study->study_id, fresh).ok());
  CHECK(fresh.trials[1].completed_rungs == (*listed)[1].completed_rungs);
  CHECK(judged_history.trials[1].completed_rungs == (*listed)[1].completed_rungs);
  CHECK(judged_history.trials[1].intermediate == std::map<int64_t, double>{{1, 3.0}, {2, 1.5}});
}

TEST_CASE(
    "another connection's new intermediate values of a RUNNING trial reach a refreshed history") {
  TempDir dir;
  const auto path = dir.File("db");
  auto a = OpenOrDie(path);
  auto b = OpenOrDie(path);
  auto study = a->OpenStudy(testing::SmallStudy());
  REQUIRE(study.ok());
  TrialHistory ha, hb;
  auto t0 = AskOne(*a, Request(study->study_id, "a"), ha);
  auto t1 = AskOne(*b, Request(study->study_id, "a", std::nullopt, "w2"), hb);
  ReportRequest req;
  req.study_id = study->study_id;
  req.values = {{t0.trial_id, 0, 1.0}};
  REQUIRE(a->ReportAndJudge(req, ha, ScriptedJudge().Fn()).ok());
  req.values = {{t1.trial_id, 0, 2.0}, {t1.trial_id, 1, 1.5}};
  REQUIRE(b->ReportAndJudge(req, hb, ScriptedJudge().Fn()).ok());
  ScriptedJudge judge;
  req.values = {{t0.trial_id, 1, 0.5}};
  REQUIRE(a->ReportAndJudge(req, ha, judge.Fn()).ok());
  CHECK(judge.seen == std::vector<std::string>{"0@1: 0=2 1=2"});
}

TEST_CASE("a pruned trial is finished PRUNED with its last value in the same transaction") {
  Db db;
  auto& s = db.s;
  const auto& path = db.path;
  const StudyInfo* study = &db.study;
  TrialHistory& h = db.h;
  auto t = AskOne(*s, Request(study->study_id, "a"), h);
  ScriptedJudge judge;
  judge.answers[{t.trial_id, 5}] = Judgement{true, {{1, 0.75}}};
  ReportRequest req;
  req.study_id = study->study_id;
  // Step 5 before step 3: judged at the largest step, 5, whose value stands.
  req.values = {{t.trial_id, 5, 0.75}, {t.trial_id, 3, 0.5}, {t.trial_id, 6, 0.1}};

  SUBCASE("the engine: finished at once; values after the decision are dropped") {
    // Pruned after its second value (step 3), judged at its largest step, 5.
    JudgeFn second = [](const TrialHistory&, const TrialRecord& tr) -> Result<Judgement> {
      return Judgement{tr.intermediate.size() == 2, {{1, 0.75}}};
    };
    auto r = s->ReportAndJudge(req, h, second);
    REQUIRE(r.ok());
    REQUIRE(r->verdicts.size() == 2);
    CHECK(r->verdicts[1].prune);
    CHECK(r->verdicts[1].step == 3);
    CHECK(r->verdicts[1].judged_at == 5);
    CHECK(r->verdicts[1].latest == 0.75);
    auto listed = s->ListTrials(study->study_id, {});
    REQUIRE(listed.ok());
    const TrialRecord& pruned = listed->front();
    CHECK(pruned.state == TrialState::kPruned);
    CHECK(pruned.values == std::vector<double>{0.75});
    CHECK(pruned.intermediate == std::map<int64_t, double>{{3, 0.5}, {5, 0.75}});
    CHECK(pruned.datetime_complete.has_value());
    CHECK(pruned.failure_reason == "pruned at step 5");
    CHECK(pruned.completed_rungs == std::map<int, double>{{1, 0.75}});
    CHECK(h.trials.front().state == TrialState::kPruned);
    // Its run ended PRUNED.
    CHECK(Rows(path, "SELECT outcome FROM gdsweep_trial_runs") ==
          std::vector<std::string>{"PRUNED"});
  }
  SUBCASE("should-prune: only the decision; the caller tells") {
    req.finish_pruned = false;
    auto r = s->ReportAndJudge(req, h, judge.Fn());
    REQUIRE(r.ok());
    REQUIRE(r->verdicts.size() == 1);
    CHECK(r->verdicts[0].prune);
    auto listed = s->ListTrials(study->study_id, {});
    REQUIRE(listed.ok());
    CHECK(listed->front().state == TrialState::kRunning);
    CHECK(listed->front().completed_rungs == std::map<int, double>{{1, 0.75}});
    TrialOutcome pruned;
    pruned.state = TrialState::kPruned;
    REQUIRE(s->FinishTrial(t.trial_id, pruned).ok());
    listed = s->ListTrials(study->study_id, {});
    CHECK(listed->front().values == std::vector<double>{0.75});
  }
}

TEST_CASE("a repeated step keeps its first value, as Optuna's report does, and is judged again") {
  Db db;
  auto& s = db.s;
  const StudyInfo* study = &db.study;
  TrialHistory& h = db.h;
  auto t = AskOne(*s, Request(study->study_id, "a"), h);
  ScriptedJudge judge;
  ReportRequest req;
  req.study_id = study->study_id;
  req.refresh_history = false;  // a judge that reads no history (threshold)
  req.values = {{t.trial_id, 1, 0.5}, {t.trial_id, 1, 0.1}};
  auto r = s->ReportAndJudge(req, h, judge.Fn());
  REQUIRE(r.ok());
  REQUIRE(r->verdicts.size() == 2);
  CHECK_FALSE(r->verdicts[0].repeated);
  CHECK(r->verdicts[1].repeated);
  CHECK(judge.seen == std::vector<std::string>{"0@1:", "0@1:"});  // no history read
  auto listed = s->ListTrials(study->study_id, {});
  REQUIRE(listed.ok());
  CHECK(listed->front().intermediate == std::map<int64_t, double>{{1, 0.5}});
}

TEST_CASE("values of a trial that is no longer RUNNING are refused, and the others stored") {
  Db db;
  auto& s = db.s;
  const StudyInfo* study = &db.study;
  TrialHistory& h = db.h;
  auto done = AskOne(*s, Request(study->study_id, "a"), h);
  auto running = AskOne(*s, Request(study->study_id, "a"), h);
  REQUIRE(s->FinishTrial(done.trial_id, testing::Complete(1.0)).ok());
  ReportRequest req;
  req.study_id = study->study_id;
  req.values = {{done.trial_id, 1, 0.5}, {running.trial_id, 1, 0.25}};
  auto r = s->ReportAndJudge(req, h, {});
  REQUIRE(r.ok());
  REQUIRE(r->conflicts.size() == 1);
  CHECK(r->conflicts[0].first == done.trial_id);
  CHECK(r->conflicts[0].second.kind == Error::Kind::kConflict);
  REQUIRE(r->verdicts.size() == 1);
  auto listed = s->ListTrials(study->study_id, {});
  REQUIRE(listed.ok());
  CHECK(listed->at(0).intermediate.empty());
  CHECK(listed->at(1).intermediate == std::map<int64_t, double>{{1, 0.25}});
}

TEST_CASE("Optuna reads the rungs gdsweep wrote, and gdsweep reads the rungs Optuna wrote") {
  if (!testing::HavePythonOptuna()) {
    MESSAGE("skipped: " << GDSWEEP_PYTHON << " cannot import optuna");
    return;
  }
  TempDir dir;
  const auto path = dir.File("db");
  {
    auto s = OpenOrDie(path);
    auto study = s->OpenStudy(testing::SmallStudy("gd"));
    REQUIRE(study.ok());
    TrialHistory h;
    auto t = AskOne(*s, Request(study->study_id, "a"), h);
    ScriptedJudge judge;
    judge.answers[{t.trial_id, 4}] = Judgement{true, {{0, 0.5}, {1, HUGE_VAL}}};
    ReportRequest req;
    req.study_id = study->study_id;
    req.values = {{t.trial_id, 1, 0.5}, {t.trial_id, 4, HUGE_VAL}};
    REQUIRE(s->ReportAndJudge(req, h, judge.Fn()).ok());
  }
  auto read = testing::RunInterop("read_study.py", {path, "gd"});
  REQUIRE_MESSAGE(read.status == 0, "read_study.py failed: " << read.out);
  auto j = nlohmann::json::parse(read.out);
  const auto& trial = j["trials"][0];
  CHECK(trial["state"] == "PRUNED");
  CHECK(trial["values"] == nlohmann::json::parse(R"(["inf"])"));
  CHECK(trial["system_attrs"]["completed_rung_0"] == 0.5);
  CHECK(trial["system_attrs"]["completed_rung_1"] == "inf");

  // Optuna's own successive halving on a study of its own: every trial's
  // rungs, as Optuna's trial.system_attrs has them, are what gdsweep reads.
  const auto optuna_db = dir.File("optuna.db");
  auto made = testing::RunInterop("make_pruned_study.py", {optuna_db, "sh"});
  REQUIRE_MESSAGE(made.status == 0, "make_pruned_study.py failed: " << made.out);
  auto expected = nlohmann::json::parse(made.out);
  auto s = OpenOrDie(optuna_db);
  auto study = s->GetStudy("sh");
  REQUIRE(study.ok());
  auto trials = s->ListTrials(study->study_id, {});
  REQUIRE(trials.ok());
  REQUIRE(trials->size() == expected.size());
  int with_rungs = 0;
  for (const auto& t : *trials) {
    nlohmann::json got = nlohmann::json::object();
    for (const auto& [rung, value] : t.completed_rungs) {
      got[std::to_string(rung)] =
          std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(value > 0 ? "inf" : "-inf");
    }
    CHECK_MESSAGE(got == expected[std::to_string(t.number)], "trial " << t.number);
    with_rungs += !t.completed_rungs.empty();
  }
  CHECK(with_rungs >= 5);
}

}  // namespace
}  // namespace gdsweep
