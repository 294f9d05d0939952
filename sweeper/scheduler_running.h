// Scheduler::Running: what the scheduler keeps of one trial it runs (its
// record, the metrics it reported so far, its clocks). Private to the
// scheduler's files; not thread-safe.
#pragma once

#include <chrono>

#include "sweeper/metrics.h"
#include "sweeper/scheduler.h"

namespace gdsweep {

struct Scheduler::Running {
  TrialRecord trial;
  MetricCollector metrics;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point last_report;
};

}  // namespace gdsweep
