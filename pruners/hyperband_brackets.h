// Hyperband's brackets as Optuna 3.1 lays them out: how many there are for a
// resource range, each bracket's share of trials, and which bracket a trial
// falls in (CRC-32 of "STUDY_NUMBER" modulo the total share). Rounding is
// Python's: the shares and the bracket count are computed in doubles exactly
// as CPython computes them. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gdsweep {

// floor(log(max_resource / min_resource) / log(reduction_factor)) + 1, as
// Python's math.floor(math.log(max / min, rf)) + 1; 0 or less: no bracket.
int64_t NumBrackets(int64_t min_resource, int64_t max_resource, int64_t reduction_factor);

// Bracket b's share: ceil(n * rf^s / (s + 1)) with s = n - 1 - b, for b in
// [0, n). Exact integers while they stay below 2^53; beyond, every trial is
// in bracket 0 anyway (the share of bracket 0 exceeds any CRC-32).
std::vector<double> BracketBudgets(int64_t n_brackets, int64_t reduction_factor);

// The bracket of trial `number` of `study_name`; `budgets` is not empty.
int BracketOf(const std::string& study_name, int64_t number, const std::vector<double>& budgets);

}  // namespace gdsweep
