// The Scheduler's pruning: with a pruner, every intermediate value a trial
// reports is stored and judged at once, in the order read, in one transaction
// per batch with the whole study's history (Study::ReportAndJudge); a trial
// the pruner stops is recorded PRUNED in that transaction, told through its
// prune file, and ended by the backend after the study's prune grace.
#include <spdlog/spdlog.h>

#include <fstream>
#include <utility>

#include "sweeper/launch.h"
#include "sweeper/scheduler.h"
#include "sweeper/scheduler_running.h"

namespace gdsweep {

void Scheduler::QueueForJudging(Running& r) {
  for (const auto& [step, value] : r.metrics.TakePending()) {
    to_judge_.push_back({r.trial.trial_id, step, value});
  }
  // Judged (and stored) as soon as read, so the time of storing is the time
  // reported: the read times are not needed.
  (void)r.metrics.TakePendingTimes();
}

Status Scheduler::JudgeReported() {
  auto judged = study_.ReportAndJudge(std::exchange(to_judge_, {}), /*finish_pruned=*/true);
  if (!judged) return judged.error();
  MarkUnsynced();
  for (const auto& [trial_id, error] : judged->conflicts) {
    // Another worker requeued it (it took this one for dead): Beat() stops it.
    spdlog::debug("trial id {}: values not stored: {}", trial_id, error.message);
  }
  for (const auto& v : judged->verdicts) {
    if (!v.prune) continue;
    auto it = running_.find(v.trial_id);
    if (it != running_.end()) Prune(*it->second, v.judged_at, v.latest);
  }
  return {};
}

// The trial is PRUNED in the database already: tell it through its prune
// file, then end it after the grace period.
void Scheduler::Prune(Running& r, int64_t step, double value) {
  r.pruned_at = step;
  r.pruned_value = value;
  const auto grace = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(study_.spec().trial.prune_grace_seconds));
  const std::string file = PruneFilePath(study_.TrialDir(r.trial.number));
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << "pruned at step " << step << "\n";
  out.close();
  if (!out && study_.spec().backend == "local") {
    spdlog::warn("trial {}: cannot write its prune file {}", r.trial.number, file);
  }
  spdlog::info("trial {} pruned at step {}; stopping it ({:.0f} s grace)", r.trial.number, step,
               study_.spec().trial.prune_grace_seconds);
  backend_.Terminate(r.trial.trial_id, grace);
}

}  // namespace gdsweep
