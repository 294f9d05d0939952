#include "sweeper/worker.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <random>

namespace gdsweep {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

double NowSeconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

WorkerInfo ThisWorker(int64_t study_id) {
  WorkerInfo w;
  w.host = HostName();
  w.pid = getpid();
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  w.worker_id = w.host + ":" + std::to_string(w.pid) + ":" + suffix;
  w.study_id = study_id;
  w.started_at = w.heartbeat_at = NowSeconds();
  return w;
}

bool IsWorkerDead(const WorkerInfo& w, double now, double timeout_s) {
  if (now - w.heartbeat_at > timeout_s) return true;
  if (w.host != HostName() || w.pid <= 0) return false;
  if (w.pid == getpid()) return false;
  return kill(static_cast<pid_t>(w.pid), 0) != 0 && errno == ESRCH;
}

}  // namespace gdsweep
