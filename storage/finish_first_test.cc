// Ask's finish_first (sqlite_storage.cc): the trials a worker saw end are
// finished in the same transaction as its next ask, so one commit per trial.
#include <doctest/doctest.h>

#include "storage/storage.h"
#include "storage/test_support.h"

namespace gdsweep {
namespace {

using testing::Complete;
using testing::FixedSample;
using testing::OpenOrDie;
using testing::Request;
using testing::Rows;
using testing::SmallStudy;
using testing::TempDir;

struct Fixture {
  TempDir dir;
  std::string path = dir.File("db.sqlite");
  std::unique_ptr<Storage> s = OpenOrDie(path);
  int64_t study_id = 0;
  TrialHistory h;

  Fixture() {
    auto study = s->OpenStudy(SmallStudy());
    REQUIRE(study.ok());
    study_id = study->study_id;
  }
  TrialRecord Ask(std::optional<int64_t> n_trials = std::nullopt) {
    auto r = s->Ask(Request(study_id, "t", n_trials), h, FixedSample());
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    REQUIRE(r->kind == AskResult::Kind::kTrial);
    return r->trial;
  }
  // The trial's state as another connection sees it.
  std::string StateOf(int64_t trial_id) {
    return Rows(path, "SELECT state FROM trials WHERE trial_id = " + std::to_string(trial_id))
        .at(0);
  }
};

TEST_CASE("finish_first is committed with the new trial, and the sampler sees it finished") {
  Fixture f;
  auto t0 = f.Ask();
  auto t1 = f.Ask();
  auto req = Request(f.study_id, "t");
  req.finish_first = {{t0.trial_id, Complete(0.5)}, {t1.trial_id, Complete(0.25)}};
  std::vector<TrialState> seen;
  std::vector<double> seen_values;
  auto r = f.s->Ask(req, f.h, [&](const TrialHistory& h, int64_t n) {
    for (const auto& t : h.trials) seen.push_back(t.state);
    seen_values = h.trials.at(1).values;
    return FixedSample()(h, n);
  });
  REQUIRE(r.ok());
  CHECK(r->kind == AskResult::Kind::kTrial);
  CHECK(r->finish_errors.empty());
  CHECK(r->trial.number == 2);
  CHECK(seen == std::vector<TrialState>{TrialState::kComplete, TrialState::kComplete});
  CHECK(seen_values == std::vector<double>{0.25});
  CHECK(f.StateOf(t0.trial_id) == "COMPLETE");
  CHECK(f.StateOf(t1.trial_id) == "COMPLETE");
  REQUIRE(f.h.trials.size() == 3);
  CHECK(f.h.trials[0].values == std::vector<double>{0.5});

  SUBCASE("and rolled back with it when the ask fails") {
    auto t3 = f.Ask();
    auto failing = Request(f.study_id, "t");
    failing.finish_first = {{t3.trial_id, Complete(0.1)}};
    auto broken =
        f.s->Ask(failing, f.h, [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
          return Error::Internal("sampler broke");
        });
    REQUIRE_FALSE(broken.ok());
    CHECK(f.StateOf(t3.trial_id) == "RUNNING");
    CHECK(Rows(f.path, "SELECT count(*) FROM trials") == std::vector<std::string>{"4"});
  }
}

TEST_CASE("a finish_first trial that is no longer RUNNING is reported, the rest still done") {
  Fixture f;
  auto t0 = f.Ask();
  auto t1 = f.Ask();
  REQUIRE(f.s->FinishTrial(t0.trial_id, Complete(0.5)).ok());  // say, failed by another worker
  auto req = Request(f.study_id, "t");
  req.finish_first = {{t0.trial_id, Complete(0.1)}, {t1.trial_id, Complete(0.2)}};
  auto r = f.s->Ask(req, f.h, FixedSample());
  REQUIRE(r.ok());
  CHECK(r->kind == AskResult::Kind::kTrial);
  REQUIRE(r->finish_errors.size() == 1);
  CHECK(r->finish_errors[0].first == t0.trial_id);
  CHECK(r->finish_errors[0].second.kind == Error::Kind::kConflict);
  CHECK(f.StateOf(t1.trial_id) == "COMPLETE");
  CHECK(Rows(f.path, "SELECT value FROM trial_values WHERE trial_id = " +
                         std::to_string(t0.trial_id)) == std::vector<std::string>{"0.5"});

  SUBCASE("any other error fails the whole ask") {
    auto t3 = r->trial;
    auto bad = Request(f.study_id, "t");
    bad.finish_first = {{t3.trial_id, Complete(0.3)}, {12345, Complete(0.3)}};
    auto refused = f.s->Ask(bad, f.h, FixedSample());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == Error::Kind::kNotFound);
    CHECK(f.StateOf(t3.trial_id) == "RUNNING");
    CHECK(Rows(f.path, "SELECT count(*) FROM trials") == std::vector<std::string>{"3"});
  }
}

TEST_CASE("an ask that starts no trial still commits its finishes") {
  Fixture f;
  auto t0 = f.Ask(2);
  auto t1 = f.Ask(2);
  SUBCASE("budget exhausted") {
    auto req = Request(f.study_id, "t", 2);
    req.finish_first = {{t0.trial_id, Complete(0.5)}};
    auto r = f.s->Ask(req, f.h, FixedSample());
    REQUIRE(r.ok());
    CHECK(r->kind == AskResult::Kind::kBudgetExhausted);
    CHECK(f.StateOf(t0.trial_id) == "COMPLETE");
  }
  SUBCASE("sampler exhausted") {
    auto req = Request(f.study_id, "t");
    req.finish_first = {{t1.trial_id, Complete(0.5)}};
    auto r = f.s->Ask(req, f.h, [](const TrialHistory&, int64_t) -> Result<std::optional<Params>> {
      return std::optional<Params>();
    });
    REQUIRE(r.ok());
    CHECK(r->kind == AskResult::Kind::kSamplerExhausted);
    CHECK(f.StateOf(t1.trial_id) == "COMPLETE");
  }
  SUBCASE("a failed finish's retry is claimed by the same ask") {
    TrialOutcome failed;
    failed.state = TrialState::kFail;
    failed.failure_reason = "exit 1";
    failed.requeue = TrialOutcome::Requeue::kRetry;
    auto req = Request(f.study_id, "t", 2);
    req.finish_first = {{t0.trial_id, failed}};
    auto r = f.s->Ask(req, f.h, FixedSample());
    REQUIRE(r.ok());
    REQUIRE(r->kind == AskResult::Kind::kTrial);
    CHECK(r->trial.retry_of == 0);
    CHECK(r->trial.attempt == 2);
    CHECK(f.StateOf(t0.trial_id) == "FAIL");
  }
}

TEST_CASE("with a tracking target, the finish is reported before the next start") {
  Fixture f;
  TrackingTarget target;
  target.uri = "http://mlflow:5000";
  target.experiment = "exp";
  REQUIRE(f.s->SetTrackingTarget(f.study_id, "t", target).ok());
  auto t0 = f.Ask();
  auto req = Request(f.study_id, "t");
  req.finish_first = {{t0.trial_id, Complete(0.5)}};
  auto r = f.s->Ask(req, f.h, FixedSample());
  REQUIRE(r.ok());
  CHECK(Rows(f.path, "SELECT kind, trial_number FROM gdsweep_tracking_outbox ORDER BY id") ==
        std::vector<std::string>{"run_started|0", "run_finished|0", "run_started|1"});
}

}  // namespace
}  // namespace gdsweep
