#include "backends/local/gpu_pool.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <regex>
#include <sstream>
#include <thread>

#include "backends/process/child_process.h"
#include "backends/process/run_process.h"

namespace gdsweep {

GpuPool::GpuPool(std::vector<std::string> devices, int per_trial)
    : per_trial_(per_trial), free_(std::move(devices)) {}

std::optional<size_t> GpuPool::Capacity() const {
  if (per_trial_ <= 0) return std::nullopt;
  size_t all = free_.size();
  for (const auto& [id, d] : held_) all += d.size();
  for (const auto& [id, d] : draining_) all += d.devices.size();
  return all / static_cast<size_t>(per_trial_);
}

void GpuPool::Reclaim() {
  for (auto it = draining_.begin(); it != draining_.end();) {
    // ESRCH: no process is left in the group (a zombie leader was reaped by
    // the backend before Release, so none of ours holds the id).
    if (::kill(-it->second.pgid, 0) != 0 && errno == ESRCH) {
      free_.insert(free_.end(), it->second.devices.begin(), it->second.devices.end());
      it = draining_.erase(it);
    } else {
      ++it;
    }
  }
}

bool GpuPool::HasFree() {
  Reclaim();
  return free_.size() >= static_cast<size_t>(per_trial_);
}

std::vector<pid_t> GpuPool::DrainingGroups() const {
  std::vector<pid_t> groups;
  for (const auto& [id, d] : draining_) groups.push_back(d.pgid);
  return groups;
}

Result<std::string> GpuPool::Take(int64_t trial_id, std::chrono::milliseconds patience) {
  const auto until = std::chrono::steady_clock::now() + patience;
  Reclaim();
  while (free_.size() < static_cast<size_t>(per_trial_)) {
    // Only devices of ended trials can come free while we wait.
    if (draining_.empty() || std::chrono::steady_clock::now() >= until) {
      std::string who;
      for (const auto& [id, d] : draining_) {
        who += (who.empty() ? "" : ", ") + std::to_string(d.pgid);
      }
      return Error::Io("no free GPU for a new trial: " + std::to_string(free_.size()) + " free, " +
                       std::to_string(per_trial_) + " needed" +
                       (who.empty() ? ""
                                    : "; still held by process group(s) " + who +
                                          " of ended trials, killed but not yet gone"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Reclaim();
  }
  std::vector<std::string> mine(free_.begin(), free_.begin() + per_trial_);
  free_.erase(free_.begin(), free_.begin() + per_trial_);
  std::string visible;
  for (const auto& d : mine) visible += (visible.empty() ? "" : ",") + d;
  if (!mine.empty()) held_[trial_id] = std::move(mine);
  return visible;
}

void GpuPool::Release(int64_t trial_id, pid_t pgid) {
  auto it = held_.find(trial_id);
  if (it == held_.end()) return;
  draining_[trial_id] = Draining{pgid, std::move(it->second)};
  held_.erase(it);
  Reclaim();
}

void GpuPool::Cancel(int64_t trial_id) {
  auto it = held_.find(trial_id);
  if (it == held_.end()) return;
  free_.insert(free_.begin(), it->second.begin(), it->second.end());
  held_.erase(it);
}

std::vector<std::string> ParseNvidiaSmiList(const std::string& text) {
  static const std::regex kGpuLine("^GPU ([0-9]+): .*");
  std::vector<std::string> devices;
  std::istringstream lines(text);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, kGpuLine)) devices.push_back(m[1].str());
  }
  return devices;
}

Result<std::vector<std::string>> ListNvidiaGpus(const std::string& nvidia_smi) {
  auto run = RunProcess({nvidia_smi, "-L"}, {}, std::chrono::seconds(30));
  if (!run) {
    return Error::Io("cannot run `" + nvidia_smi + " -L` to find the GPUs: " + run.error().message);
  }
  if (run->timed_out) return Error::Io("`" + nvidia_smi + " -L` did not finish within 30 s");
  if (!(WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0)) {
    return Error::Io("`" + nvidia_smi + " -L` failed (" + DescribeWaitStatus(run->status) + ")");
  }
  auto devices = ParseNvidiaSmiList(run->out);
  if (devices.empty()) return Error::Io("`" + nvidia_smi + " -L` lists no GPU");
  return devices;
}

}  // namespace gdsweep
