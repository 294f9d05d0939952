#include "sweeper/best.h"

#include <doctest/doctest.h>

namespace gdsweep {
namespace {

TrialRecord Done(int64_t number, std::vector<double> values) {
  TrialRecord t;
  t.number = number;
  t.state = TrialState::kComplete;
  t.values = std::move(values);
  return t;
}

}  // namespace

TEST_CASE("single objective: the best complete trial, earliest among ties") {
  std::vector<TrialRecord> trials = {Done(0, {3}), Done(1, {1}), Done(2, {1}), Done(3, {5})};
  TrialRecord failed;
  failed.number = 4;
  failed.state = TrialState::kFail;
  trials.push_back(failed);
  auto min = BestTrials(trials, {Direction::kMinimize});
  REQUIRE(min.size() == 1);
  CHECK(min[0]->number == 1);
  auto max = BestTrials(trials, {Direction::kMaximize});
  CHECK(max[0]->number == 3);
  CHECK(BestTrials({}, {Direction::kMinimize}).empty());
}

TEST_CASE("several objectives: the Pareto front") {
  std::vector<Direction> d = {Direction::kMinimize, Direction::kMaximize};
  std::vector<TrialRecord> trials = {Done(0, {1, 1}), Done(1, {2, 3}), Done(2, {2, 2}),
                                     Done(3, {0.5, 0.5}), Done(4, {3, 3})};
  auto front = BestTrials(trials, d);
  std::vector<int64_t> numbers;
  for (auto* t : front) numbers.push_back(t->number);
  CHECK(numbers == std::vector<int64_t>{0, 1, 3});
}

}  // namespace gdsweep
