#include "sweeper/run_report.h"

#include <doctest/doctest.h>

#include "storage/test_support.h"
#include "sweeper/scheduler_test_support.h"

namespace gdsweep {
namespace {

TrialRecord ReportTrial(int64_t number, TrialState state, std::string worker, double loss = 0) {
  TrialRecord t;
  t.trial_id = number + 1;
  t.number = number;
  t.state = state;
  t.tag = "default";
  t.worker_id = std::move(worker);
  t.params = {{"x", 0.5}};
  if (state == TrialState::kComplete) t.values = {loss};
  return t;
}

struct Fixture {
  testing::TempDir dir;
  StudySpec spec = testing::SmallSweepSpec(dir, 6, 2);
};

TEST_CASE(
    "the closing lines give the study's totals and best from storage, and this worker's share") {
  Fixture f;
  std::vector<TrialRecord> trials = {ReportTrial(0, TrialState::kComplete, "w-other", 0.5),
                                     ReportTrial(1, TrialState::kComplete, "w-me", 0.25),
                                     ReportTrial(2, TrialState::kPruned, "w-other"),
                                     ReportTrial(3, TrialState::kComplete, "w-me", 0.75),
                                     ReportTrial(4, TrialState::kComplete, "w-other", 1),
                                     ReportTrial(5, TrialState::kComplete, "w-me", 2)};
  trials.push_back(ReportTrial(9, TrialState::kFail, "w-me"));
  trials.back().tag = "another-tag";  // not this sweep's
  RunSummary summary;
  auto lines = ClosingLines(f.spec, trials, summary, "w-me", 72);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text ==
        "study 's' tag 'default': 6 trials (5 COMPLETE, 1 PRUNED), budget 6; best loss=0.25 "
        "(trial 1: x=0.5)");
  CHECK(lines[1].text == "this worker: 3 trials (3 COMPLETE) in 1m12s");
  CHECK_FALSE(lines[1].warning);
}

TEST_CASE("a study short of its budget says why: FAIL trials, trials left RUNNING by ask") {
  Fixture f;
  std::vector<TrialRecord> trials = {ReportTrial(0, TrialState::kComplete, "w-me", 0.5),
                                     ReportTrial(1, TrialState::kFail, "w-me"),
                                     ReportTrial(2, TrialState::kFail, "w-me"),
                                     ReportTrial(3, TrialState::kRunning, ""),
                                     ReportTrial(4, TrialState::kComplete, "w-me", 1),
                                     ReportTrial(5, TrialState::kComplete, "w-me", 2)};
  // ReportTrial 1 was retried (as trial 6, COMPLETE): only trial 2's FAIL used budget.
  trials.push_back(ReportTrial(6, TrialState::kComplete, "w-me", 3));
  trials.back().retry_of = 1;
  trials.back().attempt = 2;
  RunSummary summary;
  summary.stop = RunSummary::Stop::kBudget;
  auto lines = ClosingLines(f.spec, trials, summary, "w-me", 5);
  REQUIRE(lines.size() == 3);
  CHECK(lines[2].warning);
  CHECK(lines[2].text ==
        "the study ended short of its budget: 4 of 6 trials COMPLETE or PRUNED: 1 FAIL trial used "
        "up budget (trial.retries: 0; see `gdsweep trials --state FAIL`, raise --n-trials to run "
        "more); 1 trial made by `gdsweep ask` still RUNNING: finish them with `gdsweep tell`");
}

TEST_CASE("a worker that stops while others finish the budget says the study goes on") {
  Fixture f;
  std::vector<TrialRecord> trials = {ReportTrial(0, TrialState::kComplete, "w-me", 0.5),
                                     ReportTrial(1, TrialState::kComplete, "w-me", 1),
                                     ReportTrial(2, TrialState::kComplete, "w-me", 1),
                                     ReportTrial(3, TrialState::kComplete, "w-me", 1),
                                     ReportTrial(4, TrialState::kRunning, "w-other"),
                                     ReportTrial(5, TrialState::kRunning, "w-other")};
  auto lines = ClosingLines(f.spec, trials, RunSummary{}, "w-me", 5);
  REQUIRE(lines.size() == 3);
  CHECK_FALSE(lines[2].warning);
  CHECK(lines[2].text == "the study goes on: 2 trials are still RUNNING under other workers");
}

TEST_CASE("a run stopped by its time limit, the sampler or a signal says so") {
  Fixture f;
  std::vector<TrialRecord> trials = {ReportTrial(0, TrialState::kComplete, "w-me", 0.5)};
  RunSummary summary;
  summary.stop = RunSummary::Stop::kTimeLimit;
  CHECK(ClosingLines(f.spec, trials, summary, "w-me", 5)
            .back()
            .text.find(
                "1 of 6 trials COMPLETE or PRUNED: the time limit (budget.timeout) was reached") !=
        std::string::npos);
  summary.stop = RunSummary::Stop::kSamplerExhausted;
  CHECK(ClosingLines(f.spec, trials, summary, "w-me", 5).back().text.find("grid is exhausted") !=
        std::string::npos);
  summary.stop = RunSummary::Stop::kInterrupted;
  CHECK(ClosingLines(f.spec, trials, summary, "w-me", 5).back().text.find("interrupted") !=
        std::string::npos);
}

}  // namespace
}  // namespace gdsweep
