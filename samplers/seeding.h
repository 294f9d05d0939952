// Deterministic randomness for samplers: the random stream of one trial is a
// pure function of (study seed, trial number, stream id), so a seeded study is
// reproducible, a resumed study continues the same way, and the order in which
// several processes ask does not matter. Pure functions; thread-safe.
//
// Header-only on purpose: samplers/tpe is linked below gdsweep_samplers (the
// factory links it), so it can include this header but not link its objects.
//
// Why std::mt19937_64 seeded through splitmix64: the C++ standard fixes
// mt19937_64's output sequence, so a seed means the same values with every
// compiler, and TPE's many draws per trial come from a well-studied engine;
// splitmix64 is the standard way to turn correlated inputs (seed, 0, 1, 2, ...)
// into unrelated 64-bit seeds. The std:: distributions are NOT portable (their
// algorithms are implementation-defined), so draw through UniformDouble and
// UniformIndex below, never std::uniform_*_distribution.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>

namespace gdsweep {

using Rng = std::mt19937_64;

// The output of splitmix64 whose state is `x` (Steele, Lea, Flood 2014; the
// seeding generator of xoshiro). A bijection on 64-bit values.
constexpr uint64_t SplitMix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a of a name, the same on every platform: a stream id for a parameter.
constexpr uint64_t StreamId(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

// The 64-bit seed of stream `stream` of trial `trial_number`. For fixed other
// arguments it is a bijection of each argument: distinct trials (or streams)
// never share a seed.
constexpr uint64_t DeriveSeed(uint64_t study_seed, int64_t trial_number, uint64_t stream = 0) {
  uint64_t h = SplitMix64(study_seed);
  h = SplitMix64(h ^ static_cast<uint64_t>(trial_number));
  return SplitMix64(h ^ stream);
}

// The generator for stream `stream` of trial `trial_number`. Samplers use one
// stream per parameter, StreamId(name), so a parameter's values do not move
// when another parameter is added, removed or reordered.
inline Rng MakeRng(uint64_t study_seed, int64_t trial_number, uint64_t stream = 0) {
  return Rng(DeriveSeed(study_seed, trial_number, stream));
}

// Uniform in [0, 1) with 53 random bits.
inline double UniformDouble(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform in [0, n), unbiased (rejection below 2^64 mod n); n must be > 0.
inline uint64_t UniformIndex(Rng& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

// One standard-normal draw: Marsaglia's polar method on UniformDouble
// (portable, unlike std::normal_distribution).
inline double StandardNormal(Rng& rng) {
  for (;;) {
    const double u = 2 * UniformDouble(rng) - 1, v = 2 * UniformDouble(rng) - 1;
    const double r = u * u + v * v;
    if (r > 0 && r < 1) return u * std::sqrt(-2 * std::log(r) / r);
  }
}

}  // namespace gdsweep
