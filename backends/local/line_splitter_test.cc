#include "backends/local/line_splitter.h"

#include <doctest/doctest.h>

namespace gdsweep {
namespace {

std::vector<std::string> Split(const std::vector<std::string>& chunks, size_t max) {
  LineSplitter s(max);
  std::vector<std::string> lines;
  for (const auto& c : chunks) s.Feed(c, lines);
  s.Finish(lines);
  return lines;
}

TEST_CASE("lines come out the same however the stream is chunked") {
  const std::vector<std::string> want = {"alpha", "", "beta gamma", "tail"};
  CHECK(Split({"alpha\n\nbeta gamma\ntail"}, 100) == want);
  CHECK(Split({"al", "pha\n", "\n", "beta", " gamma\nta", "il"}, 100) == want);
  std::vector<std::string> bytes;
  for (char c : std::string("alpha\n\nbeta gamma\ntail")) bytes.emplace_back(1, c);
  CHECK(Split(bytes, 100) == want);
}

TEST_CASE("a final newline does not make an extra empty line; nothing makes none") {
  CHECK(Split({"a\n"}, 100) == std::vector<std::string>{"a"});
  CHECK(Split({"\n"}, 100) == std::vector<std::string>{""});
  CHECK(Split({}, 100).empty());
  CHECK(Split({"", ""}, 100).empty());
}

TEST_CASE("a long line is cut at the limit, and the next line is whole") {
  CHECK(Split({"abcdefgh\nxy\n"}, 5) == std::vector<std::string>{"abcde", "xy"});
  CHECK(Split({"abc", "defgh", "ij\nxy"}, 5) == std::vector<std::string>{"abcde", "xy"});
  CHECK(Split({"abcde\n"}, 5) == std::vector<std::string>{"abcde"});  // exactly fits
}

TEST_CASE("a cut never leaves half a UTF-8 character") {
  const std::string e = "\xC3\xA9";         // é, 2 bytes
  const std::string euro = "\xE2\x82\xAC";  // €, 3 bytes
  CHECK(Split({"ab" + e + e + "\n"}, 3) == std::vector<std::string>{"ab"});
  CHECK(Split({"ab" + e + e + "\n"}, 4) == std::vector<std::string>{"ab" + e});
  CHECK(Split({"a" + euro + "\n"}, 3) == std::vector<std::string>{"a"});
  CHECK(Split({"a" + euro + "z\n"}, 4) == std::vector<std::string>{"a" + euro});
  // Not UTF-8 at all: left as cut.
  CHECK(Split({"ab\x80\x80\x80\x80\n"}, 5) == std::vector<std::string>{"ab\x80\x80\x80"});
}

}  // namespace
}  // namespace gdsweep
