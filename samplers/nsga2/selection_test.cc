// NSGA-II's selection and crossovers: known fronts and distances computed by
// hand, then the same inputs through Debian's Optuna 3.1
// (testdata/optuna_nsga2.py): fronts, crowding distances and elite
// populations equal, children distributed alike.
#include "samplers/nsga2/selection.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "samplers/nsga2/crossover.h"

namespace gdsweep::nsga2 {
namespace {

using json = nlohmann::json;

std::vector<std::set<size_t>> AsSets(const std::vector<std::vector<size_t>>& fronts) {
  std::vector<std::set<size_t>> out;
  for (const auto& f : fronts) out.emplace_back(f.begin(), f.end());
  return out;
}

// A JSON list of rows as one row-major array.
std::vector<double> Flat(const json& rows) {
  std::vector<double> v;
  for (const json& row : rows) {
    for (const json& x : row) v.push_back(x.get<double>());
  }
  return v;
}

// Each front's rows in increasing order, as the reference lists them.
std::vector<std::vector<size_t>> Sorted(std::vector<std::vector<size_t>> fronts) {
  for (auto& f : fronts) std::sort(f.begin(), f.end());
  return fronts;
}

// Optuna's answers, or null when Debian's Optuna is not there.
const json& OptunaReference() {
  static const json reference = [] {
    std::string out;
    const std::string cmd =
        std::string(GDSWEEP_PYTHON) + " " + GDSWEEP_NSGA2_TESTDATA + "/optuna_nsga2.py 2>/dev/null";
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n = 0;
      while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
      if (pclose(p) != 0) out.clear();
    }
    return out.empty() ? json() : json::parse(out);
  }();
  return reference;
}

}  // namespace

TEST_CASE("non-dominated sort: known fronts, two and three objectives") {
  // (1,4) (2,2) (4,1) front 0; (3,3) (2,5) front 1; (5,5) front 2.
  const std::vector<double> v = {1, 4, 2, 2, 4, 1, 3, 3, 2, 5, 5, 5};
  auto fronts = AsSets(NonDominatedSort(v, 2));
  REQUIRE(fronts.size() == 3);
  CHECK(fronts[0] == std::set<size_t>{0, 1, 2});
  CHECK(fronts[1] == std::set<size_t>{3, 4});
  CHECK(fronts[2] == std::set<size_t>{5});
  // Equal points do not dominate each other.
  CHECK(AsSets(NonDominatedSort(std::vector<double>{1, 1, 1, 1}, 2)).size() == 1);
  const std::vector<double> three = {1, 1, 1, 0, 2, 2, 2, 2, 2};
  auto f3 = AsSets(NonDominatedSort(three, 3));
  REQUIRE(f3.size() == 2);
  CHECK(f3[0] == std::set<size_t>{0, 1});
  CHECK(f3[1] == std::set<size_t>{2});
}

TEST_CASE("crowding distance: boundary points infinite, inner ones the normalised gaps") {
  // Front (0,4) (1,2) (2,1) (4,0): widths 4 and 4. Inner (1,2): (2-0)/4 +
  // (4-1)/4 = 1.25; (2,1): (4-1)/4 + (2-0)/4 = 1.25.
  const std::vector<double> v = {0, 4, 1, 2, 2, 1, 4, 0};
  std::vector<size_t> rows = {0, 1, 2, 3};
  std::vector<double> d = CrowdingDistance(v, 2, rows);
  std::map<size_t, double> by_row;
  for (size_t j = 0; j < rows.size(); ++j) by_row[rows[j]] = d[j];
  CHECK(std::isinf(by_row[0]));
  CHECK(std::isinf(by_row[3]));
  CHECK(by_row[1] == doctest::Approx(1.25));
  CHECK(by_row[2] == doctest::Approx(1.25));
  // The elite of 3 keeps front 0 (3 points) whole; of 2, the boundary ones.
  CHECK(SelectElite(v, 2, 4).size() == 4);
  auto two = SelectElite(v, 2, 2);
  CHECK(std::set<size_t>(two.begin(), two.end()) == std::set<size_t>{0, 3});
}

TEST_CASE("selection as Debian's Optuna 3.1 selects") {
  const json& ref = OptunaReference();
  if (ref.is_null()) {
    MESSAGE("Debian's python3-optuna is not installed: comparison skipped");
    return;
  }
  for (const json& c : ref.at("selection")) {
    const auto m = c.at("m").get<size_t>();
    const std::vector<double> v = Flat(c.at("values"));
    auto fronts = NonDominatedSort(v, m);
    CHECK(Sorted(fronts) == c.at("fronts").get<std::vector<std::vector<size_t>>>());
    std::vector<size_t> first = fronts[0];
    std::vector<double> d = CrowdingDistance(v, m, first);
    for (size_t j = 0; j < first.size(); ++j) {
      const json& want = c.at("crowding").at(std::to_string(first[j]));
      if (want.is_string()) {
        CHECK(std::isinf(d[j]));
      } else {
        CHECK(d[j] == doctest::Approx(want.get<double>()).epsilon(1e-12));
      }
    }
    auto elite = SelectElite(v, m, 12);
    std::sort(elite.begin(), elite.end());
    CHECK(elite == c.at("elite").get<std::vector<size_t>>());
  }
}

TEST_CASE("constrained domination: feasible first, then the smaller violation") {
  const double inf = std::numeric_limits<double>::infinity();
  const double good[] = {1, 1}, bad[] = {2, 2};
  // Both feasible, or both without constraint values: plain domination.
  CHECK(ConstrainedDominates(good, 0, bad, 0, 2));
  CHECK_FALSE(ConstrainedDominates(bad, 0, good, 0, 2));
  CHECK(ConstrainedDominates(good, inf, bad, inf, 2));
  // Feasible beats infeasible whatever the values.
  CHECK(ConstrainedDominates(bad, 0, good, 0.5, 2));
  CHECK_FALSE(ConstrainedDominates(good, 0.5, bad, 0, 2));
  // Both infeasible: the smaller violation; equal violations: neither.
  CHECK(ConstrainedDominates(bad, 0.1, good, 0.5, 2));
  CHECK_FALSE(ConstrainedDominates(good, 0.5, bad, 0.1, 2));
  CHECK_FALSE(ConstrainedDominates(good, 0.5, bad, 0.5, 2));
  CHECK_FALSE(ConstrainedDominates(bad, 0.5, good, 0.5, 2));
  // With values beats without, even infeasible.
  CHECK(ConstrainedDominates(bad, 3, good, inf, 2));
  CHECK_FALSE(ConstrainedDominates(good, inf, bad, 3, 2));

  // (1,1) is infeasible: the feasible (2,2) and (3,0) make the first front.
  const std::vector<double> v = {1, 1, 2, 2, 3, 0, 0, 3};
  const std::vector<double> violation = {0.2, 0, 0, 0.7};
  auto fronts = AsSets(NonDominatedSort(v, 2, violation));
  REQUIRE(fronts.size() == 3);
  CHECK(fronts[0] == std::set<size_t>{1, 2});
  CHECK(fronts[1] == std::set<size_t>{0});
  CHECK(fronts[2] == std::set<size_t>{3});
  // Without violations, (1,1) and (0,3) and (3,0) are the front.
  CHECK(AsSets(NonDominatedSort(v, 2))[0] == std::set<size_t>{0, 2, 3});
  auto elite = SelectElite(v, 2, 2, violation);
  CHECK(std::set<size_t>(elite.begin(), elite.end()) == std::set<size_t>{1, 2});
}

TEST_CASE("constrained selection as Debian's Optuna 3.1 selects") {
  const json& ref = OptunaReference();
  if (ref.is_null()) {
    MESSAGE("Debian's python3-optuna is not installed: comparison skipped");
    return;
  }
  for (const json& c : ref.at("constrained_selection")) {
    const auto m = c.at("m").get<size_t>();
    const std::vector<double> v = Flat(c.at("values"));
    std::vector<double> violation;
    for (const json& cs : c.at("constraints")) {
      double total = cs.is_null() ? std::numeric_limits<double>::infinity() : 0.0;
      if (!cs.is_null()) {
        for (const json& x : cs) total += std::max(x.get<double>(), 0.0);
      }
      violation.push_back(total);
    }
    CHECK(Sorted(NonDominatedSort(v, m, violation)) ==
          c.at("fronts").get<std::vector<std::vector<size_t>>>());
    auto elite = SelectElite(v, m, 12, violation);
    std::sort(elite.begin(), elite.end());
    CHECK(elite == c.at("elite").get<std::vector<size_t>>());
  }
}

TEST_CASE("crossovers: children distributed as Optuna 3.1's, SBX's inside the bounds") {
  const std::vector<std::vector<double>> parents = {{0.2, 0.3}, {0.7, 0.6}, {0.4, 0.9}};
  const std::vector<double> lower = {0, 0}, upper = {1, 1};
  CrossoverParams cp;
  cp.eta = 20;  // several objectives, as the reference study
  const json& ref = OptunaReference();
  for (const char* name : {"uniform", "sbx", "vsbx", "blxalpha", "spx", "undx"}) {
    CAPTURE(name);
    const CrossoverKind kind = *CrossoverFromName(name);
    std::vector<std::vector<double>> p(parents.begin(), parents.begin() + ParentsOf(kind));
    Rng rng(11);
    const int n = 20000;
    double sum[2] = {0, 0}, sq[2] = {0, 0};
    for (int k = 0; k < n; ++k) {
      auto child = Crossover(kind, p, lower, upper, cp, rng);
      REQUIRE(child.size() == 2);
      for (int i = 0; i < 2; ++i) {
        if (kind == CrossoverKind::kSbx) CHECK((child[i] >= 0 && child[i] <= 1));
        sum[i] += child[i];
        sq[i] += child[i] * child[i];
      }
    }
    if (ref.is_null()) continue;
    for (int i = 0; i < 2; ++i) {
      const double mean = sum[i] / n, sd = std::sqrt(sq[i] / n - mean * mean);
      const double want_mean = ref.at("crossover").at(name).at("mean")[i].get<double>();
      const double want_sd = ref.at("crossover").at(name).at("std")[i].get<double>();
      CHECK(mean == doctest::Approx(want_mean).epsilon(0.02).scale(0.5));
      CHECK(sd == doctest::Approx(want_sd).epsilon(0.04));
    }
  }
}

}  // namespace gdsweep::nsga2
