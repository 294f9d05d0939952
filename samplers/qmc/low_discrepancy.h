// Low-discrepancy (quasi-random) point sets in [0,1)^d: Sobol (direction
// numbers of Joe and Kuo, through Boost.Random) with random linear matrix
// scrambling and a digital shift (Matousek 1998; what scipy.stats.qmc.Sobol
// does with scramble=True), and Halton with seeded random digit permutations
// per dimension and digit (scipy's scrambled Halton). Point `index` is a pure
// function of (kind, dimension, scramble seed, index): any worker computes any
// point without the ones before it. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace gdsweep {

enum class QmcKind { kSobol, kHalton };

// The largest dimension supported (Boost's Sobol table; Halton uses as many
// primes).
constexpr int kMaxQmcDimension = 1000;

// Point `index` (0-based) of the `dimension`-dimensional sequence, each
// coordinate in [0, 1). `scramble_seed` none: the plain sequence (Sobol then
// starts at its second point, 0.5 in every coordinate, as Boost skips the
// origin; Halton at 0). 1 <= dimension <= kMaxQmcDimension.
std::vector<double> QmcPoint(QmcKind kind, int dimension, std::optional<uint64_t> scramble_seed,
                             uint64_t index);

// The first `n` points at once (cheaper than n QmcPoint calls).
std::vector<std::vector<double>> QmcPoints(QmcKind kind, int dimension,
                                           std::optional<uint64_t> scramble_seed, uint64_t first,
                                           int n);

}  // namespace gdsweep
