// Scheduler::Running: what the scheduler keeps of one trial it runs (its
// record, the metrics it reported so far, its clocks). Private to the
// scheduler's files; not thread-safe.
#pragma once

#include <chrono>
#include <optional>

#include "sweeper/metrics.h"
#include "sweeper/scheduler.h"

namespace gdsweep {

struct Scheduler::Running {
  TrialRecord trial;
  MetricCollector metrics;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point last_report;
  // Set once the pruner stopped it (it is recorded PRUNED already): the step
  // it was judged at and its value there. Its output is ignored from then on.
  std::optional<int64_t> pruned_at;
  double pruned_value = 0;
};

}  // namespace gdsweep
