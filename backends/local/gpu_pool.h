// Handing GPUs out to local trials: each running trial holds its own devices
// (CUDA_VISIBLE_DEVICES), and a device goes back to the pool only once no
// process of the trial's process group is left, so a trial never starts on a
// device whose previous owner still runs. Not thread-safe: the local
// backend's thread owns it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep {

class GpuPool {
 public:
  // `devices` in the order they are handed out; each trial gets `per_trial`.
  GpuPool(std::vector<std::string> devices, int per_trial);

  // How many trials can hold devices at once (devices / per_trial); none
  // when trials take no device (they may run at any parallelism).
  std::optional<size_t> Capacity() const;

  // Whether a trial's worth of devices is free now (devices of ended trials
  // whose groups are gone are taken back first).
  bool HasFree();

  // The process groups of ended trials still holding devices, for messages.
  std::vector<pid_t> DrainingGroups() const;

  // The devices for a trial about to start, as CUDA_VISIBLE_DEVICES names
  // them ("0,1"; "" when trials take none). Waits up to `patience` for
  // devices whose groups are still ending; an error names who holds them.
  Result<std::string> Take(int64_t trial_id, std::chrono::milliseconds patience);

  // Trial `trial_id` is over and its group `pgid` was killed: its devices
  // return once no member of the group is alive. Unknown ids are ignored.
  void Release(int64_t trial_id, pid_t pgid);

  // A trial that never started gives its devices back at once.
  void Cancel(int64_t trial_id);

 private:
  void Reclaim();

  int per_trial_;
  std::vector<std::string> free_;
  std::map<int64_t, std::vector<std::string>> held_;
  // Released by their trial, waiting for its group to be gone.
  struct Draining {
    pid_t pgid;
    std::vector<std::string> devices;
  };
  std::map<int64_t, Draining> draining_;
};

// The GPUs `nvidia-smi -L` lists, by index ("0", "1", ...), in its order.
// `nvidia_smi` is looked up on PATH and run without a shell. An error when it
// is missing, fails, or lists none.
Result<std::vector<std::string>> ListNvidiaGpus(const std::string& nvidia_smi = "nvidia-smi");

// The indices of the "GPU N: ..." lines of `nvidia-smi -L` output (MIG lines,
// indented, are not devices of their own here).
std::vector<std::string> ParseNvidiaSmiList(const std::string& text);

}  // namespace gdsweep
