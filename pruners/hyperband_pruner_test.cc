// Hyperband: nothing before the brackets are fixed, then each trial competes
// only within its bracket (brackets of study "hb-a" worked out in
// hyperband_brackets_test.cc: trials 0 and 1 in bracket 0, 9 in 1).
#include "pruners/hyperband_pruner.h"

#include <doctest/doctest.h>

#include "pruners/pruner_test_util.h"

namespace gdsweep {

TEST_CASE("auto max_resource waits for a COMPLETE trial; brackets fixed from it") {
  HyperbandOptions o;  // min 1, auto, factor 3
  HyperbandPruner hb(o);
  std::vector<TrialRecord> h = {Trial(0, TrialState::kRunning, {{0, 1}, {26, 1}}),
                                Trial(1, TrialState::kRunning, {{5, 9}})};
  CHECK(Judge(hb, h, 1, Direction::kMinimize, "hb-a").completed_rungs.empty());
  CHECK(hb.BracketOf("hb-a", 9) == 0);  // 0 until fixed
  h[0].state = TrialState::kComplete;   // max_resource 27: 4 brackets of 27, 12, 6, 4
  const PruneDecision d = Judge(hb, h, 1, Direction::kMinimize, "hb-a");
  CHECK(hb.BracketOf("hb-a", 9) == 1);
  CHECK(hb.BracketOf("hb-a", 2) == 3);
  // Trial 1 is in bracket 0 (rungs at 1, 3, 9): alone there, it completes 0 and 1.
  CHECK(d.completed_rungs == std::map<int, double>{{0, 9}, {1, 9}});
  CHECK_FALSE(d.prune);
}

TEST_CASE("a trial competes only with the trials of its own bracket") {
  HyperbandOptions o;
  o.max_resource = 27;
  HyperbandPruner hb(o);
  // Trial 9 (bracket 1, first rung at step 3) holds a far better rung-0 value
  // than trial 0's, but is in another bracket.
  std::vector<TrialRecord> h = {Trial(0, TrialState::kRunning, {{1, 5}}),
                                Trial(1, TrialState::kRunning, {{1, 4}})};
  TrialRecord other = Trial(9, TrialState::kComplete, {{3, 0.1}});
  other.completed_rungs = {{0, 0.1}};
  h.push_back(other);
  // Among {0.1, 4} trial 1 would be pruned; in its bracket it is alone.
  CHECK_FALSE(Judge(hb, h, 1, Direction::kMinimize, "hb-a").prune);
  CHECK(Judge(hb, h, 0, Direction::kMinimize, "hb-a").prune);  // {4, 5}: 5 is out
}

}  // namespace gdsweep
