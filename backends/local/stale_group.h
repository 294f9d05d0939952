// Who a local trial process is beyond its pid, and ending what is left of a
// trial whose gdsweep process died: the boot id of this host, a process's
// start time (clock ticks after boot, /proc/PID/stat field 22), and killing
// a recorded process group only when it is provably still that trial's.
// Free functions reading /proc; thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "backends/backend.h"
#include "sweeper/model/result.h"

namespace gdsweep {

// /proc/sys/kernel/random/boot_id, read once; empty if unreadable.
const std::string& BootId();

// The start time of process `pid`; none if it does not exist (or /proc is
// not there).
std::optional<int64_t> ProcessStartTime(pid_t pid);

// Kills process group `process.pid` if it is still the launch of trial
// `trial_id` recorded as `process` on this boot: its leader is alive with the
// recorded start time, or (the leader gone) a member carries
// GDSWEEP_TRIAL_ID=<trial_id> in its environment. Then waits until no live
// member is left (zombies count as gone). Anything else (another boot, a
// reused pid, members of someone else) is left alone. kIo if the group
// outlives `timeout`.
Status KillStaleGroup(int64_t trial_id, const LaunchProcess& process,
                      std::chrono::milliseconds timeout);

}  // namespace gdsweep
