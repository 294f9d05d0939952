// Successive halving on rungs worked out by hand: rung values recorded in the
// decision, competition within a rung, several rungs in one judgement, NaN,
// bootstrap_count and the "auto" minimum resource.
#include "pruners/successive_halving_pruner.h"

#include <doctest/doctest.h>

#include <cmath>

#include "pruners/pruner_test_util.h"

namespace gdsweep {
namespace {

constexpr auto kShRun = TrialState::kRunning;

SuccessiveHalvingOptions Options(std::optional<int64_t> min_resource, int64_t factor) {
  SuccessiveHalvingOptions o;
  o.min_resource = min_resource;
  o.reduction_factor = factor;
  return o;
}

}  // namespace

TEST_CASE("a trial reaching a rung records its value and competes with the rung's values") {
  SuccessiveHalvingPruner sh(Options(1, 2));  // rungs at steps 1, 2, 4, ...
  std::vector<TrialRecord> h = {Trial(0, TrialState::kPruned, {}), Trial(1, kShRun, {{0, 0.5}})};
  h[0].completed_rungs = {{0, 0.3}};
  CHECK(Judge(sh, h, 1).completed_rungs.empty());  // step 0: before rung 0
  h[1].intermediate[1] = 0.4;
  // {0.3, 0.4}: the best 2 / 2 = 1 goes on, and that is 0.3.
  PruneDecision d = Judge(sh, h, 1);
  CHECK(d.prune);
  CHECK(d.completed_rungs == std::map<int, double>{{0, 0.4}});
  h[1].completed_rungs.clear();
  CHECK_FALSE(Judge(sh, h, 1, Direction::kMaximize).prune);  // maximize: 0.4 is the best
}

TEST_CASE("skipped steps complete several rungs at once, each with the latest value") {
  SuccessiveHalvingPruner sh(Options(1, 2));
  std::vector<TrialRecord> h = {Trial(0, kShRun, {{0, 0.5}, {5, 0.2}})};
  PruneDecision d = Judge(sh, h, 0);
  CHECK_FALSE(d.prune);
  CHECK(d.completed_rungs == std::map<int, double>{{0, 0.2}, {1, 0.2}, {2, 0.2}});  // steps 1 2 4
  h[0].intermediate[6] = 0.1;  // rung 3 is at step 8
  CHECK(Judge(sh, h, 0).completed_rungs.empty());
}

TEST_CASE("a NaN at a rung prunes without recording it") {
  SuccessiveHalvingPruner sh(Options(1, 2));
  std::vector<TrialRecord> h = {Trial(0, kShRun, {{1, NAN}})};
  PruneDecision d = Judge(sh, h, 0);
  CHECK(d.prune);
  CHECK(d.completed_rungs.empty());
}

TEST_CASE("bootstrap_count: Optuna prunes while the rung holds that many values or fewer") {
  SuccessiveHalvingOptions o = Options(1, 2);
  o.bootstrap_count = 1;
  SuccessiveHalvingPruner sh(o);
  std::vector<TrialRecord> h = {Trial(0, kShRun, {{1, 0.1}}), Trial(1, kShRun, {{1, 0.05}})};
  CHECK(Judge(sh, h, 0).prune);        // alone at rung 0, however good
  CHECK_FALSE(Judge(sh, h, 1).prune);  // {0.1, 0.05}: the best one goes on
}

TEST_CASE("auto min_resource waits for a COMPLETE trial, then is fixed") {
  SuccessiveHalvingPruner sh(Options(std::nullopt, 4));
  std::vector<TrialRecord> h = {Trial(0, kShRun, {{0, 0.5}, {300, 0.5}}),
                                Trial(1, kShRun, {{1, 1}})};
  CHECK(Judge(sh, h, 1).completed_rungs.empty());  // nothing COMPLETE: no estimate
  h[0].state = TrialState::kComplete;              // last step 300: min_resource 3
  h[1].intermediate[2] = 1;
  CHECK(Judge(sh, h, 1).completed_rungs.empty());  // step 2 < 3
  h[0].intermediate[9000] = 0.5;                   // fixed already: still 3, not 90
  h[1].intermediate[3] = 1;
  CHECK(Judge(sh, h, 1).completed_rungs == std::map<int, double>{{0, 1}});
}

}  // namespace gdsweep
