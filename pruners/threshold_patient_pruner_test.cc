// The threshold and patient pruners, which judge a trial by its own values.
#include <doctest/doctest.h>

#include <cmath>

#include "pruners/patient_pruner.h"
#include "pruners/pruner_test_util.h"
#include "pruners/threshold_pruner.h"

namespace gdsweep {

TEST_CASE("threshold: NaN or a latest value outside [lower, upper] prunes") {
  ThresholdOptions o;
  o.lower = 0.1;
  o.upper = 0.9;
  ThresholdPruner p(o);
  std::vector<TrialRecord> h = {Trial(0, TrialState::kRunning, {{0, 0.5}})};
  CHECK_FALSE(Judge(p, h, 0).prune);
  h[0].intermediate[1] = 0.95;
  CHECK(Judge(p, h, 0).prune);
  h[0].intermediate[2] = 0.9;  // the bound itself is inside
  CHECK_FALSE(Judge(p, h, 0).prune);
  h[0].intermediate[3] = 0.05;
  CHECK(Judge(p, h, 0).prune);
  h[0].intermediate[4] = NAN;
  CHECK(Judge(p, h, 0).prune);
  CHECK_FALSE(p.ReadsHistory());
}

TEST_CASE("threshold: only from the warmup on, at the first step of each interval") {
  ThresholdOptions o;
  o.upper = 1;
  o.n_warmup_steps = 2;
  o.interval_steps = 2;
  ThresholdPruner p(o);
  std::vector<TrialRecord> h = {Trial(0, TrialState::kRunning, {{1, 5}})};
  CHECK_FALSE(Judge(p, h, 0).prune);  // before the warmup
  h[0].intermediate[3] = 5;           // judged steps 2, 4: step 3 is the first since 2
  CHECK(Judge(p, h, 0).prune);
  h[0].intermediate[4] = 0;
  h[0].intermediate[5] = 5;  // step 4 was judged already in its interval
  CHECK_FALSE(Judge(p, h, 0).prune);
}

TEST_CASE("patient: out of patience when the last patience + 1 values are no better") {
  const std::map<int64_t, double> v = {{0, 1.0}, {1, 0.5}, {2, 0.6}, {3, 0.55}};
  CHECK(OutOfPatience(v, 1, 0.0, Direction::kMinimize));        // min(0.6, 0.55) > 0.5
  CHECK_FALSE(OutOfPatience(v, 1, 0.1, Direction::kMinimize));  // within min_delta
  CHECK_FALSE(OutOfPatience(v, 2, 0.0, Direction::kMinimize));  // 0.5 is among the last 3
  CHECK_FALSE(OutOfPatience(v, 3, 0.0, Direction::kMinimize));  // 4 values: too few
  CHECK(OutOfPatience(v, 1, 0.0, Direction::kMaximize));        // max 1.0 before, 0.6 after
  CHECK_FALSE(OutOfPatience({{0, 0.5}, {1, 0.6}, {2, 0.7}}, 1, 0.0, Direction::kMaximize));
  CHECK(OutOfPatience({{0, 0.9}, {1, 0.5}, {2, 0.6}}, 1, 0.0, Direction::kMaximize));
  // All NaN before: NumPy's nanmin is NaN and the comparison false.
  CHECK_FALSE(OutOfPatience({{0, NAN}, {1, 0.5}, {2, 0.6}}, 1, 0.0, Direction::kMinimize));
}

TEST_CASE("patient defers to the pruner it wraps, and prunes alone without one") {
  PatientOptions o;
  o.patience = 0;
  std::vector<TrialRecord> h = {Trial(0, TrialState::kRunning, {{0, 0.5}, {1, 0.7}})};
  PatientPruner alone(o, nullptr);
  CHECK(Judge(alone, h, 0).prune);
  CHECK_FALSE(alone.ReadsHistory());
  ThresholdOptions t;
  t.upper = 1;
  PatientPruner wrapped(o, std::make_unique<ThresholdPruner>(t));
  CHECK_FALSE(Judge(wrapped, h, 0).prune);  // out of patience, but under the threshold
}

}  // namespace gdsweep
