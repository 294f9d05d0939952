// Scheduler: the loop that runs a study to its budget. It keeps `parallelism`
// trials running (a new one starts as soon as a slot frees), turns backend
// events into results, judges intermediate values with the study's pruner and
// stops the trials it prunes, applies timeouts and retries, beats the worker's
// heartbeat, recovers trials of dead workers, and stops cleanly on a signal.
// Study (ask/tell) owns the data; this owns time. Not thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  // Intermediate values are written at most this often per trial. With a
  // pruner, every value is written (and judged) as soon as it is read.
  std::chrono::milliseconds report_interval{1000};
  // A commit reaches the disk (Storage::Sync) at most this long after it is
  // made, and a trial's end is announced only then. One sync covers all the
  // commits made meanwhile, so a fast sweep does not pay a disk flush per trial.
  std::chrono::milliseconds sync_delay{5};
  // The id this worker registers under (the tracking delivery lease uses the
  // same one); empty: a fresh ThisWorker() id.
  std::string worker_id;
};

struct RunSummary {
  enum class Stop { kBudget, kSamplerExhausted, kTimeLimit, kInterrupted };
  Stop stop = Stop::kBudget;
  int64_t started = 0;
  int64_t completed = 0;
  int64_t pruned = 0;  // stopped early by the study's pruner (recorded PRUNED)
  int64_t failed = 0;
  int64_t recovered = 0;    // trials of dead workers put back to WAITING
  int64_t interrupted = 0;  // trials of this run stopped and put back to WAITING
  int64_t lost = 0;         // results not recorded: another worker took this one for dead
};

class TrackingSession;

class Scheduler {
 public:
  // With `tracking`, a trial starts once its tracking run exists (so it gets
  // MLFLOW_RUN_ID), or without it when the server does not answer in time.
  Scheduler(Study& study, Backend& backend, Progress& progress, const SchedulerOptions& options,
            TrackingSession* tracking = nullptr);
  ~Scheduler();

  // Runs until the budget is used, the sampler is exhausted, the time limit
  // passes, or `signals` becomes non-zero (1: stop gracefully, 2 or more: kill
  // the running trials now). Interrupted trials go back to WAITING, as they
  // were, so a resume runs them again.
  Result<RunSummary> Run(const std::atomic<int>& signals);

 private:
  struct Running;
  // A result judged but not yet committed: it rides on the next Ask's
  // transaction, or FlushTold commits it when no Ask follows at once. Once
  // committed it waits in committed_ for the sync that makes it durable, and
  // only then is it announced (progress, log line, tracking nudge).
  struct Told {
    TrialRecord shown;  // the trial as it ended, for progress
    TrialOutcome outcome;
    double seconds = 0;
    bool recorded = false;  // committed already (pruned): only announced
  };
  // A trial asked for but waiting for its tracking run before it starts.
  struct Starting {
    TrialRecord trial;
    std::chrono::steady_clock::time_point since;
  };
  Status Launch(const TrialRecord& trial, const std::map<std::string, std::string>& env);
  void StartOrFail(const TrialRecord& trial, const std::map<std::string, std::string>& env);
  Status StartWaiting();
  void FailUnstarted(const TrialRecord& trial, const std::string& reason,
                     TrialOutcome::Requeue requeue);
  void HandleExit(const BackendEvent& ev, bool interrupted);
  Result<AskResult> AskWithTold();
  Status FlushTold();
  void MarkUnsynced();
  void Committed(const std::vector<std::pair<int64_t, Error>>& lost);
  Status SyncAndAnnounce(bool force);
  void Announce(const std::vector<Told>& told, const std::vector<std::pair<int64_t, Error>>& lost);
  void ReleaseLeftovers();
  Status Beat();
  Status RecordProcesses(bool force);
  Status EndStaleRun(const TrialRecord& trial);
  Status Housekeeping(bool force);
  void QueueForJudging(Running& r);
  Status JudgeReported();
  void Prune(Running& r, int64_t step, double value);

  Study& study_;
  Backend& backend_;
  Progress& progress_;
  SchedulerOptions options_;
  WorkerInfo worker_;
  RunSummary summary_;
  TrackingSession* tracking_;
  std::map<int64_t, std::unique_ptr<Running>> running_;
  std::map<int64_t, Starting> starting_;
  std::vector<Told> told_;
  // Intermediate values read and not yet stored and judged (with a pruner),
  // in the order they were read.
  std::vector<ReportedValue> to_judge_;
  // Processes of runs started and not yet recorded: they ride on the next Ask,
  // or are written on their own once they have waited a little.
  std::vector<RunProcess> processes_;
  std::optional<std::chrono::steady_clock::time_point> processes_since_;
  std::vector<Told> committed_;                  // committed, not yet synced
  std::vector<std::pair<int64_t, Error>> lost_;  // results another worker overrode
  // When the commits made since the last Sync() are due to be synced.
  std::optional<std::chrono::steady_clock::time_point> sync_due_;
  std::optional<Error> fatal_;  // a trial could not start: the run fails
  bool can_ask_ = true;
  bool warned_no_run_ = false;
  std::chrono::steady_clock::time_point last_beat_{};
  bool detached_ = false;  // Cancel() left trials running (Kubernetes on_interrupt: keep)
};

}  // namespace gdsweep
