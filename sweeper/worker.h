// Who this `gdsweep run` process is to the database (host, pid, a unique id),
// and whether another worker is still alive. Thread-safe (no state).
#pragma once

#include <string>

#include "storage/storage.h"

namespace gdsweep {

std::string HostName();
double NowSeconds();  // wall clock, seconds since the epoch

// A fresh WorkerInfo for this process: "host:pid:random" id, started now.
WorkerInfo ThisWorker(int64_t study_id);

// Dead when its heartbeat is older than `timeout_s`, or when it ran on this
// host and its process no longer exists.
bool IsWorkerDead(const WorkerInfo& w, double now, double timeout_s);

}  // namespace gdsweep
