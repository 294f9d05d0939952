#include "samplers/tpe/kernel_sums.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <vector>

#include "samplers/seeding.h"

namespace gdsweep::tpe {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Kernels {
  std::vector<double> mu, sigma, coef;
};

// The same sum the plain way: std::exp, every kernel, log-domain maximum.
double NaiveLogSum(double x, const Kernels& k) {
  double m = -kInf;
  for (size_t i = 0; i < k.mu.size(); ++i) {
    double z = (x - k.mu[i]) / k.sigma[i];
    if (k.coef[i] > 0) m = std::max(m, std::log(k.coef[i]) - 0.5 * z * z);
  }
  double s = 0;
  for (size_t i = 0; i < k.mu.size(); ++i) {
    double z = (x - k.mu[i]) / k.sigma[i];
    if (k.coef[i] > 0) s += std::exp(std::log(k.coef[i]) - 0.5 * z * z - m);
  }
  return m + std::log(s);
}

// n kernels sorted by centre: clustered centres, bandwidths over 3 decades,
// coefficients over `decades` decades.
Kernels RandomKernels(size_t n, double decades, Rng& rng) {
  Kernels k;
  for (size_t i = 0; i < n; ++i) {
    double u = UniformDouble(rng);
    k.mu.push_back(u < 0.5 ? 10 * UniformDouble(rng) - 5 : 0.3 + 0.01 * UniformDouble(rng));
  }
  std::sort(k.mu.begin(), k.mu.end());
  for (size_t i = 0; i < n; ++i) {
    k.sigma.push_back(std::pow(10.0, -3 * UniformDouble(rng)));
    k.coef.push_back(std::pow(10.0, -decades * UniformDouble(rng)));
  }
  return k;
}

std::vector<double> Inverse(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v) out.push_back(1 / x);
  return out;
}

double LogSum(GaussianSum& sum, const Kernels& k, double x) {
  sum.Assign(k.mu, Inverse(k.sigma), k.coef);
  return sum.LogSum(x);
}

}  // namespace

TEST_CASE("ExpNonPositive is within 2 ulp of std::exp on [-708, 0], 0 below") {
  for (double x = -708; x <= 0; x += 0.0137) {
    double want = std::exp(x);
    REQUIRE(std::abs(ExpNonPositive(x) - want) <= 4.5e-16 * want);
  }
  CHECK(ExpNonPositive(0) == 1);
  CHECK(ExpNonPositive(-1e-300) == 1);
  CHECK(ExpNonPositive(-709) == 0);
  CHECK(ExpNonPositive(-kInf) == 0);
}

TEST_CASE("GaussianSum matches the naive sum for every size, skipping far blocks") {
  Rng rng(7);
  GaussianSum sum;
  for (size_t n : {1, 2, 3, 15, 16, 17, 100, 1001, 20000}) {
    for (double decades : {0.0, 3.0, 30.0}) {
      CAPTURE(n);
      CAPTURE(decades);
      Kernels k = RandomKernels(n, decades, rng);
      sum.Assign(k.mu, Inverse(k.sigma), k.coef);
      for (double x : {-6.0, -1.3, 0.0, 0.305, 2.2, 4.99}) {
        CAPTURE(x);
        double want = NaiveLogSum(x, k);
        CHECK(std::abs(sum.LogSum(x) - want) <= 1e-13 * std::max(1.0, std::abs(want)));
      }
    }
  }
}

TEST_CASE("GaussianSum stays exact where the fast path underflows") {
  // The nearest kernel has a tiny weight and the heavy one is 50 sigma away.
  GaussianSum sum;
  Kernels k{{0.0, 1.0}, {1.0, 0.02}, {1e-300, 1.0}};
  double got = LogSum(sum, k, 0.0);
  CHECK(std::isfinite(got));
  CHECK(std::abs(got - NaiveLogSum(0.0, k)) < 1e-12 * std::abs(got));
  Kernels none{{0.0, 1.0}, {1.0, 1.0}, {0.0, 0.0}};
  CHECK(LogSum(sum, none, 0.5) == -kInf);
}

TEST_CASE("LogSumExp matches the naive sum and handles -inf") {
  Rng rng(11);
  std::vector<double> q;
  for (int i = 0; i < 37; ++i) q.push_back(-800 * UniformDouble(rng));
  double m = *std::max_element(q.begin(), q.end());
  double s = 0;
  for (double v : q) s += std::exp(v - m);
  double want = m + std::log(s);
  while (q.size() % kLanes != 0) q.push_back(-kInf);
  CHECK(std::abs(LogSumExp(q.data(), q.size()) - want) < 1e-13 * std::abs(want));
  std::vector<double> none(8, -kInf);
  CHECK(LogSumExp(none.data(), none.size()) == -kInf);
}

TEST_CASE("AddGaussianExponents subtracts each dimension's squared distance") {
  std::vector<double> q = {0, -1, -2, -kInf}, mu = {0, 1, 2, 3}, inv_sigma = {1, 2, 0.5, 1};
  AddGaussianExponents(1.0, mu.data(), inv_sigma.data(), q.data(), q.size());
  CHECK(q[0] == -0.5);
  CHECK(q[1] == -1);
  CHECK(q[2] == -2.125);
  CHECK(q[3] == -kInf);
}

}  // namespace gdsweep::tpe
