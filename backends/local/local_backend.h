// The local Backend: each trial is a child process of ours, started directly
// from its argv (never through a shell) in its own process group. Its stdout
// and stderr are copied to <log_dir>/stdout.log and stderr.log as they arrive
// (stderr.log only once there is something on stderr);
// each stdout line is also an event. Destroying the backend kills and reaps
// every trial still running; if this process dies without that (kill -9, the
// OOM killer), a watchdog process (group_watchdog.h) kills the trials' process
// groups within 200 ms (trials carry its token in GDSWEEP_WATCHDOG). Not
// thread-safe: one thread drives it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/backend.h"

namespace gdsweep {

struct LocalBackendOptions {
  // The longest stdout line, in bytes, that a kOutput event carries; a longer
  // line is cut there (at a UTF-8 boundary) in its event, never in stdout.log.
  size_t max_line_bytes = 64 * 1024;

  // After a trial's timeout_seconds: SIGTERM to its process group, then
  // SIGKILL after this long if it is still alive. Cancel() takes its own.
  std::chrono::milliseconds timeout_kill_grace{10000};

  // After a trial's main process exits, how long processes it left behind may
  // keep its stdout/stderr open before its process group is killed (and, if
  // they escaped the group, before the pipes are abandoned) and the exit is
  // reported.
  std::chrono::milliseconds drain_window{500};

  // How a trial's exit is noticed: a pidfd polled with its pipes (false, or a
  // kernel/sandbox refusing pidfd_open: waitid(WNOHANG) every 20 ms instead).
  bool use_pidfd = true;

  // GPUs handed out to trials (local.gpus), `gpus_per_trial` each in
  // CUDA_VISIBLE_DEVICES; a device is reused only once the process group of
  // the trial that held it is gone. No gpus_per_trial: CUDA_VISIBLE_DEVICES
  // is left as inherited.
  std::vector<std::string> gpus;
  std::optional<int> gpus_per_trial;
};

// A trial's main process exiting ends the trial: whatever is left of its
// process group is killed (SIGKILL) before kExited is reported. Each running
// trial holds five file descriptors (two pipes, a pidfd, two log files); run
// with `ulimit -n` above 5 x parallelism. An empty launch.log_dir writes no logs.
//
// kExited: exit_code is the exit status, or 128 + signal when a signal ended
// it (as a shell or Kubernetes reports it); reason is empty for exit code 0
// and otherwise words such as "exited with code 3", "killed by signal 9
// (SIGKILL)", "timed out after 10s (killed by signal 15 (SIGTERM))",
// "cancelled (exited with code 0)".
std::unique_ptr<Backend> MakeLocalBackend(const LocalBackendOptions& options);

}  // namespace gdsweep
