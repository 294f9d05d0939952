// Scheduler: the loop that runs a study to its budget. It keeps `parallelism`
// trials running (a new one starts as soon as a slot frees), turns backend
// events into results, applies timeouts and retries, beats the worker's
// heartbeat, recovers trials of dead workers, and stops cleanly on a signal.
// Study (ask/tell) owns the data; this owns time. Not thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "backends/backend.h"
#include "sweeper/progress.h"
#include "sweeper/study.h"

namespace gdsweep {

struct SchedulerOptions {
  // How often this worker proves it is alive, and checks for dead ones.
  std::chrono::milliseconds heartbeat_interval{2000};
  // A worker whose heartbeat is older than this is dead; its RUNNING trials
  // are failed and retried. (A dead worker on this host is noticed at once.)
  double worker_timeout_s = 60;
  // After SIGTERM to a trial, wait this long before SIGKILL.
  std::chrono::milliseconds kill_grace{10000};
  // Intermediate values are written at most this often per trial.
  std::chrono::milliseconds report_interval{1000};
};

struct RunSummary {
  enum class Stop { kBudget, kSamplerExhausted, kTimeLimit, kInterrupted };
  Stop stop = Stop::kBudget;
  int64_t started = 0;
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t recovered = 0;  // trials of dead workers failed (and maybe requeued)
};

class Scheduler {
 public:
  Scheduler(Study& study, Backend& backend, Progress& progress, const SchedulerOptions& options);
  ~Scheduler();

  // Runs until the budget is used, the sampler is exhausted, the time limit
  // passes, or `signals` becomes non-zero (1: stop gracefully, 2 or more: kill
  // the running trials now). Interrupted trials are failed and requeued so a
  // resume runs them again.
  Result<RunSummary> Run(const std::atomic<int>& signals);

 private:
  struct Running;
  Status Launch(const TrialRecord& trial);
  Status HandleExit(const BackendEvent& ev, bool interrupted);
  TrialOutcome Judge(Running& r, const BackendEvent& ev, bool interrupted) const;
  Status Housekeeping(bool force);

  Study& study_;
  Backend& backend_;
  Progress& progress_;
  SchedulerOptions options_;
  WorkerInfo worker_;
  RunSummary summary_;
  std::map<int64_t, std::unique_ptr<Running>> running_;
  std::chrono::steady_clock::time_point last_beat_{};
  bool detached_ = false;  // Cancel() left trials running (Kubernetes on_interrupt: keep)
};

}  // namespace gdsweep
