// NSGA-II's selection (Deb, Pratap, Agarwal, Meyarivan, "A fast and elitist
// multiobjective genetic algorithm: NSGA-II", 2002) as Optuna 3.1's
// NSGAIISampler does it: fast non-dominated sort, crowding distance (a
// boundary point's is infinite; an objective where all are equal adds
// nothing), and the elite population (whole fronts, the last cut by crowding
// distance, largest first). Points are rows of a row-major n x m array of
// values, every objective minimised. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace gdsweep::nsga2 {

// a dominates b: no worse in every objective, better in one.
bool Dominates(const double* a, const double* b, size_t m);

// Constrained domination (Deb et al.; Optuna 3.1's _constrained_dominates),
// on violations (the sum of positive constraint values: 0 feasible; +inf
// when the trial has no constraint values): a feasible point dominates an
// infeasible one; of two infeasible ones the smaller violation dominates; two
// feasible ones, or two without values, by Dominates; one with values
// dominates one without.
bool ConstrainedDominates(const double* a, double violation_a, const double* b, double violation_b,
                          size_t m);

// The fronts, best first, each a list of row indices (in the order Optuna's
// sort leaves them). With `violations` (one per row), by constrained
// domination; empty: by plain domination.
std::vector<std::vector<size_t>> NonDominatedSort(std::span<const double> values, size_t m,
                                                  std::span<const double> violations = {});

// The crowding distance of each row of `rows` (same order). `rows` is
// reordered as Optuna's in-place sorts leave it.
std::vector<double> CrowdingDistance(std::span<const double> values, size_t m,
                                     std::vector<size_t>& rows);

// The `size` rows that survive to the next generation, in selection order;
// `violations` as NonDominatedSort's.
std::vector<size_t> SelectElite(std::span<const double> values, size_t m, size_t size,
                                std::span<const double> violations = {});

}  // namespace gdsweep::nsga2
