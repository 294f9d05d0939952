#include "samplers/qmc/low_discrepancy.h"

#include <array>
#include <bit>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <numeric>

#include "samplers/seeding.h"

namespace gdsweep {
namespace {

using SobolEngine = boost::random::sobol_engine<uint64_t, 64, boost::random::default_sobol_table>;

// Matousek's linear matrix scramble and digital shift of one coordinate's
// 64 binary digits (most significant first): output digit k is digit k xor a
// random combination of digits 0..k-1, then xor the shift's digit k. Applied
// to the points it equals scrambling the generator matrices, since both are
// linear over GF(2).
struct DigitScramble {
  std::array<uint64_t, 64> rows{};  // rows[k]: the digits output digit k sums
  uint64_t shift = 0;

  explicit DigitScramble(Rng& rng) {
    for (int k = 0; k < 64; ++k) {
      const uint64_t own = uint64_t{1} << (63 - k);
      // Random bits strictly above digit k (the more significant digits).
      const uint64_t above = k == 0 ? 0 : ~((own << 1) - 1);
      rows[static_cast<size_t>(k)] = own | (rng() & above);
    }
    shift = rng();
  }

  uint64_t Apply(uint64_t x) const {
    uint64_t y = 0;
    for (int k = 0; k < 64; ++k) {
      const uint64_t parity = std::popcount(rows[static_cast<size_t>(k)] & x) & 1u;
      y |= parity << (63 - k);
    }
    return y ^ shift;
  }
};

double ToUnit(uint64_t x) {
  // The top 53 bits, so the result is strictly below 1.
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

std::vector<std::vector<double>> SobolPoints(int dimension, std::optional<uint64_t> seed,
                                             uint64_t first, int n) {
  SobolEngine engine(static_cast<std::size_t>(dimension));
  engine.seed(first);
  std::vector<DigitScramble> scrambles;
  if (seed) {
    for (int j = 0; j < dimension; ++j) {
      Rng rng = MakeRng(*seed, -1, StreamId("sobol") + static_cast<uint64_t>(j));
      scrambles.emplace_back(rng);
    }
  }
  std::vector<std::vector<double>> out(static_cast<size_t>(n));
  for (auto& point : out) {
    point.resize(static_cast<size_t>(dimension));
    for (int j = 0; j < dimension; ++j) {
      uint64_t x = engine();
      if (seed) x = scrambles[static_cast<size_t>(j)].Apply(x);
      point[static_cast<size_t>(j)] = ToUnit(x);
    }
  }
  return out;
}

// The first `count` primes.
std::vector<uint32_t> Primes(int count) {
  std::vector<uint32_t> primes;
  for (uint32_t c = 2; static_cast<int>(primes.size()) < count; ++c) {
    bool prime = true;
    for (uint32_t p : primes) {
      if (p * p > c) break;
      if (c % p == 0) {
        prime = false;
        break;
      }
    }
    if (prime) primes.push_back(c);
  }
  return primes;
}

// Coordinate of point `index` in base `base`: the radical inverse, each
// digit position with its own permutation when scrambled. Enough digits for
// double precision; permuted trailing zeros count too, so a scrambled point
// uses all of them.
double RadicalInverse(uint64_t index, uint32_t base,
                      const std::vector<std::vector<uint32_t>>* perms) {
  const int digits = perms ? static_cast<int>(perms->size()) : 64;
  double inv_base = 1.0 / base, factor = inv_base, result = 0;
  for (int k = 0; k < digits && (perms || index > 0); ++k) {
    uint32_t digit = static_cast<uint32_t>(index % base);
    index /= base;
    if (perms) digit = (*perms)[static_cast<size_t>(k)][digit];
    result += digit * factor;
    factor *= inv_base;
  }
  return std::min(result, std::nextafter(1.0, 0.0));
}

std::vector<std::vector<double>> HaltonPoints(int dimension, std::optional<uint64_t> seed,
                                              uint64_t first, int n) {
  const auto primes = Primes(dimension);
  std::vector<std::vector<std::vector<uint32_t>>> perms;
  if (seed) {
    for (int j = 0; j < dimension; ++j) {
      const uint32_t base = primes[static_cast<size_t>(j)];
      const int digits = static_cast<int>(std::ceil(53 / std::log2(static_cast<double>(base))));
      Rng rng = MakeRng(*seed, -2, StreamId("halton") + static_cast<uint64_t>(j));
      std::vector<std::vector<uint32_t>> per_digit(static_cast<size_t>(digits));
      for (auto& p : per_digit) {
        p.resize(base);
        std::iota(p.begin(), p.end(), 0u);
        for (uint32_t i = base - 1; i > 0; --i) {  // Fisher-Yates
          std::swap(p[i], p[UniformIndex(rng, i + 1)]);
        }
      }
      perms.push_back(std::move(per_digit));
    }
  }
  std::vector<std::vector<double>> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& point = out[static_cast<size_t>(i)];
    for (int j = 0; j < dimension; ++j) {
      point.push_back(RadicalInverse(first + static_cast<uint64_t>(i),
                                     primes[static_cast<size_t>(j)],
                                     seed ? &perms[static_cast<size_t>(j)] : nullptr));
    }
  }
  return out;
}

}  // namespace

std::vector<std::vector<double>> QmcPoints(QmcKind kind, int dimension,
                                           std::optional<uint64_t> scramble_seed, uint64_t first,
                                           int n) {
  if (kind == QmcKind::kSobol) return SobolPoints(dimension, scramble_seed, first, n);
  return HaltonPoints(dimension, scramble_seed, first, n);
}

std::vector<double> QmcPoint(QmcKind kind, int dimension, std::optional<uint64_t> scramble_seed,
                             uint64_t index) {
  return QmcPoints(kind, dimension, scramble_seed, index, 1).front();
}

}  // namespace gdsweep
