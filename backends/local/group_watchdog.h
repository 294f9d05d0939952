// GroupWatchdog: makes the trials' process groups die with the gdsweep
// process that started them, however it dies (kill -9, the OOM killer, a
// hang-up). A small process forked once, in a session of its own and deaf to
// SIGHUP/SIGINT/SIGTERM, learns each trial's process group as it starts and
// ends over a socket; when the socket reaches end of file (its parent is
// gone, or closed it) it sends SIGTERM to every group still recorded, SIGKILL
// 200 ms later, then SIGKILL to every process whose environment carries its
// token (GDSWEEP_WATCHDOG=<token>, which each trial gets: that covers a trial
// spawned just before the parent died, before its group was told), and
// exits. When the parent dies (no goodbye before the end of file), it repeats
// that last sweep over the next half second, for a trial caught inside
// execve. Not thread-safe: one owner (LocalBackend).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "backends/process/unique_fd.h"
#include "sweeper/model/result.h"

namespace gdsweep {

// The environment variable that marks the processes of one watchdog's trials.
inline constexpr const char* kTokenVariable = "GDSWEEP_WATCHDOG";

class GroupWatchdog {
 public:
  // Forks the watchdog. Call before trials start; safe in a process with
  // threads (the child only makes system calls).
  static Result<std::unique_ptr<GroupWatchdog>> Start();
  // Closes the socket (the watchdog then ends whatever is still recorded and
  // exits) and reaps it.
  ~GroupWatchdog();
  GroupWatchdog(const GroupWatchdog&) = delete;
  GroupWatchdog& operator=(const GroupWatchdog&) = delete;

  // A group to end if we die / one that ended (send before reaping its
  // leader, while the group id cannot be reused). A failed send is logged
  // once; the watchdog is then of no more help.
  void Add(pid_t pgid);
  void Remove(pid_t pgid);

  pid_t pid() const { return pid_; }
  // The value of kTokenVariable for this watchdog's trials.
  const std::string& token() const { return token_; }

 private:
  GroupWatchdog(pid_t pid, UniqueFd socket, std::string token)
      : pid_(pid), socket_(std::move(socket)), token_(std::move(token)) {}
  void Send(int32_t message);

  pid_t pid_;
  UniqueFd socket_;
  std::string token_;
  bool warned_ = false;
};

}  // namespace gdsweep
