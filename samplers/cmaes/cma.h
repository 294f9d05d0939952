// CMA-ES, the covariance matrix adaptation evolution strategy (Hansen, "The
// CMA Evolution Strategy: A Tutorial", arXiv:1604.00772), as an ask/tell
// optimiser that minimises and whose whole state is the plain value CmaState,
// so a sampler can store it in the study and restore it. Full covariance with
// negative weights (the tutorial's defaults, as the `cmaes` package behind
// Optuna's CmaEsSampler), or separable: a diagonal covariance with the larger
// learning rate of Ros & Hansen, "A Simple Modification in CMA-ES Achieving
// Linear Time and Space Complexity" (PPSN 2008). Box bounds: a draw outside is
// drawn again, up to a limit, then clipped. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "samplers/seeding.h"

namespace gdsweep::cmaes {

struct CmaState {
  bool separable = false;
  int dim = 0;      // n >= 2
  int popsize = 0;  // lambda
  int generation = 0;
  double sigma = 0;
  std::vector<double> mean, p_sigma, p_c;
  // Full: n x n row-major. Separable: the n diagonal entries.
  std::vector<double> cov;
  std::vector<double> lower, upper;  // box bounds of x
  // Best and worst value of the last funhist_term generations, for the
  // flat-fitness stop test; 2 * FunHistTerm(state) entries.
  std::vector<double> funhist;
  double tolx = 0;  // 1e-12 x the initial sigma
};

// 4 + floor(3 ln n): the tutorial's default population size.
int DefaultPopsize(int dim);

// A new optimiser: mean inside [lower, upper], sigma > 0, popsize 0 for
// the default, identity covariance.
CmaState InitCma(std::vector<double> mean, double sigma, std::vector<double> lower,
                 std::vector<double> upper, int popsize, bool separable);

// y = B D z for z ~ N(0, I): a draw from N(0, C), C = B D^2 B^T.
std::vector<double> DrawFromCovariance(const CmaState& s, Rng& rng);

// mean + sigma y, drawn until every dimension with check[i] (all when empty)
// lies inside its bounds, at most max_resampling times; then drawn once more
// and clipped into the bounds.
std::vector<double> Ask(const CmaState& s, Rng& rng, int max_resampling,
                        const std::vector<bool>& check = {});

// Updates the state with exactly popsize (x, value) pairs, any order; the
// generation counts up.
void Tell(CmaState& s, std::vector<std::pair<std::vector<double>, double>> solutions);

// The stop tests of the `cmaes` package (flat fitness, tolx, tolxup, no
// effect of an axis or a coordinate, condition number above 1e14), which the
// restart strategies act on.
bool ShouldStop(const CmaState& s);

// The eigenvalue square roots D (ascending) and, for a full covariance, the
// eigenvectors B (column-major n x n) of the state's covariance, with negative
// eigenvalues lifted to 1e-8 as the `cmaes` package does.
void Decompose(const CmaState& s, std::vector<double>* d, std::vector<double>* b);

}  // namespace gdsweep::cmaes
