#include "samplers/cmaes/margin.h"

#include <algorithm>
#include <cmath>

namespace gdsweep::cmaes {
namespace {

double NormCdf(double x, double loc, double scale) {
  return 0.5 * std::erfc(-(x - loc) / (scale * std::sqrt(2.0)));
}

// The thresholds below and above the cell of m, as the `cmaes` package picks
// them: for the lowest cell both are the first threshold, for the highest both
// the last one.
void CellLimits(const Levels& l, double m, double* low, double* up) {
  const size_t n_thr = l.values.size() - 1;
  size_t k = 0;  // thresholds below m
  while (k < n_thr && l.Threshold(k) < m) ++k;
  *low = l.Threshold(k == 0 ? 0 : k - 1);
  *up = l.Threshold(k == n_thr ? n_thr - 1 : k);
}

}  // namespace

size_t Levels::CellOf(double x) const {
  // First level whose upper threshold is >= x.
  size_t lo = 0, hi = values.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (Threshold(mid) < x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

double Chi2Ppf1(double q) {
  if (q <= 0) return 0;
  if (q >= 1) return INFINITY;
  // chi2.cdf(x; 1) = erf(sqrt(x / 2)): bisection, as the `cmaes` package.
  double a = 0, b = 100, m = 0;
  for (int i = 0; i < 100; ++i) {
    m = (a + b) / 2;
    const bool below =
        q < 0.9 ? std::erf(std::sqrt(m / 2)) < q : std::erfc(std::sqrt(m / 2)) > 1.0 - q;
    (below ? a : b) = m;
  }
  return m;
}

MarginState InitMargin(const CmaState& cma) {
  MarginState m;
  m.a.assign(static_cast<size_t>(cma.dim), 1.0);
  m.margin = 1.0 / (cma.dim * cma.popsize);
  return m;
}

void AskWithMargin(const CmaState& cma, const MarginState& margin,
                   const std::vector<Levels>& levels, Rng& rng, int max_resampling,
                   std::vector<double>* raw, std::vector<double>* encoded) {
  std::vector<bool> check(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) check[i] = !levels[i].discrete();
  *raw = Ask(cma, rng, max_resampling, check);
  *encoded = *raw;
  for (size_t i = 0; i < levels.size(); ++i) {
    if (!levels[i].discrete()) continue;
    const double x = ((*raw)[i] - cma.mean[i]) * margin.a[i] + cma.mean[i];
    (*encoded)[i] = levels[i].values[levels[i].CellOf(x)];
  }
}

void TellWithMargin(CmaState& cma, MarginState& margin, const std::vector<Levels>& levels,
                    std::vector<std::pair<std::vector<double>, double>> solutions) {
  Tell(cma, std::move(solutions));
  const int n = cma.dim;
  const double alpha = margin.margin;
  for (int i = 0; i < n; ++i) {
    const Levels& l = levels[static_cast<size_t>(i)];
    if (!l.discrete()) continue;
    double& m = cma.mean[i];
    double& a = margin.a[i];
    const double c_ii = cma.separable ? cma.cov[i] : cma.cov[static_cast<size_t>(i * n + i)];
    double lim_low = 0, lim_up = 0;
    CellLimits(l, m, &lim_low, &lim_up);
    const double scale = cma.sigma * a * std::sqrt(c_ii);
    double low_cdf = NormCdf(lim_low, m, scale);
    double up_cdf = 1.0 - NormCdf(lim_up, m, scale);
    const double mid_cdf = 1.0 - (low_cdf + up_cdf);
    if (std::max(low_cdf, up_cdf) > 0.5) {
      // The mean sits in an edge cell: keep the next level's mass at margin.
      if (std::min(low_cdf, up_cdf) < alpha) {
        const double sign = m > lim_up ? 1.0 : m < lim_up ? -1.0 : 0.0;
        const double dist = cma.sigma * a * std::sqrt(Chi2Ppf1(1.0 - 2.0 * alpha) * c_ii);
        m = lim_up + sign * dist;
      }
      continue;
    }
    low_cdf = std::max(low_cdf, alpha / 2);
    up_cdf = std::max(up_cdf, alpha / 2);
    const double spare = 1.0 - low_cdf - up_cdf - mid_cdf;
    const double denom = low_cdf + mid_cdf + up_cdf - 3.0 * alpha / 2;
    const double mod_low =
        std::clamp(low_cdf + spare * (low_cdf - alpha / 2) / denom, 1e-10, 0.5 - 1e-10);
    const double mod_up =
        std::clamp(up_cdf + spare * (up_cdf - alpha / 2) / denom, 1e-10, 0.5 - 1e-10);
    const double chi_low = std::sqrt(Chi2Ppf1(1.0 - 2 * mod_low));
    const double chi_up = std::sqrt(Chi2Ppf1(1.0 - 2 * mod_up));
    a = (lim_up - lim_low) / ((chi_low + chi_up) * cma.sigma * std::sqrt(c_ii));
    m = (lim_low * chi_up + lim_up * chi_low) / (chi_low + chi_up);
  }
}

}  // namespace gdsweep::cmaes
