// LocalBackend::Terminate (a pruned trial): the trial has the grace period to
// end by itself, then its process group gets SIGTERM, then SIGKILL 500 ms
// later, so it is gone within grace + 1 s even if it ignores SIGTERM.
#include <doctest/doctest.h>
#include <signal.h>

#include <string>

#include "backends/local/local_backend.h"
#include "backends/local/local_backend_test_support.h"

namespace gdsweep {
namespace {

using namespace testing;

TEST_CASE("Terminate: SIGTERM after the grace, SIGKILL 500 ms later, gone within grace + 1 s") {
  auto b = MakeLocalBackend(FastOptions());
  // Ignores SIGTERM, saying when it came.
  REQUIRE(b->Start(Sh(1, "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.02; done")));
  std::map<int64_t, Seen> seen;
  REQUIRE(WaitForLine(*b, seen, 1, "ready"));
  const auto t0 = Clock::now();
  b->Terminate(1, 600ms);
  double term_at = -1;
  Drive(*b, seen, [&] {
    if (term_at < 0 && !seen[1].lines.empty() && seen[1].lines.back() == "got-term") {
      term_at = SecondsSince(t0);
    }
    return false;
  });
  const double gone_at = SecondsSince(t0);
  CHECK(term_at >= 0.55);  // not before the grace
  CHECK(term_at < 1.0);
  CHECK(gone_at >= 1.05);  // SIGKILL 500 ms after SIGTERM
  CHECK(gone_at < 1.6);    // within grace + 1 s
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->cancelled);
  CHECK(seen[1].exit->signal == SIGKILL);
}

TEST_CASE("Terminate: a trial that ends by itself within the grace gets no signal") {
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Sh(1, "trap 'echo got-term' TERM; echo ready; sleep 0.3; echo saved; exit 0")));
  std::map<int64_t, Seen> seen;
  REQUIRE(WaitForLine(*b, seen, 1, "ready"));
  const auto t0 = Clock::now();
  b->Terminate(1, 5000ms);
  Drive(*b, seen, [] { return false; });
  CHECK(SecondsSince(t0) < 2.0);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].lines.back() == "saved");
  CHECK(seen[1].exit->cancelled);
  CHECK(seen[1].exit->exit_code == 0);
  CHECK(seen[1].exit->signal == 0);
}

TEST_CASE("Terminate with no grace: SIGTERM at once, SIGKILL 500 ms later") {
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Sh(1, "trap '' TERM; echo ready; while :; do sleep 0.02; done")));
  std::map<int64_t, Seen> seen;
  REQUIRE(WaitForLine(*b, seen, 1, "ready"));
  const auto t0 = Clock::now();
  b->Terminate(1, 0ms);
  b->Terminate(99, 0ms);  // unknown: ignored
  Drive(*b, seen, [] { return false; });
  CHECK(SecondsSince(t0) >= 0.45);
  CHECK(SecondsSince(t0) < 1.2);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->signal == SIGKILL);
}

}  // namespace
}  // namespace gdsweep
