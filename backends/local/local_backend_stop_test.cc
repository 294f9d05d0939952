// LocalBackend: how trials are stopped. Timeouts and Cancel (SIGTERM, then
// SIGKILL after the grace), processes left behind holding the output open,
// and the destructor, which must leave no zombie and no orphan.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "backends/local/local_backend.h"
#include "backends/local/local_backend_test_support.h"

namespace gdsweep {
namespace {

using namespace testing;

// True once `pid` is gone: no such process, or a zombie awaiting init.
bool Gone(pid_t pid) {
  const auto end = Clock::now() + 2s;
  while (Clock::now() < end) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close != std::string::npos && stat.compare(close + 2, 1, "Z") == 0) return true;
    ::usleep(10000);
  }
  return false;
}

TEST_CASE("Wait returns at once without trials and keeps to its timeout with them") {
  auto b = MakeLocalBackend(FastOptions());
  auto t0 = Clock::now();
  auto none = b->Wait(1000ms);
  REQUIRE(none);
  CHECK(none->empty());
  CHECK(SecondsSince(t0) < 0.1);

  REQUIRE(b->Start(Launch(1, {"sleep", "30"})));
  t0 = Clock::now();
  auto quiet = b->Wait(150ms);
  REQUIRE(quiet);
  CHECK(quiet->empty());
  CHECK(SecondsSince(t0) >= 0.14);
  CHECK(SecondsSince(t0) < 1.0);
  CHECK(b->Running() == 1);
}

TEST_CASE("a timeout ends a sleeping trial quickly with SIGTERM and says so") {
  TempDir dir;
  auto b = MakeLocalBackend(FastOptions());
  auto launch = Launch(1, {"sleep", "30"});
  launch.timeout_seconds = 0.3;
  const auto t0 = Clock::now();
  REQUIRE(b->Start(launch));
  auto seen = RunAll(*b);
  CHECK(SecondsSince(t0) < 2.0);
  REQUIRE(seen[1].exits == 1);
  const BackendEvent& ev = *seen[1].exit;
  CHECK(ev.timed_out);
  CHECK_FALSE(ev.cancelled);
  CHECK(ev.signal == SIGTERM);
  CHECK(ev.reason == "timed out after 0.3s (killed by signal 15 (SIGTERM))");
}

TEST_CASE("a timeout escalates to SIGKILL for a trial that ignores SIGTERM") {
  auto b = MakeLocalBackend(FastOptions());       // kill grace 300 ms
  auto launch = Sh(1, "trap '' TERM; sleep 30");  // sleep inherits the ignored TERM
  launch.timeout_seconds = 0.3;
  const auto t0 = Clock::now();
  REQUIRE(b->Start(launch));
  auto seen = RunAll(*b);
  const double took = SecondsSince(t0);
  CHECK(took >= 0.55);
  CHECK(took < 3.0);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->timed_out);
  CHECK(seen[1].exit->signal == SIGKILL);
}

TEST_CASE("Cancel sends SIGTERM first: a trial that traps it finishes cleanly, output logged") {
  TempDir dir;
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Sh(1,
                      "trap 'echo got-term; echo bye >&2; exit 0' TERM; echo ready;"
                      " while :; do sleep 0.05; done",
                      dir.path())));
  std::map<int64_t, Seen> seen;
  REQUIRE(WaitForLine(*b, seen, 1, "ready"));
  const auto t0 = Clock::now();
  b->Cancel(1, 5000ms);
  Drive(*b, seen, [] { return false; });
  CHECK(SecondsSince(t0) < 2.0);  // it did not need the grace
  REQUIRE(seen[1].exits == 1);
  const BackendEvent& ev = *seen[1].exit;
  CHECK(ev.cancelled);
  CHECK_FALSE(ev.timed_out);
  CHECK(ev.exit_code == 0);
  CHECK(ev.signal == 0);
  CHECK(ev.reason == "cancelled (exited with code 0)");
  CHECK(seen[1].lines.back() == "got-term");
  CHECK(ReadFile(dir / "stdout.log") == "ready\ngot-term\n");
  // (sh may first say "Terminated" for the sleep the SIGTERM to the group killed.)
  CHECK(ReadFile(dir / "stderr.log").ends_with("bye\n"));
}

TEST_CASE("Cancel escalates to SIGKILL after the grace, or at once with none") {
  auto b = MakeLocalBackend(FastOptions());
  REQUIRE(b->Start(Sh(1, "trap '' TERM; echo ready; sleep 30")));
  REQUIRE(b->Start(Sh(2, "trap '' TERM; echo ready; sleep 30")));
  std::map<int64_t, Seen> seen;
  REQUIRE(WaitForLine(*b, seen, 1, "ready"));
  REQUIRE(WaitForLine(*b, seen, 2, "ready"));
  const auto t0 = Clock::now();
  b->Cancel(1, 400ms);
  b->Cancel(2, 0ms);
  b->Cancel(99, 0ms);  // unknown: ignored
  double killed_at_once = -1;
  Drive(*b, seen, [&] {
    if (killed_at_once < 0 && seen[2].exits > 0) killed_at_once = SecondsSince(t0);
    return false;
  });
  const double took = SecondsSince(t0);
  CHECK(took >= 0.35);
  CHECK(took < 3.0);
  CHECK(killed_at_once >= 0);
  CHECK(killed_at_once < 0.3);
  for (int id : {1, 2}) {
    REQUIRE(seen[id].exits == 1);
    CHECK(seen[id].exit->cancelled);
    CHECK(seen[id].exit->signal == SIGKILL);
  }
}

TEST_CASE("a grandchild holding the output open does not hang its trial, and is killed") {
  auto b = MakeLocalBackend(FastOptions());  // drain window 200 ms
  const auto t0 = Clock::now();
  REQUIRE(b->Start(Sh(1, "sleep 100 & echo $!")));
  auto seen = RunAll(*b);
  CHECK(SecondsSince(t0) < 2.0);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->exit_code == 0);
  CHECK(seen[1].exit->reason.find("left behind") != std::string::npos);
  REQUIRE(seen[1].lines.size() == 1);
  CHECK(Gone(std::stoi(seen[1].lines[0])));
}

TEST_CASE("a grandchild that left the process group cannot hang its trial either") {
  auto b = MakeLocalBackend(FastOptions());
  const auto t0 = Clock::now();
  REQUIRE(b->Start(Sh(1, "setsid sleep 100 & echo $!")));
  auto seen = RunAll(*b);
  CHECK(SecondsSince(t0) < 2.0);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->exit_code == 0);
  CHECK(seen[1].exit->reason.find("left its process group") != std::string::npos);
  REQUIRE(seen[1].lines.size() == 1);
  ::kill(std::stoi(seen[1].lines[0]), SIGKILL);  // out of our reach by design
}

TEST_CASE("a trial's leftovers are killed when its main process exits") {
  TempDir dir;
  auto b = MakeLocalBackend(FastOptions());
  // The background sleep does not hold the pipes: only the group kill ends it.
  REQUIRE(b->Start(Sh(1, "sleep 100 >/dev/null 2>&1 & echo $!")));
  auto seen = RunAll(*b);
  REQUIRE(seen[1].exits == 1);
  CHECK(seen[1].exit->reason.empty());
  REQUIRE(seen[1].lines.size() == 1);
  CHECK(Gone(std::stoi(seen[1].lines[0])));
}

TEST_CASE("without a pidfd, exits are noticed by polling, with the same events") {
  LocalBackendOptions options = FastOptions();
  options.use_pidfd = false;
  auto b = MakeLocalBackend(options);
  for (int i = 1; i <= 20; ++i) REQUIRE(b->Start(Sh(i, "echo one; echo two; exit 4")));
  auto timed = Launch(21, {"sleep", "30"});
  timed.timeout_seconds = 0.2;
  REQUIRE(b->Start(timed));
  REQUIRE(b->Start(Sh(22, "sleep 100 & echo $!")));
  const auto t0 = Clock::now();
  auto seen = RunAll(*b);
  CHECK(SecondsSince(t0) < 2.0);
  CHECK(b->Running() == 0);
  for (int i = 1; i <= 20; ++i) {
    REQUIRE(seen[i].exits == 1);
    CHECK(seen[i].exit->exit_code == 4);
    CHECK(seen[i].lines == std::vector<std::string>{"one", "two"});
  }
  REQUIRE(seen[21].exits == 1);
  CHECK(seen[21].exit->timed_out);
  REQUIRE(seen[22].exits == 1);
  REQUIRE(seen[22].lines.size() == 1);
  CHECK(Gone(std::stoi(seen[22].lines[0])));
}

TEST_CASE("destroying the backend kills and reaps every trial and its descendants") {
  std::map<int64_t, Seen> seen;
  pid_t grandchild = -1;
  const auto t0 = Clock::now();
  {
    auto b = MakeLocalBackend(FastOptions());
    for (int i = 1; i <= 3; ++i) REQUIRE(b->Start(Launch(i, {"sleep", "30"})));
    REQUIRE(b->Start(Sh(4, "trap '' TERM; sleep 30 & echo $!; wait")));
    Drive(
        *b, seen, [&] { return !seen[4].lines.empty(); }, 5000ms);
    REQUIRE(seen[4].lines.size() == 1);
    grandchild = std::stoi(seen[4].lines[0]);
    CHECK(b->Running() == 4);
  }
  CHECK(SecondsSince(t0) < 2.0);
  errno = 0;
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // no child of ours left, not even a zombie
  CHECK(errno == ECHILD);
  CHECK(Gone(grandchild));
}

}  // namespace
}  // namespace gdsweep
