#include "pruners/hyperband_brackets.h"

#include <cmath>
#include <numeric>

#include "pruners/crc32.h"

namespace gdsweep {

int64_t NumBrackets(int64_t min_resource, int64_t max_resource, int64_t reduction_factor) {
  // CPython's math.log(x, base) is log(x) / log(base), both from libm; the
  // ratio is a true division of the two integers.
  const double ratio = static_cast<double>(max_resource) / static_cast<double>(min_resource);
  const double log = std::log(ratio) / std::log(static_cast<double>(reduction_factor));
  return static_cast<int64_t>(std::floor(log)) + 1;
}

std::vector<double> BracketBudgets(int64_t n_brackets, int64_t reduction_factor) {
  std::vector<double> budgets;
  for (int64_t b = 0; b < n_brackets; ++b) {
    const int64_t s = n_brackets - 1 - b;
    double power = 1.0;  // rf^s, exact below 2^53
    for (int64_t i = 0; i < s; ++i) power *= static_cast<double>(reduction_factor);
    budgets.push_back(
        std::ceil(static_cast<double>(n_brackets) * power / static_cast<double>(s + 1)));
  }
  return budgets;
}

int BracketOf(const std::string& study_name, int64_t number, const std::vector<double>& budgets) {
  const double total = std::accumulate(budgets.begin(), budgets.end(), 0.0);
  const uint32_t crc = Crc32(study_name + "_" + std::to_string(number));
  double n = total > 4294967295.0 ? static_cast<double>(crc)
                                  : static_cast<double>(crc % static_cast<uint64_t>(total));
  for (size_t b = 0; b < budgets.size(); ++b) {
    n -= budgets[b];
    if (n < 0) return static_cast<int>(b);
  }
  return static_cast<int>(budgets.size()) - 1;  // unreachable: n < total
}

}  // namespace gdsweep
