// Hypervolume of a set of points (every objective minimised) with respect to
// a reference point, and the greedy hypervolume subset selection MOTPE uses to
// break ties in the last non-dominated front. Points are rows of a row-major
// n x m array. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace gdsweep::tpe {

// The Lebesgue measure of the region dominated by the points and bounded by
// `ref`. Points not strictly better than `ref` in every objective add nothing.
// Exact: a sweep for m <= 2, slicing along the last objective above that
// (O(n^(m-1) log n), meant for the few dozen points TPE hands it).
double Hypervolume(std::span<const double> points, size_t m, std::span<const double> ref);

// Picks k of the n points (k <= n) greedily, each time the one adding the
// most hypervolume to those already picked, the earliest row on ties: the
// (1 - 1/e)-approximation of Guerreiro et al., "Greedy Hypervolume Subset
// Selection in Low Dimensions" (2016), as Optuna's _solve_hssp. Returns row
// indices in the order picked.
std::vector<size_t> GreedyHypervolumeSubset(std::span<const double> points, size_t m, size_t k,
                                            std::span<const double> ref);

// MOTPE's reference point for a set of points: 1.1 x the worst value of each
// objective (0.9 x when negative), 1e-12 where that is 0.
std::vector<double> ReferencePoint(std::span<const double> points, size_t m);

}  // namespace gdsweep::tpe
