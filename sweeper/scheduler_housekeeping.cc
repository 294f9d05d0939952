// The Scheduler's periodic chores (Scheduler::Housekeeping): writing pending
// intermediate values and run processes, the heartbeat, recovering the trials
// of dead workers (re-attaching or requeueing them), and clearing what
// earlier runs left on the backend.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "sweeper/launch.h"
#include "sweeper/scheduler.h"
#include "sweeper/scheduler_running.h"
#include "sweeper/worker.h"

namespace gdsweep {

using Clock = std::chrono::steady_clock;

// Proves this worker alive. If another process took it for dead meanwhile
// (it failed and requeued our RUNNING trials), register again and stop the
// trials it took: their results could no longer be recorded.
Status Scheduler::Beat() {
  auto beat = study_.storage().Heartbeat(worker_.worker_id, NowSeconds());
  if (beat || beat.error().kind != Error::Kind::kNotFound) return beat;
  spdlog::warn(
      "another gdsweep process took this one for dead (no heartbeat for {:.0f} s) and requeued "
      "its running trials; stopping those and carrying on",
      options_.worker_timeout_s);
  WorkerInfo again = worker_;
  again.heartbeat_at = NowSeconds();
  if (auto s = study_.storage().RegisterWorker(again); !s) return s;
  TrialFilter running;
  running.state = TrialState::kRunning;
  auto still = study_.storage().ListTrials(study_.info().study_id, running);
  if (!still) return still.error();
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second->pruned_at) {  // PRUNED already, and being stopped
      ++it;
      continue;
    }
    const bool ours = std::any_of(still->begin(), still->end(), [&](const TrialRecord& t) {
      return t.trial_id == it->first && t.worker_id == worker_.worker_id;
    });
    if (ours) {
      ++it;
      continue;
    }
    spdlog::warn("trial {}: stopped; the other process requeued it", it->second->trial.number);
    backend_.Cancel(it->first, std::chrono::milliseconds(0));
    it = running_.erase(it);
  }
  return {};
}

// Writes the processes of started runs that no Ask carried within 100 ms (or
// now, when `force`), so a worker taking over after a crash can end them.
Status Scheduler::RecordProcesses(bool force) {
  if (processes_.empty()) return {};
  if (!force && Clock::now() - *processes_since_ < std::chrono::milliseconds(100)) return {};
  if (auto s = study_.storage().RecordRunProcesses(processes_); !s) return s;
  processes_.clear();
  processes_since_.reset();
  return {};
}

// A trial of a dead worker of this host: what is left of its last run (its
// process group, if the worker died too hard to end it) is ended before the
// trial is requeued, so it never runs twice at once.
Status Scheduler::EndStaleRun(const TrialRecord& trial) {
  auto runs = study_.storage().ListTrialRuns(trial.trial_id);
  if (!runs) return runs.error();
  if (runs->empty()) return {};
  const TrialRun& last = runs->back();
  if (last.pid <= 0 || last.host != worker_.host || last.ended_at) return {};
  auto s = backend_.EndStale(trial.trial_id, {last.boot_id, last.pid, last.pid_start_time});
  if (!s) return s.error().Wrap("trial " + std::to_string(trial.number));
  return {};
}

Status Scheduler::Housekeeping(bool force) {
  const auto now = Clock::now();
  if (auto s = RecordProcesses(force); !s) return s;
  for (auto& [id, r] : running_) {
    if (r->metrics.HasPending() && now - r->last_report >= options_.report_interval) {
      auto values = r->metrics.TakePending();
      if (auto s = study_.Report(id, values, r->metrics.TakePendingTimes()); !s) return s;
      r->last_report = now;
      MarkUnsynced();
    }
  }
  if (!force && now - last_beat_ < options_.heartbeat_interval) return {};
  last_beat_ = now;
  if (auto s = Beat(); !s) return s;
  std::vector<TrialRecord> adopted;
  auto reattach = [&](const TrialRecord& t) -> Result<bool> {
    auto launch = RenderLaunch(study_.spec(), t, study_.TrialDir(t.number));
    if (!launch) return false;
    return backend_.Reattach(*launch);
  };
  auto recovered =
      study_.RecoverOrphans(worker_.worker_id, options_.worker_timeout_s, reattach, &adopted,
                            [this](const TrialRecord& t) { return EndStaleRun(t); });
  if (!recovered) return recovered.error();
  for (const auto& t : adopted) {
    spdlog::info("trial {} re-attached: its run outlived the worker that started it", t.number);
    running_[t.trial_id] = std::make_unique<Running>(
        Running{t, MetricCollector(study_.spec().objectives, study_.spec().constraints),
                Clock::now(), Clock::now()});
    progress_.TrialStarted(t);
  }
  for (const auto& t : *recovered) {
    spdlog::warn("trial {} was RUNNING under a worker that stopped; queued to run again", t.number);
  }
  // They wait to be claimed, even if the budget of fresh trials is used.
  if (!recovered->empty() && summary_.stop != RunSummary::Stop::kInterrupted &&
      summary_.stop != RunSummary::Stop::kTimeLimit && !fatal_) {
    can_ask_ = true;
  }
  summary_.recovered += static_cast<int64_t>(recovered->size());
  if (!recovered->empty() || !adopted.empty()) MarkUnsynced();
  return {};
}

// What a crash (or a give-up) of an earlier run left behind and no trial
// owns any more: launches of finished trials, and earlier launches of trials
// that will run again. Best effort: what stays is tried again next run.
void Scheduler::ReleaseLeftovers() {
  if (!backend_.LaunchesOutliveProcess()) return;
  std::map<int64_t, std::optional<TrialLaunch>> trials;
  for (const auto& t : study_.history().trials) {
    std::optional<TrialLaunch> now;
    if (t.state == TrialState::kRunning) {
      auto launch = RenderLaunch(study_.spec(), t, study_.TrialDir(t.number));
      if (!launch) continue;  // unknown: leave its launches alone
      now = std::move(*launch);
    }
    trials.emplace(t.trial_id, std::move(now));
  }
  if (auto s = backend_.ReleaseLeftovers(study_.spec().name, trials); !s) {
    spdlog::warn("could not clear what earlier runs left: {}", s.error().message);
  }
}

}  // namespace gdsweep
