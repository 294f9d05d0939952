// Trials never outlive the gdsweep process that started them: a worker killed
// with SIGKILL (or any other way that skips its destructors) takes its trials'
// process groups with it, and ending a dead worker's leftovers kills only
// what provably belongs to that trial.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "backends/local/group_watchdog.h"
#include "backends/local/local_backend_test_support.h"
#include "backends/local/stale_group.h"
#include "backends/process/child_process.h"

namespace gdsweep {
namespace {

using namespace testing;

// Alive and not a zombie (a killed orphan may wait for init to reap it).
bool Alive(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  return stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

bool GoneWithin(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (!Alive(pid)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return !Alive(pid);
}

// Reads the pids a child wrote, one per line, until `n` arrived.
std::vector<pid_t> ReadPids(int fd, size_t n) {
  std::vector<pid_t> pids;
  std::string buf;
  char c;
  while (pids.size() < n && ::read(fd, &c, 1) == 1) {
    if (c != '\n') {
      buf += c;
      continue;
    }
    pids.push_back(static_cast<pid_t>(std::stol(buf)));
    buf.clear();
  }
  return pids;
}

TEST_CASE("trials die within a second of their worker's SIGKILL, grandchildren included") {
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t worker = ::fork();
  REQUIRE(worker >= 0);
  if (worker == 0) {  // the worker: two trials, one with a grandchild, then wait to be killed
    ::close(report[0]);
    auto backend = MakeLocalBackend(FastOptions());
    for (int64_t id : {1, 2}) {
      if (!backend->Start(Sh(id, "sleep 60 & echo $!; exec sleep 60"))) ::_exit(3);
    }
    std::map<int64_t, Seen> seen;
    for (int64_t id : {1, 2}) {
      auto p = backend->ProcessOf(id);
      if (!p) ::_exit(4);
      const std::string line = std::to_string(p->pid) + "\n";
      (void)!::write(report[1], line.data(), line.size());
      // The grandchild's pid, as the trial printed it.
      while (seen[id].lines.empty()) {
        auto ev = backend->Wait(1000ms);
        if (!ev) ::_exit(5);
        for (auto& e : *ev) {
          if (e.kind == BackendEvent::Kind::kOutput) seen[e.trial_id].lines.push_back(e.line);
        }
      }
      const std::string child = seen[id].lines.front() + "\n";
      (void)!::write(report[1], child.data(), child.size());
    }
    ::pause();
    ::_exit(0);
  }
  ::close(report[1]);
  const auto pids = ReadPids(report[0], 4);
  ::close(report[0]);
  REQUIRE(pids.size() == 4);
  for (pid_t p : pids) CHECK(Alive(p));
  REQUIRE(::kill(worker, SIGKILL) == 0);
  ::waitpid(worker, nullptr, 0);
  for (pid_t p : pids) {
    CAPTURE(p);
    CHECK(GoneWithin(p, 1000ms));
  }
  for (pid_t p : pids) ::kill(p, SIGKILL);  // never leave them behind, even on failure
}

TEST_CASE("a trial spawned just before its worker died, never told to the watchdog, dies too") {
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t worker = ::fork();
  REQUIRE(worker >= 0);
  if (worker == 0) {  // spawns with the watchdog's mark but dies before Add()
    ::close(report[0]);
    auto watchdog = GroupWatchdog::Start();
    if (!watchdog) ::_exit(3);
    auto child = SpawnChild({"sleep", "60"}, {{kTokenVariable, (*watchdog)->token()}}, "");
    if (!child) ::_exit(4);
    const std::string line = std::to_string(child->pid) + "\n";
    (void)!::write(report[1], line.data(), line.size());
    ::pause();
    ::_exit(0);
  }
  ::close(report[1]);
  const auto pids = ReadPids(report[0], 1);
  ::close(report[0]);
  REQUIRE(pids.size() == 1);
  CHECK(Alive(pids[0]));
  REQUIRE(::kill(worker, SIGKILL) == 0);
  ::waitpid(worker, nullptr, 0);
  // The sweep of /proc for the mark comes after the groups' TERM and KILL,
  // and is repeated for half a second for a trial still inside execve (whose
  // environment reads empty until the kernel has written it: under load the
  // single sweep once missed it, 5 runs in 60 with six busy loops beside).
  CHECK(GoneWithin(pids[0], 3000ms));
  ::kill(pids[0], SIGKILL);
}

TEST_CASE("a dead worker's leftover group is killed only when it is provably the trial's") {
  auto child = SpawnChild({"sh", "-c", "exec sleep 60"}, {{"GDSWEEP_TRIAL_ID", "7"}}, "");
  REQUIRE(child.ok());
  const pid_t pid = child->pid;
  auto start = ProcessStartTime(pid);
  REQUIRE(start.has_value());

  // Another boot, or a leader that started at another time (a reused pid): left alone.
  CHECK(KillStaleGroup(7, {"another-boot", pid, *start}, 2000ms).ok());
  CHECK(KillStaleGroup(7, {BootId(), pid, *start + 1}, 2000ms).ok());
  std::this_thread::sleep_for(50ms);
  CHECK(Alive(pid));

  // The very process: killed, and gone when it returns.
  CHECK(KillStaleGroup(7, {BootId(), pid, *start}, 2000ms).ok());
  CHECK_FALSE(Alive(pid));
  ::waitpid(pid, nullptr, 0);
}

TEST_CASE("a leftover group whose leader is gone is killed only if it carries the trial's id") {
  // The leader starts a member and exits; the member inherits GDSWEEP_TRIAL_ID.
  auto child = SpawnChild({"sh", "-c", "sleep 60 & echo $!"}, {{"GDSWEEP_TRIAL_ID", "8"}}, "");
  REQUIRE(child.ok());
  const pid_t leader = child->pid;
  ::waitpid(leader, nullptr, 0);
  std::string text;
  char buf[64];
  for (ssize_t n; text.find('\n') == std::string::npos;) {
    n = ::read(child->out.get(), buf, sizeof buf);
    if (n > 0) text.append(buf, static_cast<size_t>(n));
    if (n == 0) break;
    if (n < 0) std::this_thread::sleep_for(5ms);
  }
  const pid_t member = static_cast<pid_t>(std::stol(text));
  REQUIRE(Alive(member));

  CHECK(KillStaleGroup(9, {BootId(), leader, 0}, 2000ms).ok());  // not trial 9's
  std::this_thread::sleep_for(50ms);
  CHECK(Alive(member));
  CHECK(KillStaleGroup(8, {BootId(), leader, 0}, 2000ms).ok());
  CHECK_FALSE(Alive(member));
  ::kill(member, SIGKILL);
}

}  // namespace
}  // namespace gdsweep
