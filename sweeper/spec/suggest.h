// "Did you mean ...?" for a misspelt key, placeholder or name: the closest
// candidate by edit distance, when it is close enough to be a likely typo.
// Used by the study-file parser and by placeholder checks. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gdsweep {

// Optimal-string-alignment distance: insertions, deletions, substitutions and
// swaps of two adjacent characters each cost 1. Case-sensitive.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` (ignoring case), if it is within about a
// third of the word's length; the first in `candidates` order on a tie.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

// "; did you mean 'X'?" for the closest match, or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace gdsweep
