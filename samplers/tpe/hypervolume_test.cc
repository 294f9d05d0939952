#include "samplers/tpe/hypervolume.h"

#include <doctest/doctest.h>

#include <vector>

namespace gdsweep::tpe {

TEST_CASE("hypervolume of hand-computed sets in 1 to 3 objectives") {
  CHECK(Hypervolume(std::vector<double>{0.25, 0.5}, 1, std::vector<double>{1}) ==
        doctest::Approx(0.75));
  // A staircase: 4.5 x 0.5 + 3.5 x 2 + 2.5 x 1 + 0.5 x 1 (strips from the top).
  std::vector<double> front = {1, 5, 2, 3, 3, 2, 5, 1};
  CHECK(Hypervolume(front, 2, std::vector<double>{5.5, 5.5}) == doctest::Approx(12.25));
  // A dominated point and a point outside the reference add nothing.
  std::vector<double> more = {1, 5, 2, 3, 3, 2, 5, 1, 4, 4, 6, 0};
  CHECK(Hypervolume(more, 2, std::vector<double>{5.5, 5.5}) == doctest::Approx(12.25));
  // Two boxes in 3-D: 1 + 1 - their 0.5 x 0.5 x 1 overlap.
  std::vector<double> boxes = {0, 0, 0, 0.5, 0.5, 0};
  CHECK(Hypervolume(boxes, 3, std::vector<double>{1, 1, 1}) == doctest::Approx(1.0));
  std::vector<double> two = {0, 0.5, 0, 0.5, 0, 0};
  CHECK(Hypervolume(two, 3, std::vector<double>{1, 1, 1}) == doctest::Approx(0.75));
}

TEST_CASE("hypervolume matches Optuna's WFG on random 3- and 4-objective sets") {
  // numpy.random.RandomState(0).rand(8, 3), then rand(6, 4); values from
  // optuna._hypervolume.WFG (Optuna 3.1).
  std::vector<double> p3 = {
      0.5488135039273248,  0.7151893663724195, 0.6027633760716439,  0.5448831829968969,
      0.4236547993389047,  0.6458941130666561, 0.4375872112626925,  0.8917730007820798,
      0.9636627605010293,  0.3834415188257777, 0.7917250380826646,  0.5288949197529045,
      0.5680445610939323,  0.925596638292661,  0.07103605819788694, 0.08712929970154071,
      0.02021839744032572, 0.832619845547938,  0.7781567509498505,  0.8700121482468192,
      0.978618342232764,   0.7991585642167236, 0.46147936225293185, 0.7805291762864555};
  CHECK(Hypervolume(p3, 3, std::vector<double>{1.2, 1.1, 1.3}) ==
        doctest::Approx(0.7357233607804501).epsilon(1e-12));
  std::vector<double> p4 = {
      0.11827442586893322, 0.6399210213275238,  0.1433532874090464,   0.9446689170495839,
      0.5218483217500717,  0.4146619399905236,  0.26455561210462697,  0.7742336894342167,
      0.45615033221654855, 0.5684339488686485,  0.018789800436355142, 0.6176354970758771,
      0.6120957227224214,  0.6169339968747569,  0.9437480785146242,   0.6818202991034834,
      0.359507900573786,   0.43703195379934145, 0.6976311959272649,   0.06022547162926983,
      0.6667667154456677,  0.6706378696181594,  0.2103825610738409,   0.1289262976548533};
  CHECK(Hypervolume(p4, 4, std::vector<double>{1, 1, 1, 1}) ==
        doctest::Approx(0.20262125837772765).epsilon(1e-12));
}

TEST_CASE("greedy subset selection takes the largest gain, the earliest on ties") {
  // Alone, (2,3) and (3,2) each cover 8.75 of [.., 5.5]^2 and the ends 2.25:
  // (2,3) is first by row; given it, (3,2) adds 2.5 and either end 0.5.
  std::vector<double> front = {1, 5, 2, 3, 3, 2, 5, 1};
  std::vector<double> ref = {5.5, 5.5};
  CHECK(GreedyHypervolumeSubset(front, 2, 2, ref) == std::vector<size_t>{1, 2});
  CHECK(GreedyHypervolumeSubset(front, 2, 4, ref).size() == 4);
  CHECK(ReferencePoint(front, 2) == std::vector<double>{5.5, 5.5});
  std::vector<double> signs = {-2, 0, -1, 0};
  CHECK(ReferencePoint(signs, 2) == std::vector<double>{-0.9, 1e-12});
}

}  // namespace gdsweep::tpe
