// CMA-ES with margin (Hamano, Saito, Nomura, Shirakawa, "CMA-ES with Margin:
// Lower-Bounding Marginal Probability for Mixed-Integer Black-Box
// Optimization", GECCO 2022; the `cmaes` package's CMAwM): integer and
// stepped dimensions are drawn continuously, then encoded to their nearest
// level after an affine stretch A; after each update the mean and A are moved
// so that every level next to the mean keeps at least probability `margin`,
// so an integer parameter never freezes on one value. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "samplers/cmaes/cma.h"

namespace gdsweep::cmaes {

// The levels of one discrete dimension, ascending: the linear grid low,
// low + step, ..., or explicit values (a log-scaled integer's logs).
struct Levels {
  std::vector<double> values;  // empty: a continuous dimension
  bool discrete() const { return !values.empty(); }
  // The level nearest to x (cells split at the midpoints).
  size_t CellOf(double x) const;
  // Midpoint between level k and k + 1.
  double Threshold(size_t k) const { return (values[k] + values[k + 1]) / 2; }
};

struct MarginState {
  std::vector<double> a;  // the per-dimension stretch, 1 to start
  double margin = 0;      // 1 / (n popsize) by default
};

MarginState InitMargin(const CmaState& cma);

// One draw: `raw` is what Tell must get back, `encoded` its discrete
// dimensions snapped to their levels (the point to evaluate). Bounds are
// checked on the continuous dimensions only.
void AskWithMargin(const CmaState& cma, const MarginState& margin,
                   const std::vector<Levels>& levels, Rng& rng, int max_resampling,
                   std::vector<double>* raw, std::vector<double>* encoded);

// The CMA-ES update with the raw draws, then the margin correction of the
// mean and A.
void TellWithMargin(CmaState& cma, MarginState& margin, const std::vector<Levels>& levels,
                    std::vector<std::pair<std::vector<double>, double>> solutions);

// The q-quantile of the chi-squared distribution with one degree of freedom
// (0 <= q <= 1).
double Chi2Ppf1(double q);

}  // namespace gdsweep::cmaes
