// Successive halving's arithmetic on numbers worked out by hand.
#include "pruners/rungs.h"

#include <doctest/doctest.h>

#include <limits>

namespace gdsweep {

TEST_CASE("a rung's step is min_resource * reduction_factor^exponent, saturating") {
  CHECK(RungPromotionStep(1, 4, 0) == 1);
  CHECK(RungPromotionStep(2, 3, 2) == 18);
  CHECK(RungPromotionStep(5, 10, 30) == std::numeric_limits<int64_t>::max());
}

TEST_CASE("the best len / reduction_factor values are promoted, at least one, ties too") {
  // 4 values, factor 2: the best 2 go on.
  CHECK(IsPromotable(2, {3, 1, 4, 2}, 2, Direction::kMinimize));
  CHECK_FALSE(IsPromotable(3, {3, 1, 4, 2}, 2, Direction::kMinimize));
  CHECK(IsPromotable(3, {3, 1, 4, 2}, 2, Direction::kMaximize));
  CHECK_FALSE(IsPromotable(2, {3, 1, 4, 2}, 2, Direction::kMaximize));
  // 3 values, factor 4: 3 / 4 = 0, still the best one goes on.
  CHECK(IsPromotable(1, {1, 5, 9}, 4, Direction::kMinimize));
  CHECK_FALSE(IsPromotable(5, {1, 5, 9}, 4, Direction::kMinimize));
  CHECK(IsPromotable(5, {5, 1, 5}, 3, Direction::kMaximize));  // a tie with the best
}

TEST_CASE("auto min_resource is the longest COMPLETE trial's last step / 100, at least 1") {
  TrialRecord running, done, short_done, failed;
  running.intermediate = {{900, 1}};
  done.state = TrialState::kComplete;
  done.intermediate = {{0, 1}, {250, 1}};
  short_done.state = TrialState::kComplete;
  short_done.intermediate = {{40, 1}};
  failed.state = TrialState::kFail;
  failed.intermediate = {{700, 1}};
  CHECK_FALSE(EstimateMinResource({&running, &failed}).has_value());
  CHECK(EstimateMinResource({&short_done}) == 1);
  CHECK(EstimateMinResource({&running, &done, &short_done}) == 2);
}

TEST_CASE("the current rung is the first not completed") {
  CHECK(CurrentRung({}) == 0);
  CHECK(CurrentRung({{0, 0.1}, {1, 0.2}}) == 2);
  CHECK(CurrentRung({{0, 0.1}, {2, 0.2}}) == 1);
}

}  // namespace gdsweep
