#include "samplers/tpe/tpe_split.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace gdsweep::tpe {
namespace {

constexpr double kSplitInf = std::numeric_limits<double>::infinity();

std::vector<size_t> Below(const std::vector<uint8_t>& flags) {
  std::vector<size_t> out;
  for (size_t i = 0; i < flags.size(); ++i) {
    if (flags[i]) out.push_back(i);
  }
  return out;
}

}  // namespace

TEST_CASE("gamma and default weights are Optuna's") {
  // optuna.samplers._tpe.sampler.default_gamma / default_weights (3.1).
  CHECK(Gamma(10, 0.1, 25) == 1);
  CHECK(Gamma(30, 0.1, 25) == 3);
  CHECK(Gamma(100, 0.1, 25) == 10);
  CHECK(Gamma(10000, 0.1, 25) == 25);
  CHECK(Gamma(0, 0.1, 25) == 0);
  CHECK(DefaultWeights(10)(0) == 1);
  CHECK(DefaultWeights(25)(0) == 1);
  CHECK(DefaultWeights(26)(0) == doctest::Approx(0.038461538461538464));
  CHECK(DefaultWeights(26)(1) == 1);
  CHECK(DefaultWeights(27)(0) == doctest::Approx(0.037037037037037035));
  CHECK(DefaultWeights(27)(1) == 1);
  CHECK(DefaultWeights(30)(1) == doctest::Approx(0.275));
  CHECK(DefaultWeights(30)(2) == doctest::Approx(0.5166666666666667));
  CHECK(DefaultWeights(100)(1) == doctest::Approx(0.02337837837837838));
  CHECK(DefaultWeights(100)(2) == doctest::Approx(0.036756756756756756));
  CHECK(DefaultWeights(100)(74) == 1);
  CHECK(DefaultWeights(100)(99) == 1);
}

TEST_CASE("single objective: complete by value, then pruned by depth then value") {
  const std::vector<RankKey> keys = {
      {-kSplitInf, 3.0},  // 0 complete
      {-5, -100.0},       // 1 pruned at step 5: after every complete trial
      {-kSplitInf, 1.0},  // 2 complete, best
      {-9, 50.0},         // 3 pruned deeper than 1: before it despite its value
      {1, 0.0},           // 4 pruned without reports: last
      {-kSplitInf, 3.0},  // 5 ties 0: the earlier wins
      {-kSplitInf, NAN},  // 6 NaN counts as +inf
  };
  std::vector<uint8_t> flags;
  SplitSingleObjective(keys, 2, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 2});
  SplitSingleObjective(keys, 4, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 2, 5, 6});
  SplitSingleObjective(keys, 5, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 2, 3, 5, 6});
  SplitSingleObjective(keys, 6, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 1, 2, 3, 5, 6});
  SplitSingleObjective(keys, 0, &flags);
  CHECK(Below(flags).empty());
  SplitSingleObjective(keys, 99, &flags);
  CHECK(Below(flags).size() == keys.size());
}

TEST_CASE("a complete trial's NaN ranks after +inf, as NumPy sorts in Optuna 3.1's split") {
  // np.argsort of [(-inf, nan), (-inf, inf), (-inf, 1.0)] (a structured array,
  // kind="stable") gives [2, 1, 0]: NaN is not a tie of +inf.
  const std::vector<RankKey> keys = {
      {-kSplitInf, NAN}, {-kSplitInf, kSplitInf}, {-kSplitInf, 1.0}, {-kSplitInf, NAN}};
  std::vector<uint8_t> flags;
  SplitSingleObjective(keys, 2, &flags);
  CHECK(Below(flags) == std::vector<size_t>{1, 2});
  SplitSingleObjective(keys, 3, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 1, 2});  // NaNs tie: the earlier first
}

TEST_CASE("multi objective: whole fronts, then a hypervolume tie-break (as Optuna 3.1)") {
  // Front 0: rows 0-3 (a staircase); row 5 (4,4) is dominated by rows 1 and 2
  // only, so it and row 4 (2,6) form front 1; row 6 (6,6) is front 2.
  const std::vector<double> values = {1, 5, 2, 3, 3, 2, 5, 1, 2, 6, 4, 4, 6, 6};
  std::vector<uint8_t> flags;
  // Optuna 3.1's _split_observation_pairs on the same points: [1, 2],
  // [0..4] and [0..5].
  SplitMultiObjective(values, 2, 2, &flags);
  CHECK(Below(flags) == std::vector<size_t>{1, 2});
  SplitMultiObjective(values, 2, 4, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 1, 2, 3});
  SplitMultiObjective(values, 2, 5, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 1, 2, 3, 4});
  SplitMultiObjective(values, 2, 6, &flags);
  CHECK(Below(flags) == std::vector<size_t>{0, 1, 2, 3, 4, 5});
  // Duplicates are mutually non-dominated: both in front 0.
  const std::vector<double> twins = {1, 1, 1, 1, 0, 2};
  SplitMultiObjective(twins, 2, 3, &flags);
  CHECK(Below(flags).size() == 3);
}

TEST_CASE("MOTPE weights: hypervolume contributions over the largest") {
  // Optuna 3.1's _calculate_weights_below_for_multi_objective on rows
  // (1,5), (2,3), (3,2), (5,1), (4,4).
  const std::vector<double> good = {1, 5, 2, 3, 3, 2, 5, 1, 4, 4};
  auto w = HypervolumeWeights(good, 2);
  REQUIRE(w.size() == 5);
  CHECK(w[0] == doctest::Approx(0.250000000000375));
  CHECK(w[1] == doctest::Approx(1.0));
  CHECK(w[2] == doctest::Approx(1.0));
  CHECK(w[3] == doctest::Approx(0.250000000000375));
  CHECK(w[4] == doctest::Approx(4.9999999999975e-13).epsilon(1e-6));
  CHECK(HypervolumeWeights(std::vector<double>{3, 4}, 2) == std::vector<double>{1.0});
}

}  // namespace gdsweep::tpe
