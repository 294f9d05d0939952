#include "sweeper/model/utf8.h"

#include <doctest/doctest.h>

namespace gdsweep {

TEST_CASE("FirstInvalidUtf8 finds the first byte that is not well-formed UTF-8") {
  CHECK_FALSE(FirstInvalidUtf8("").has_value());
  CHECK_FALSE(FirstInvalidUtf8("adam").has_value());
  CHECK_FALSE(FirstInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").has_value());
  CHECK(FirstInvalidUtf8("ab\xFF") == 2u);
  CHECK(FirstInvalidUtf8("\xC3") == 0u);              // cut short
  CHECK(FirstInvalidUtf8("x\xC3(") == 1u);            // bad continuation
  CHECK(FirstInvalidUtf8("\xC0\xAF") == 0u);          // overlong '/'
  CHECK(FirstInvalidUtf8("\xE0\x80\xAF") == 0u);      // overlong, three bytes
  CHECK(FirstInvalidUtf8("\xED\xA0\x80") == 0u);      // a surrogate
  CHECK(FirstInvalidUtf8("\xF4\x90\x80\x80") == 0u);  // past U+10FFFF
  CHECK(FirstInvalidUtf8("ok\x80") == 2u);            // a lone continuation byte
}

TEST_CASE("PrintableExcerpt escapes invalid bytes and control characters and shortens") {
  CHECK(PrintableExcerpt("loss=1e400") == "loss=1e400");
  CHECK(PrintableExcerpt("a\xFF\tb") == "a\\xFF\\x09b");
  CHECK(PrintableExcerpt("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(PrintableExcerpt("abcdef", 3) == "abc...");
  CHECK_FALSE(FirstInvalidUtf8(PrintableExcerpt("\xC3\xA9\xC3", 2)).has_value());
}

TEST_CASE("EscapeControls keeps a log line one line: newlines, escapes and C1 controls as \\xHH") {
  CHECK(EscapeControls("a\nFAKE LINE") == "a\\x0AFAKE LINE");
  CHECK(EscapeControls("x\r\033[2Ky") == "x\\x0D\\x1B[2Ky");
  CHECK(EscapeControls("tab\tkept") == "tab\tkept");
  CHECK(EscapeControls("csi\xC2\x9B"
                       "1m caf\xC3\xA9 \xC2\xA0") == "csi\\xC2\\x9B1m caf\xC3\xA9 \xC2\xA0");
  CHECK(EscapeControls("bad\xFF") == "bad\\xFF");
  const std::string long_text(5000, 'a');
  CHECK(EscapeControls(long_text) == long_text);  // never shortened
}

}  // namespace gdsweep
