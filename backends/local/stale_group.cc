#include "backends/local/stale_group.h"

#include <dirent.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

namespace gdsweep {
namespace {

struct ProcStat {
  pid_t pid = 0;
  char state = '?';
  pid_t pgrp = 0;
  int64_t start_time = 0;
};

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Fields after "pid (comm)": the name may hold spaces and parentheses, so
// parsing starts after its last ')'.
std::optional<ProcStat> ReadStat(pid_t pid) {
  const std::string text = ReadWhole("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  ProcStat s;
  s.pid = pid;
  std::string field;
  // Field 3 is the state; 5 the process group; 22 the start time.
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 3) s.state = field.empty() ? '?' : field[0];
    if (i == 5) s.pgrp = static_cast<pid_t>(std::atol(field.c_str()));
    if (i == 22) {
      s.start_time = std::atoll(field.c_str());
      return s;
    }
  }
  return std::nullopt;
}

// The live (not zombie) processes of group `pgid`.
std::vector<ProcStat> GroupMembers(pid_t pgid) {
  std::vector<ProcStat> members;
  DIR* dir = ::opendir("/proc");
  if (!dir) return members;
  while (const dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    auto s = ReadStat(static_cast<pid_t>(pid));
    if (s && s->pgrp == pgid && s->state != 'Z' && s->state != 'X') members.push_back(*s);
  }
  ::closedir(dir);
  return members;
}

bool CarriesTrialId(pid_t pid, int64_t trial_id) {
  const std::string env = ReadWhole("/proc/" + std::to_string(pid) + "/environ");
  const std::string want = "GDSWEEP_TRIAL_ID=" + std::to_string(trial_id);
  size_t begin = 0;
  while (begin < env.size()) {
    size_t end = env.find('\0', begin);
    if (end == std::string::npos) end = env.size();
    if (env.compare(begin, end - begin, want) == 0) return true;
    begin = end + 1;
  }
  return false;
}

}  // namespace

const std::string& BootId() {
  static const std::string id = [] {
    std::string s = ReadWhole("/proc/sys/kernel/random/boot_id");
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }();
  return id;
}

std::optional<int64_t> ProcessStartTime(pid_t pid) {
  auto s = ReadStat(pid);
  if (!s) return std::nullopt;
  return s->start_time;
}

Status KillStaleGroup(int64_t trial_id, const LaunchProcess& process,
                      std::chrono::milliseconds timeout) {
  if (process.pid <= 1 || process.boot_id.empty() || process.boot_id != BootId()) return {};
  const auto pgid = static_cast<pid_t>(process.pid);
  auto members = GroupMembers(pgid);
  if (members.empty()) return {};
  bool ours = false;
  bool leader_alive = false;
  for (const auto& m : members) {
    if (m.pid == pgid) {
      leader_alive = true;
      ours = m.start_time == process.start_time;
    }
  }
  if (!leader_alive) {
    // A live group without its leader keeps the leader's pid from reuse, but
    // the group may be another one that took the id after ours ended: only
    // the trial's own mark in a member's environment proves it is ours.
    for (const auto& m : members) ours = ours || CarriesTrialId(m.pid, trial_id);
  }
  if (!ours) {
    spdlog::debug("process group {} is not trial id {}'s any more; left alone", pgid, trial_id);
    return {};
  }
  spdlog::warn("killing process group {}, left running by a gdsweep process that died", pgid);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Once: SIGKILL cannot be caught, and a second kill could reach a new group
  // that took the id after this one ended.
  if (::kill(-pgid, SIGKILL) != 0 && errno == ESRCH) return {};
  while (true) {
    if (GroupMembers(pgid).empty()) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error::Io("process group " + std::to_string(pgid) +
                       " of an earlier run is still alive " + "after SIGKILL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace gdsweep
