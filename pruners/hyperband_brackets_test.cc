// Hyperband's bracket layout against hand arithmetic and Python's rounding
// (math.log(243, 3) == 4.999999999999999 in CPython).
#include "pruners/hyperband_brackets.h"

#include <doctest/doctest.h>

namespace gdsweep {

TEST_CASE("the bracket count rounds as Python's math.log does") {
  CHECK(NumBrackets(1, 27, 3) == 4);     // log3(27) = 3.0
  CHECK(NumBrackets(1, 81, 3) == 5);     // exactly 4.0
  CHECK(NumBrackets(1, 243, 3) == 5);    // 4.999999999999999: not 6
  CHECK(NumBrackets(1, 1000, 10) == 3);  // 2.9999999999999996
  CHECK(NumBrackets(2, 40, 2) == 5);     // log2(20) = 4.32
  CHECK(NumBrackets(5, 5, 3) == 1);
  CHECK(NumBrackets(6, 5, 3) == 0);  // no bracket
}

TEST_CASE("bracket b gets ceil(n * rf^s / (s + 1)) trials, s = n - 1 - b") {
  // n = 4, rf = 3: 4*27/4, 4*9/3, 4*3/2, 4*1/1.
  CHECK(BracketBudgets(4, 3) == std::vector<double>{27, 12, 6, 4});
  // n = 3, rf = 4: ceil(3*16/3) = 16, ceil(3*4/2) = 6, 3.
  CHECK(BracketBudgets(3, 4) == std::vector<double>{16, 6, 3});
}

TEST_CASE("a trial's bracket is CRC-32 of 'STUDY_NUMBER' modulo the total, walked down") {
  const std::vector<double> budgets = {27, 12, 6, 4};  // total 49
  // crc32(b"hb-a_N") % 49 for N = 0, 9, 3, 2: 25, 38, 42, 47.
  CHECK(BracketOf("hb-a", 0, budgets) == 0);
  CHECK(BracketOf("hb-a", 9, budgets) == 1);
  CHECK(BracketOf("hb-a", 3, budgets) == 2);
  CHECK(BracketOf("hb-a", 2, budgets) == 3);
}

}  // namespace gdsweep
