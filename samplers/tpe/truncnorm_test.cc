#include "samplers/tpe/truncnorm.h"

#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <limits>

namespace gdsweep::tpe {
namespace {

constexpr double kTruncInf = std::numeric_limits<double>::infinity();

// |got - want| <= rel * |want| + abs_tol.
bool Close(double got, double want, double rel, double abs_tol = 0) {
  return std::abs(got - want) <= rel * std::abs(want) + abs_tol;
}

}  // namespace

// Reference values: SciPy 1.10 (Debian's python3-scipy), computed with
// scipy.special.log_ndtr / ndtri_exp / ndtri and scipy.stats.truncnorm; the
// log masses are log-space differences of scipy.special.log_ndtr, taken on the
// side of 0 where they do not cancel.

TEST_CASE("LogNdtr matches SciPy from the far lower tail to the far upper tail") {
  const struct {
    double x, want;
  } kCases[] = {
      {-10000.0, -50000010.12927892}, {-200.0, -20006.21728089819},
      {-38.5, -745.6952702904113},    {-20.5, -214.06672896326387},
      {-19.5, -194.01696577749752},   {-8.0, -35.01343715991456},
      {-3.0, -6.60772622151035},      {-1.0, -1.841021645009264},
      {-0.001, -0.6939453834669655},  {0.0, -0.6931471805599453},
      {0.5, -0.3689464152886563},     {2.0, -0.023012909328963486},
      {5.0, -2.8665161296376305e-07}, {6.5, -4.016000583939729e-11},
      {9.0, -1.1285884059538324e-19}, {30.0, -4.906713927147908e-198},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.x);
    CHECK(Close(LogNdtr(c.x), c.want, 1e-13));
  }
  CHECK(LogNdtr(-kTruncInf) == -kTruncInf);
  CHECK(LogNdtr(kTruncInf) == 0);
  CHECK(Close(std::exp(LogNdtr(1.3)), Ndtr(1.3), 1e-15));
}

TEST_CASE("NdtriExp inverts log Phi, also where Phi underflows") {
  const struct {
    double log_p, want;
  } kCases[] = {
      {-10000.0, -141.37983987312978}, {-800.0, -39.88469483825668}, {-50.0, -9.674825283612355},
      {-5.0, -2.4709386372615887},     {-1.0, -0.33747496376420244}, {-0.6931471805599453, 0.0},
      {-0.3, 0.6458699862012636},      {-0.001, 3.090380786917045},  {-1e-10, 6.361340902411735},
      {-1e-300, 37.0470962993612},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.log_p);
    CHECK(Close(NdtriExp(c.log_p), c.want, 1e-13, 1e-15));
  }
  CHECK(NdtriExp(0) == kTruncInf);
  CHECK(NdtriExp(-kTruncInf) == -kTruncInf);
  CHECK(std::isnan(NdtriExp(0.5)));
  // Round trips far beyond SciPy's table, and densely where TPE lives.
  for (double x : {-1e6, -3e3, -41.0, -7.5, 0.25, 4.0, 8.0}) {
    CAPTURE(x);
    CHECK(Close(NdtriExp(LogNdtr(x)), x, 1e-12));
  }
  for (double x = -60; x < 8; x += 0.0731) {
    CAPTURE(x);
    REQUIRE(Close(NdtriExp(LogNdtr(x)), x, 1e-13, 1e-14));
  }
}

TEST_CASE("Ndtri matches SciPy") {
  const struct {
    double p, want;
  } kCases[] = {
      {1e-300, -37.0470962993612},  {1e-20, -9.262340089798409}, {0.001, -3.090232306167813},
      {0.025, -1.9599639845400545}, {0.3, -0.5244005127080409},  {0.5, 0.0},
      {0.7, 0.5244005127080407},    {0.975, 1.959963984540054},  {0.999999, 4.753424308817087},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.p);
    // Near p = 1 the answer is only as exact as 1 - p is.
    CHECK(Close(Ndtri(c.p), c.want, c.p > 0.99 ? 1e-10 : 1e-13, 1e-15));
  }
  CHECK(Ndtri(0) == -kTruncInf);
  CHECK(Ndtri(1) == kTruncInf);
}

TEST_CASE("LogGaussMass in both tails, across 0, and to infinity") {
  const struct {
    double a, b, want;
  } kCases[] = {
      {-1.0, 1.0, -0.38171514630212616},        {-50.0, -49.0, -1205.3111748916656},
      {49.0, 50.0, -1205.3111748916656},        {-0.001, 0.001, -7.133546798293504},
      {3.0, 3.5, -6.796868006683433},           {-40.0, 40.0, -0.0},
      {-0.5, 30.0, -0.3689464152886564},        {10.0, kTruncInf, -53.23128515051248},
      {-kTruncInf, -30.0, -454.32124395634327},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    CHECK(Close(LogGaussMass(c.a, c.b), c.want, 1e-12, 1e-300));
  }
  CHECK(LogGaussMass(0.7, 0.7) == -kTruncInf);
}

TEST_CASE("LogCellMass matches 50-digit values on cells of every width and place") {
  // mpmath at 50 digits: log(ncdf(b) - ncdf(a)), or of the upper tails.
  const struct {
    double a, b, want;
  } kCases[] = {
      {-60.0000000005, -59.9999999995, -1821.6422007347036},
      {-60.000005, -59.999995, -1812.4318639828617},
      {-60.0005, -59.9995, -1807.8265438583534},
      {-60.01, -59.99, -1804.7716829533638},
      {-60.25, -59.75, -1790.0406376352779},
      {-61.5, -58.5, -1716.1132572797099},
      {-12.0000000005, -11.9999999995, -93.642204287410716},
      {-12.000005, -11.999995, -84.431863997616926},
      {-12.0005, -11.9995, -79.826687853859654},
      {-12.01, -11.99, -76.828579388092301},
      {-12.25, -11.75, -72.423539917458858},
      {-13.5, -10.5, -58.404187061073244},
      {-3.0000000005, -2.9999999995, -26.142204287410716},
      {-3.000005, -2.999995, -16.931863998179426},
      {-3.0005, -2.9995, -12.326693478853182},
      {-3.01, -2.99, -9.330828211687958},
      {-3.25, -2.75, -6.0311462783656443},
      {-4.5, -1.5, -2.7059952600046722},
      {-0.4000000005, -0.39999999950000004, -21.722204398433016},
      {-0.400005, -0.39999500000000004, -12.511863998182952},
      {-0.4005, -0.3995, -7.9066938471868085},
      {-0.41000000000000003, -0.39, -4.9109755385586847},
      {-0.65, -0.15000000000000002, -1.7008067868650664},
      {-1.9, 1.1, -0.17958445100282962},
      {-5e-10, 5e-10, -21.642204370151084},
      {-5e-06, 5e-06, -12.431863998179068},
      {-0.0005, 0.0005, -7.8266938538534757},
      {-0.01, 0.01, -4.8309782051883747},
      {-0.25, 0.25, -1.6224590640372049},
      {-1.5, 1.5, -0.1434252068611771},
      {0.6999999994999999, 0.7000000005, -21.887204287410716},
      {0.6999949999999999, 0.700005, -12.676863998170475},
      {0.6995, 0.7004999999999999, -8.07169383343692},
      {0.69, 0.71, -5.0759700386439338},
      {0.44999999999999996, 0.95, -1.8624023828468431},
      {-0.8, 2.2, -0.25587188556948442},
      {4.9999999995, 5.0000000005, -34.142204287410716},
      {4.999995, 5.000005, -24.931863998112759},
      {4.9995, 5.0005, -20.326692812187615},
      {4.99, 5.01, -17.330561578792648},
      {4.75, 5.25, -13.876286951555908},
      {3.5, 6.5, -8.3660654809794723},
      {36.9999999995, 37.0000000005, -706.14220073470364},
      {36.999995, 37.000005, -696.93186399215749},
      {36.9995, 37.0005, -692.32663681283467},
      {36.99, 37.01, -689.3082650630579},
      {36.75, 37.25, -679.80506583458494},
      {35.5, 38.5, -634.61426315508839},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    CHECK(Close(LogCellMass(c.a, c.b), c.want, 1e-13));
    // LogGaussMass cancels on narrow cells; from 1e-3 up it agrees as well.
    if (c.b - c.a >= 1e-3) CHECK(Close(LogGaussMass(c.a, c.b), c.want, 1e-12));
  }
}

TEST_CASE("TruncNormPpf matches scipy.stats.truncnorm.ppf and stays inside [a, b]") {
  const struct {
    double u, a, b, want;
  } kCases[] = {
      {0.3, -1.0, 2.0, -0.24240381788922707},     {0.9, -50.0, -45.0, -45.00234012949466},
      {0.1, 45.0, 50.0, 45.00234012949466},       {0.5, -0.1, 0.1, 2.782916424671767e-16},
      {0.99, 0.0, kTruncInf, 2.5758293035489004}, {1e-06, -3.0, 3.0, -2.999775045615971},
      {0.7, 2.0, 2.5, 2.284475333613311},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.u);
    CAPTURE(c.a);
    CHECK(Close(TruncNormPpf(c.u, c.a, c.b), c.want, 1e-11, 1e-13));
  }
  CHECK(TruncNormPpf(0, -1, 2) == -1);
  CHECK(TruncNormPpf(1, -1, 2) == 2);
  for (double u = 0.0005; u < 1; u += 0.001) {
    double x = TruncNormPpf(u, 30, 30.001);
    REQUIRE(x >= 30);
    REQUIRE(x <= 30.001);
  }
}

TEST_CASE("TruncNormLogPdf matches SciPy and integrates to 1") {
  CHECK(Close(TruncNormLogPdf(0.3, 0, 1, 0.2, 0.05), 0.07682541209269678, 1e-12));
  CHECK(Close(TruncNormLogPdf(0.0, 0, 1, 0.9, 0.01), -4046.3137683472164, 1e-12));
  CHECK(Close(TruncNormLogPdf(2.0, -5, 5, 0.0, 3.0), -2.139310840377959, 1e-12));
  CHECK(TruncNormLogPdf(1.5, 0, 1, 0.5, 0.1) == -kTruncInf);
  // Midpoint rule over [low, high] with 20000 cells.
  const double low = -1, high = 0.5, loc = 0.4, scale = 0.3;
  const int n = 20000;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    double x = low + (high - low) * (i + 0.5) / n;
    sum += std::exp(TruncNormLogPdf(x, low, high, loc, scale));
  }
  CHECK(Close(sum * (high - low) / n, 1.0, 1e-7));
}

}  // namespace gdsweep::tpe
