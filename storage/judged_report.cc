#include "storage/judged_report.h"

#include <set>
#include <unordered_map>

#include "storage/optuna_codec.h"
#include "storage/trial_reader.h"
#include "storage/trial_writer.h"

namespace gdsweep::storage {

Status WriteCompletedRungs(sql::Database& db, int64_t trial_id,
                           const std::map<int, double>& rungs) {
  for (const auto& [rung, value] : rungs) {
    if (auto s = SetTrialSystemAttr(db, trial_id, "completed_rung_" + std::to_string(rung),
                                    PythonFloatJson(value));
        !s) {
      return s;
    }
  }
  return {};
}

Result<ReportResult> StoreAndJudge(sql::Database& db, const ReportRequest& req,
                                   TrialHistory& history, const JudgeFn& judge) {
  ReportResult result;
  const TrialHistory none;
  if (req.refresh_history) {
    if (auto s = RefreshTrialHistory(db, req.study_id, history); !s) return s.error();
  }
  const TrialHistory& seen = req.refresh_history ? history : none;
  std::unordered_map<int64_t, size_t> in_history;
  if (req.refresh_history) {
    for (size_t i = 0; i < history.trials.size(); ++i) in_history[history.trials[i].trial_id] = i;
  }
  std::unordered_map<int64_t, TrialRecord> read;  // judged trials the history does not hold
  std::set<int64_t> done;                         // pruned here, or not RUNNING
  auto trial_of = [&](int64_t trial_id) -> Result<TrialRecord*> {
    if (auto it = in_history.find(trial_id); it != in_history.end()) {
      return &history.trials[it->second];
    }
    auto it = read.find(trial_id);
    if (it == read.end()) {
      auto t = ReadTrial(db, trial_id);
      if (!t) return t.error();
      it = read.emplace(trial_id, std::move(*t)).first;
    }
    return &it->second;
  };

  for (const auto& v : req.values) {
    if (done.count(v.trial_id)) continue;
    auto found = trial_of(v.trial_id);
    if (!found) return found.error();
    TrialRecord& t = **found;
    if (t.state != TrialState::kRunning) {
      result.conflicts.emplace_back(
          v.trial_id,
          Error::Conflict("trial " + std::to_string(t.number) + " is " + ToString(t.state) +
                          ", not RUNNING: its intermediate values can no longer "
                          "change"));
      done.insert(v.trial_id);
      continue;
    }
    ReportResult::Verdict verdict;
    verdict.trial_id = v.trial_id;
    verdict.step = v.step;
    if (t.intermediate.count(v.step)) {
      verdict.repeated = true;  // Optuna's report ignores a step reported before
    } else {
      if (auto s = WriteIntermediate(db, v.trial_id, {{v.step, v.value}}); !s) return s.error();
      t.intermediate[v.step] = v.value;
    }
    verdict.judged_at = t.intermediate.rbegin()->first;
    verdict.latest = t.intermediate.rbegin()->second;
    if (judge) {
      auto j = judge(seen, t);
      if (!j) return j.error();
      if (auto s = WriteCompletedRungs(db, v.trial_id, j->completed_rungs); !s) return s.error();
      for (const auto& [rung, value] : j->completed_rungs) t.completed_rungs[rung] = value;
      verdict.prune = j->prune;
    }
    if (verdict.prune) {
      done.insert(v.trial_id);
      if (req.finish_pruned) {
        TrialOutcome pruned;
        pruned.state = TrialState::kPruned;  // valued with its last intermediate value
        pruned.failure_reason = "pruned at step " + std::to_string(verdict.judged_at);
        if (auto s = FinishRunningTrial(db, v.trial_id, pruned); !s) return s.error();
        auto now = ReadTrial(db, v.trial_id);
        if (!now) return now.error();
        t = std::move(*now);
      }
    }
    result.verdicts.push_back(verdict);
  }
  return result;
}

}  // namespace gdsweep::storage
