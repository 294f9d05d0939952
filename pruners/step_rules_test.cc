// The shared step rules, on steps worked out by hand.
#include "pruners/step_rules.h"

#include <doctest/doctest.h>

#include <cmath>

namespace gdsweep {

TEST_CASE("the latest step is the largest reported, whatever the order") {
  CHECK_FALSE(LastStep({}).has_value());
  CHECK(LastStep({{3, 0.1}, {7, 0.2}, {5, 0.3}}) == 7);
}

TEST_CASE("a step is judged when it is the first reported in its interval") {
  // warmup 2, interval 3: judged steps are 2, 5, 8, ...
  CHECK(IsFirstInIntervalStep(2, {{0, 1}, {1, 1}, {2, 1}}, 2, 3));
  CHECK_FALSE(IsFirstInIntervalStep(3, {{2, 1}, {3, 1}}, 2, 3));
  CHECK(IsFirstInIntervalStep(5, {{2, 1}, {3, 1}, {4, 1}, {5, 1}}, 2, 3));
  // Step 5 was never reported: the judgement waits for step 6.
  CHECK(IsFirstInIntervalStep(6, {{2, 1}, {4, 1}, {6, 1}}, 2, 3));
  CHECK_FALSE(IsFirstInIntervalStep(7, {{2, 1}, {4, 1}, {6, 1}, {7, 1}}, 2, 3));
  // interval 1: every step from the warmup on.
  CHECK(IsFirstInIntervalStep(9, {{8, 1}, {9, 1}}, 0, 1));
}

TEST_CASE("the best value ignores NaN and follows the direction") {
  const std::map<int64_t, double> v = {{0, 0.5}, {1, NAN}, {2, 0.2}, {3, 0.9}};
  CHECK(BestIntermediate(v, Direction::kMinimize) == 0.2);
  CHECK(BestIntermediate(v, Direction::kMaximize) == 0.9);
  CHECK(std::isnan(BestIntermediate({{0, NAN}}, Direction::kMinimize)));
}

}  // namespace gdsweep
