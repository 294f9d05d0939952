// Running helper programs to their end: output, exit status, environment,
// the time limit, and what is left behind.
#include "backends/process/run_process.h"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <fstream>
#include <string>
#include <thread>

namespace gdsweep {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a helper's output, status and environment") {
  auto run = RunProcess({"sh", "-c", "echo out; echo err >&2; echo $GDSWEEP_X; exit 3"},
                        {{"GDSWEEP_X", "x y"}}, 10s);
  REQUIRE(run.ok());
  CHECK(run->out == "out\nx y\n");
  CHECK(run->err == "err\n");
  CHECK(WIFEXITED(run->status));
  CHECK(WEXITSTATUS(run->status) == 3);
  CHECK_FALSE(run->timed_out);
}

TEST_CASE("a missing program is an error, not a process") {
  auto run = RunProcess({"/nonexistent/gdsweep-helper"}, {}, 10s);
  CHECK_FALSE(run.ok());
}

TEST_CASE("a helper past its time is killed with what it started") {
  const auto start = std::chrono::steady_clock::now();
  // The background sleep keeps stdout open: only killing the group ends it.
  auto run = RunProcess({"sh", "-c", "echo started; sleep 30 & echo $! ; wait"}, {}, 300ms);
  REQUIRE(run.ok());
  CHECK(run->timed_out);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(WIFSIGNALED(run->status));
  const auto newline = run->out.find('\n');
  REQUIRE(newline != std::string::npos);
  const pid_t sleeper = std::stoi(run->out.substr(newline + 1));
  // The background sleep was killed too (gone, or a zombie until whoever
  // inherited it reaps it).
  auto gone_or_zombie = [&] {
    std::ifstream stat("/proc/" + std::to_string(sleeper) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return true;
    const auto paren = text.rfind(')');
    return paren != std::string::npos && text.compare(paren + 1, 3, " Z ") == 0;
  };
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = gone_or_zombie();
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  CHECK(gone);
}

TEST_CASE("output past the limit is cut, and the helper still ends") {
  auto run = RunProcess({"sh", "-c", "yes | head -c 100000"}, {}, 10s, 1000);
  REQUIRE(run.ok());
  CHECK(run->out.size() == 1000);
  CHECK(WIFEXITED(run->status));
}

}  // namespace
}  // namespace gdsweep
