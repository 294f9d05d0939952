// Debian's Optuna (python3-optuna 3.1) reads what gdsweep writes, and gdsweep
// adopts and continues what Optuna wrote. Runs storage/testdata/*.py with
// GDSWEEP_PYTHON; skipped (with a message) when that has no optuna.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "storage/storage.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using nlohmann::json;
using testing::OpenOrDie;
using testing::Request;
using testing::TempDir;

json ReadWithOptuna(const std::string& db, const std::string& study,
                    const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {db, study};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = testing::RunInterop("read_study.py", args);
  REQUIRE_MESSAGE(r.status == 0, "read_study.py failed: " << r.out);
  return json::parse(r.out);
}

SampleFn Give(Params p) {
  return [p](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
    return std::optional<Params>(p);
  };
}

StudyRegistration MixedStudy(const std::string& name, std::vector<Objective> objectives) {
  StudyRegistration reg;
  reg.name = name;
  reg.objectives = std::move(objectives);
  reg.space = {
      {"lr", FloatDistribution{1e-5, 1.0, true, std::nullopt}},
      {"dropout", FloatDistribution{0.0, 0.5, false, 0.1}},
      {"layers", IntDistribution{2, 10, false, 2}},
      {"units", IntDistribution{16, 256, true, 1}},
      {"opt", CategoricalDistribution{{Choice{std::string("adam")}, Choice{true},
                                       Choice{int64_t{3}}, Choice{}, Choice{1.5}}}},
  };
  reg.spec_json = "{}";
  return reg;
}

TEST_CASE("Optuna reads a study gdsweep wrote") {
  if (!testing::HavePythonOptuna()) {
    MESSAGE("skipped: " << GDSWEEP_PYTHON << " cannot import optuna");
    return;
  }
  TempDir dir;
  const auto path = dir.File("gd.db");
  auto s = OpenOrDie(path);

  // Single objective: complete with intermediate values, a failure and its retry.
  auto single = s->OpenStudy(MixedStudy("single", {{"loss", Direction::kMinimize}}));
  REQUIRE(single.ok());
  // Reported to a tracker too: Optuna never sees the outbox.
  TrackingTarget target;
  target.uri = "http://mlflow:5000";
  target.experiment = "single";
  REQUIRE(s->SetTrackingTarget(single->study_id, "a", target).ok());
  TrialHistory h;
  const Params p0 = {{"lr", 0.001}, {"dropout", 0.2}, {"layers", 4}, {"units", 32}, {"opt", 0}};
  const Params p1 = {{"lr", 0.5}, {"dropout", 0.5}, {"layers", 10}, {"units", 200}, {"opt", 1}};
  const Params p2 = {{"lr", 1e-5}, {"dropout", 0.0}, {"layers", 2}, {"units", 16}, {"opt", 3}};
  auto t0 = s->Ask(Request(single->study_id, "a"), h, Give(p0));
  auto t1 = s->Ask(Request(single->study_id, "a"), h, Give(p1));
  auto t2 = s->Ask(Request(single->study_id, "a"), h, Give(p2));
  REQUIRE((t0.ok() && t1.ok() && t2.ok()));
  TrialOutcome done;
  done.values = {0.25};
  done.intermediate = {{1, 0.5}, {2, std::nan("")}, {3, 0.3}};
  REQUIRE(s->FinishTrial(t0->trial.trial_id, done).ok());
  TrialOutcome fail;
  fail.state = TrialState::kFail;
  fail.failure_reason = "exit code 3";
  fail.requeue = TrialOutcome::Requeue::kRetry;
  REQUIRE(s->FinishTrial(t1->trial.trial_id, fail).ok());
  TrialOutcome worse;
  worse.values = {0.75};
  REQUIRE(s->FinishTrial(t2->trial.trial_id, worse).ok());
  CHECK(s->CountOutbox(single->study_id, "a")->pending == 6);  // 3 starts, 3 ends

  // Two objectives, left with one COMPLETE trial and one WAITING retry.
  auto multi = s->OpenStudy(
      MixedStudy("multi", {{"loss", Direction::kMinimize}, {"acc", Direction::kMaximize}}));
  REQUIRE(multi.ok());
  TrialHistory hm;
  auto m0 = s->Ask(Request(multi->study_id, "b"), hm, Give(p0));
  auto m1 = s->Ask(Request(multi->study_id, "b"), hm, Give(p2));
  auto m2 = s->Ask(Request(multi->study_id, "b"), hm, Give(p1));
  REQUIRE((m0.ok() && m1.ok() && m2.ok()));
  TrialOutcome two;
  two.values = {0.1, 0.9};
  REQUIRE(s->FinishTrial(m0->trial.trial_id, two).ok());
  REQUIRE(s->FinishTrial(m1->trial.trial_id, fail).ok());
  TrialOutcome infinite;
  infinite.values = {HUGE_VAL, -HUGE_VAL};
  REQUIRE(s->FinishTrial(m2->trial.trial_id, infinite).ok());

  SUBCASE("single objective") {
    json out = ReadWithOptuna(path, "single");
    CHECK(out["alembic"] == "v3.0.0.d");
    CHECK(out["directions"] == json::array({"MINIMIZE"}));
    const json& trials = out["trials"];
    REQUIRE(trials.size() == 4);
    CHECK(trials[0]["state"] == "COMPLETE");
    CHECK(trials[0]["params"] ==
          json({{"lr", 0.001}, {"dropout", 0.2}, {"layers", 4}, {"units", 32}, {"opt", "adam"}}));
    CHECK(trials[0]["values"] == json::array({0.25}));
    CHECK(trials[0]["intermediate_values"] == json({{"1", 0.5}, {"2", "nan"}, {"3", 0.3}}));
    CHECK(json::parse(trials[0]["distributions"]["dropout"].get<std::string>()) ==
          json::parse(R"({"name": "FloatDistribution",
                          "attributes": {"step": 0.1, "low": 0.0, "high": 0.5, "log": false}})"));
    CHECK(json::parse(trials[0]["distributions"]["units"].get<std::string>()) ==
          json::parse(R"({"name": "IntDistribution",
                          "attributes": {"log": true, "step": 1, "low": 16, "high": 256}})"));
    CHECK(trials[1]["state"] == "FAIL");
    CHECK(trials[1]["values"].is_null());
    CHECK(trials[1]["system_attrs"]["fail_reason"] == "exit code 3");
    CHECK(trials[1]["params"]["opt"] == true);
    CHECK(trials[2]["state"] == "COMPLETE");
    CHECK(trials[2]["values"] == json::array({0.75}));
    CHECK(trials[2]["params"]["opt"].is_null());
    CHECK(trials[3]["state"] == "WAITING");
    CHECK(trials[3]["params"] == trials[1]["params"]);
    CHECK(trials[3]["system_attrs"]["failed_trial"] == 1);
    CHECK(trials[3]["system_attrs"]["retry_history"] == json::array({1}));
    CHECK(trials[3]["system_attrs"]["fixed_params"] == trials[1]["params"]);
    CHECK_FALSE(trials[3]["has_start"].get<bool>());
    CHECK(out["best_number"] == 0);
  }
  SUBCASE("two objectives") {
    json out = ReadWithOptuna(path, "multi");
    CHECK(out["directions"] == json::array({"MINIMIZE", "MAXIMIZE"}));
    const json& trials = out["trials"];
    REQUIRE(trials.size() == 4);
    CHECK(trials[0]["values"] == json::array({0.1, 0.9}));
    CHECK(trials[0]["params"]["opt"] == "adam");
    CHECK(trials[1]["state"] == "FAIL");
    CHECK(trials[2]["values"] == json::array({"inf", "-inf"}));
    CHECK(trials[2]["params"]["opt"] == true);
    CHECK(trials[3]["state"] == "WAITING");
    CHECK(trials[3]["params"] == trials[1]["params"]);
    CHECK(out["pareto_numbers"] == json::array({0}));
  }
  SUBCASE("Optuna continues the study in the same file, then gdsweep does") {
    s.reset();
    json out = ReadWithOptuna(path, "single", {"--optimize", "2"});
    const json& trials = out["trials"];
    REQUIRE(trials.size() == 5);
    // Optuna ran the WAITING retry first (with its fixed params), then a new trial.
    CHECK(trials[3]["state"] == "COMPLETE");
    CHECK(trials[3]["params"] == trials[1]["params"]);
    CHECK(trials[4]["number"] == 4);
    auto again = OpenOrDie(path);
    auto reopened = again->OpenStudy(MixedStudy("single", {{"loss", Direction::kMinimize}}));
    REQUIRE(reopened.ok());
    TrialHistory h2;
    auto next = again->Ask(Request(reopened->study_id, "a"), h2, Give(p0));
    REQUIRE(next.ok());
    CHECK(next->trial.number == 5);
    CHECK(h2.trials.size() == 6);
  }
}

StudyRegistration OptunaShapedStudy() {
  StudyRegistration reg;
  reg.name = "optuna-made";
  reg.objectives = {{"loss", Direction::kMinimize}};
  reg.space = {
      {"x", FloatDistribution{-5, 5, false, std::nullopt}},
      {"y", IntDistribution{-5, 5, false, 1}},
      {"opt", CategoricalDistribution{{Choice{std::string("adam")}, Choice{std::string("sgd")},
                                       Choice{true}, Choice{int64_t{3}}}}},
  };
  reg.spec_json = "{}";
  reg.seed = 11;
  return reg;
}

TEST_CASE("gdsweep adopts a study Optuna created and continues its numbering") {
  if (!testing::HavePythonOptuna()) {
    MESSAGE("skipped: " << GDSWEEP_PYTHON << " cannot import optuna");
    return;
  }
  TempDir dir;
  const auto path = dir.File("optuna.db");
  auto made = testing::RunInterop("make_study.py", {path, "optuna-made", "3"});
  REQUIRE_MESSAGE(made.status == 0, made.out);

  SUBCASE("a matching space is adopted") {
    {
      // A reader first: Optuna's file has no gdsweep tables yet.
      SqliteOptions ro;
      ro.path = path;
      ro.read_only = true;
      auto reader = OpenSqliteStorage(ro);
      REQUIRE_MESSAGE(reader.ok(), (reader.ok() ? "" : reader.error().message));
      auto studies = (*reader)->ListStudies();
      REQUIRE(studies.ok());
      REQUIRE(studies->size() == 1);
      CHECK(studies->front().trials_by_state.at(TrialState::kComplete) == 3);
      CHECK(studies->front().tags.empty());
      CHECK(studies->front().info.metric_names.empty());
      // The tracking tables have stand-ins too.
      const int64_t id = studies->front().info.study_id;
      CHECK((*reader)->ListTrackingTargets()->empty());
      CHECK_FALSE((*reader)->GetTrackingTarget(id, "")->has_value());
      CHECK((*reader)->CountOutbox(id, "")->pending == 0);
      CHECK((*reader)->DeadOutbox(id, "")->empty());
      CHECK_FALSE((*reader)->GetTrackingRun(id, "", 0)->has_value());
      // The distributions Optuna keeps in trial_params, to show choices, not indices.
      auto params = (*reader)->ListParams(id);
      REQUIRE(params.ok());
      REQUIRE(params->size() == 3);
      const Parameter* opt = FindParameter(*params, "opt");
      REQUIRE(opt != nullptr);
      CHECK(opt->distribution == Distribution(CategoricalDistribution{
                                     {Choice(std::string("adam")), Choice(std::string("sgd")),
                                      Choice(true), Choice(int64_t{3})}}));
      CHECK(std::holds_alternative<FloatDistribution>(FindParameter(*params, "x")->distribution));
    }
    auto s = OpenOrDie(path);
    auto info = s->OpenStudy(OptunaShapedStudy());
    REQUIRE_MESSAGE(info.ok(), (info.ok() ? "" : info.error().message));
    CHECK_FALSE(info->created);
    CHECK(info->seed == 11);
    TrialHistory h;
    auto asked =
        s->Ask(Request(info->study_id, "t1", 2), h, Give({{"x", 1.5}, {"y", -2}, {"opt", 2}}));
    REQUIRE(asked.ok());
    CHECK(asked->trial.number == 3);
    REQUIRE(h.trials.size() == 4);
    CHECK(h.trials[0].tag.empty());
    CHECK(h.trials[0].state == TrialState::kComplete);
    CHECK(h.trials[0].params.size() == 3);
    CHECK(h.trials[0].intermediate.size() == 1);
    TrialOutcome o;
    o.values = {2.0};
    REQUIRE(s->FinishTrial(asked->trial.trial_id, o).ok());
    // Optuna's trials count for no sweep tag's budget.
    auto second =
        s->Ask(Request(info->study_id, "t1", 2), h, Give({{"x", 0}, {"y", 0}, {"opt", 0}}));
    REQUIRE(second.ok());
    CHECK(second->kind == AskResult::Kind::kTrial);
    // Once adopted, the study resumes like any other.
    CHECK(s->OpenStudy(OptunaShapedStudy()).ok());
    s.reset();
    json out = ReadWithOptuna(path, "optuna-made");
    REQUIRE(out["trials"].size() == 5);
    CHECK(out["trials"][3]["params"] == json({{"x", 1.5}, {"y", -2}, {"opt", true}}));
    CHECK(out["trials"][3]["values"] == json::array({2.0}));
  }
  SUBCASE("a mismatching space is refused, naming the parameter") {
    auto s = OpenOrDie(path);
    auto reg = OptunaShapedStudy();
    std::get<FloatDistribution>(reg.space[0].distribution).low = 0;
    auto r = s->OpenStudy(reg);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == Error::Kind::kConflict);
    CHECK(r.error().message.find(
              "search_space.x: the study's trials have FloatDistribution(low=-5.0, high=5.0, "
              "log=false, step=None), the file FloatDistribution(low=0.0, high=5.0, log=false, "
              "step=None)") != std::string::npos);
    // Nothing was recorded: the right space is still adopted afterwards.
    CHECK(s->OpenStudy(OptunaShapedStudy()).ok());
  }
  SUBCASE("a parameter the file lacks, or other directions, are refused too") {
    auto s = OpenOrDie(path);
    auto reg = OptunaShapedStudy();
    reg.space.pop_back();
    auto r = s->OpenStudy(reg);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("parameter opt") != std::string::npos);
    auto max = OptunaShapedStudy();
    max.objectives[0].direction = Direction::kMaximize;
    auto d = s->OpenStudy(max);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().kind == Error::Kind::kConflict);
    CHECK(d.error().message.find("MINIMIZE") != std::string::npos);
  }
}

}  // namespace
}  // namespace gdsweep
