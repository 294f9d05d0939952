#include "report/importance.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

namespace gdsweep::report {
namespace {

TrialRecord Complete(int64_t number, Params params, double value) {
  TrialRecord t;
  t.number = number;
  t.state = TrialState::kComplete;
  t.params = std::move(params);
  t.values = {value};
  return t;
}

TEST_CASE("EpsilonSquared matches a hand computation") {
  // Groups {1, 3} and {5, 7}: mean 4, SST = 9+1+1+9 = 20, SSW = 1+1+1+1 = 4,
  // n = 4, k = 2: 1 - (4/2) / (20/3) = 0.7.
  CHECK(EpsilonSquared({1, 3, 5, 7}, {0, 0, 1, 1}) == doctest::Approx(0.7));
  // Group means equal the overall mean: nothing explained, clamped at 0.
  CHECK(EpsilonSquared({1, 7, 7, 1}, {0, 0, 1, 1}) == 0.0);
  CHECK(EpsilonSquared({2, 2, 2}, {0, 1, 2}) == 0.0);        // n <= k
  CHECK(EpsilonSquared({5, 5, 5, 5}, {0, 0, 1, 1}) == 0.0);  // constant
}

TEST_CASE("the parameter that drives the objective ranks first, on a log scale too") {
  SearchSpace space = {{"noise", FloatDistribution{0, 1}},
                       {"lr", FloatDistribution{1e-5, 1, true}},
                       {"opt", CategoricalDistribution{{std::string("a"), std::string("b")}}}};
  std::vector<TrialRecord> trials;
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 60; ++i) {
    const double lr = std::pow(10.0, -5 + 5.0 * u(rng));
    const double noise = u(rng);
    const double opt = u(rng) < 0.5 ? 0 : 1;
    trials.push_back(Complete(i, {{"noise", noise}, {"lr", lr}, {"opt", opt}},
                              std::pow(std::log10(lr) + 2, 2) + 2.0 * opt + 0.01 * noise));
  }
  TrialRecord failed;
  failed.state = TrialState::kFail;
  failed.params = {{"noise", 0.5}, {"lr", 0.1}, {"opt", 0}};
  trials.push_back(failed);
  std::vector<const TrialRecord*> ptrs;
  for (const auto& t : trials) ptrs.push_back(&t);

  auto imp = ParamImportances(ptrs, space, 0);
  REQUIRE(imp.size() == 3);
  CHECK(imp[0].name == "lr");
  CHECK(imp[1].name == "opt");
  double sum = 0;
  for (const auto& i : imp) sum += i.importance;
  CHECK(sum == doctest::Approx(1.0));
}

TEST_CASE("fewer than three COMPLETE trials give no importances") {
  SearchSpace space = {{"x", FloatDistribution{0, 1}}};
  auto a = Complete(0, {{"x", 0.1}}, 1.0), b = Complete(1, {{"x", 0.9}}, 2.0);
  CHECK(ParamImportances({&a, &b}, space, 0).empty());
}

TEST_CASE("a parameter no counted trial has is left out") {
  SearchSpace space = {{"x", FloatDistribution{0, 1}}, {"y", FloatDistribution{0, 1}}};
  auto a = Complete(0, {{"x", 0.1}}, 1.0), b = Complete(1, {{"x", 0.5}}, 2.0),
       c = Complete(2, {{"x", 0.9}}, 3.0);
  auto imp = ParamImportances({&a, &b, &c}, space, 0);
  REQUIRE(imp.size() == 1);
  CHECK(imp[0].name == "x");
  CHECK(imp[0].importance == doctest::Approx(1.0));
}

}  // namespace
}  // namespace gdsweep::report
