#include "sweeper/spec/suggest.h"

#include <doctest/doctest.h>

namespace gdsweep {

TEST_CASE("edit distance counts insertions, deletions, substitutions and adjacent swaps") {
  CHECK(EditDistance("", "") == 0);
  CHECK(EditDistance("abc", "") == 3);
  CHECK(EditDistance("paralelism", "parallelism") == 1);
  CHECK(EditDistance("kitten", "sitting") == 3);
  CHECK(EditDistance("metirc", "metric") == 1);  // one swap, not two substitutions
  CHECK(EditDistance("Low", "low") == 1);        // case-sensitive
}

TEST_CASE("the closest candidate is suggested only when it is a likely typo") {
  const std::vector<std::string> keys = {"n_trials", "parallelism", "timeout"};
  CHECK(ClosestMatch("paralelism", keys) == "parallelism");
  CHECK(ClosestMatch("PARALLELISM", keys) == "parallelism");
  CHECK(ClosestMatch("n_trial", keys) == "n_trials");
  CHECK_FALSE(ClosestMatch("budget", keys).has_value());
  CHECK_FALSE(ClosestMatch("x", {"y"}).has_value());   // nothing in common
  CHECK(ClosestMatch("lo", {"low", "log"}) == "low");  // ties: the first candidate
  CHECK(DidYouMean("tpe2", {"tpe", "grid"}) == "; did you mean 'tpe'?");
  CHECK(DidYouMean("zzz", {"tpe", "grid"}).empty());
}

}  // namespace gdsweep
