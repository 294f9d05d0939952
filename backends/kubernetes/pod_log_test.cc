#include "backends/kubernetes/pod_log.h"

#include <doctest/doctest.h>

namespace gdsweep {
namespace {

TEST_CASE("LineFramer splits on newlines whatever the chunks, strips \\r, keeps a last line") {
  LineFramer f(100);
  std::vector<std::string> lines;
  f.Feed("lo", lines);
  f.Feed("ss=1\nstep=2 lo", lines);
  f.Feed("ss=0.5\r\n\n", lines);
  CHECK(lines == std::vector<std::string>{"loss=1", "step=2 loss=0.5", ""});
  f.Feed("tail", lines);
  f.Finish(lines);
  CHECK(lines.back() == "tail");
  const size_t n = lines.size();
  f.Finish(lines);
  CHECK(lines.size() == n);
}

TEST_CASE("LineFramer cuts long lines") {
  LineFramer f(4);
  std::vector<std::string> lines;
  f.Feed("abcdefgh\nxy\n", lines);
  CHECK(lines == std::vector<std::string>{"abcd", "xy"});
}

}  // namespace
}  // namespace gdsweep
