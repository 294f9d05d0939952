// Running a short helper program to its end and collecting what it printed:
// an exec credential plugin, `nvidia-smi -L`. Started as SpawnChild starts a
// trial (argv, no shell, its own process group); killed with its group when
// it outlives its time. Free functions, safe to call from any thread.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep {

struct ProcessOutput {
  std::string out, err;  // each cut at `max_bytes`
  int status = 0;        // waitpid's
  bool timed_out = false;
};

// Runs argv with `env` added to (or replacing in) the inherited environment
// until it exits and closes its output, or for `timeout` at most. An error:
// it could not be started (a missing program among others).
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env,
                                 std::chrono::milliseconds timeout,
                                 size_t max_bytes = size_t{1} << 20);

}  // namespace gdsweep
