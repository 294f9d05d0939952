// Starting one trial process: posix_spawn of argv (never a shell) with argv[0]
// looked up on the PATH the child will see, in its own process group, stdin
// from /dev/null, stdout and stderr to pipes, every other descriptor closed,
// signal mask and dispositions reset. Also the words for how a process ended.
// Free functions, safe to call from any thread.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "backends/process/unique_fd.h"
#include "sweeper/model/result.h"

namespace gdsweep {

struct ChildProcess {
  pid_t pid = -1;  // also its process group id
  UniqueFd pidfd;  // readable once it exits; empty where pidfd_open is refused
  UniqueFd out;    // read ends of its stdout and stderr, non-blocking
  UniqueFd err;
};

// Starts argv[0] with `env` added to (or replacing in) the inherited
// environment, in `working_dir` (empty: ours). An error means no process was
// left running: a missing program or working directory, exec failures (not
// executable, bad format), or resources (EMFILE, EAGAIN).
Result<ChildProcess> SpawnChild(const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& env,
                                const std::string& working_dir);

// "exited with code 3", "killed by signal 9 (SIGKILL)", from a waitpid status.
std::string DescribeWaitStatus(int status);

// "SIGKILL", or "signal 77" for one without a name.
std::string SignalName(int sig);

}  // namespace gdsweep
