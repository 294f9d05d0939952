// The median and percentile pruners on small histories worked out by hand.
#include "pruners/percentile_pruner.h"

#include <doctest/doctest.h>

#include <cmath>

#include "pruners/pruner_test_util.h"

namespace gdsweep {
namespace {

constexpr auto kDone = TrialState::kComplete;
constexpr auto kRun = TrialState::kRunning;

// Three COMPLETE trials with 1, 2, 3 at step 1 (median 2).
std::vector<TrialRecord> History(std::map<int64_t, double> judged) {
  return {Trial(0, kDone, {{0, 5}, {1, 1}}), Trial(1, kDone, {{0, 5}, {1, 2}}),
          Trial(2, kDone, {{0, 5}, {1, 3}}), Trial(3, TrialState::kPruned, {{1, 9}}),
          Trial(4, kRun, std::move(judged))};
}

PercentileOptions Median() {
  PercentileOptions o;
  o.n_startup_trials = 0;
  return o;
}

}  // namespace

TEST_CASE("median: the trial's best so far against the completed trials' median") {
  PercentilePruner median(Median());
  auto h = History({{0, 5}, {1, 2.5}});
  CHECK(Judge(median, h, 4).prune);  // 2.5 > 2
  h = History({{0, 5}, {1, 2}});
  CHECK_FALSE(Judge(median, h, 4).prune);  // a tie stays
  h = History({{0, 1.5}, {1, 2.5}});
  CHECK_FALSE(Judge(median, h, 4).prune);  // its best (1.5, at step 0) counts
  h = History({{0, 1.5}, {1, 1.8}});
  CHECK(Judge(median, h, 4, Direction::kMaximize).prune);  // maximize: best 1.8 < 2
  h = History({{0, 5}, {1, 1.5}});
  CHECK_FALSE(Judge(median, h, 4, Direction::kMaximize).prune);  // best 5
}

TEST_CASE("percentile: maximize keeps the top percent, so the threshold is 100 - p") {
  PercentileOptions o = Median();
  o.percentile = 25;  // minimize: 25th percentile of {1,2,3} = 1.5
  PercentilePruner p(o);
  auto h = History({{1, 1.6}});
  CHECK(Judge(p, h, 4).prune);
  // maximize: 75th percentile = 2.5.
  h = History({{1, 2.4}});
  CHECK(Judge(p, h, 4, Direction::kMaximize).prune);
  h = History({{1, 2.6}});
  CHECK_FALSE(Judge(p, h, 4, Direction::kMaximize).prune);
}

TEST_CASE("no judgement before n_startup_trials complete, before the warmup, off the interval") {
  PercentileOptions o = Median();
  o.n_startup_trials = 4;  // only 3 are COMPLETE; the PRUNED one does not count
  auto h = History({{0, 9}, {1, 9}});
  PercentilePruner startup(o);
  CHECK_FALSE(Judge(startup, h, 4).prune);
  o.n_startup_trials = 3;
  PercentilePruner enough(o);
  CHECK(Judge(enough, h, 4).prune);
  o.n_warmup_steps = 2;
  PercentilePruner warmup(o);
  CHECK_FALSE(Judge(warmup, h, 4).prune);
  o.n_warmup_steps = 0;
  o.interval_steps = 2;  // steps 0, 2, 4 are judged; step 1 follows step 0
  PercentilePruner interval(o);
  CHECK_FALSE(Judge(interval, h, 4).prune);
}

TEST_CASE("too few values at the step, or none at all, lets the trial go on") {
  PercentileOptions o = Median();
  o.n_min_trials = 4;
  PercentilePruner p(o);
  auto h = History({{1, 9}});
  CHECK_FALSE(Judge(p, h, 4).prune);
  h = History({{7, 9}});  // no completed trial reported step 7
  PercentilePruner median(Median());
  CHECK_FALSE(Judge(median, h, 4).prune);
}

TEST_CASE("a trial whose every value is NaN is pruned") {
  PercentilePruner median(Median());
  auto h = History({{0, NAN}, {1, NAN}});
  CHECK(Judge(median, h, 4).prune);
}

}  // namespace gdsweep
