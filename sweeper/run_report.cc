#include "sweeper/run_report.h"

#include <map>
#include <set>

#include "sweeper/best.h"
#include "sweeper/progress.h"

namespace gdsweep {
namespace {

constexpr TrialState kStates[] = {TrialState::kComplete, TrialState::kFail, TrialState::kPruned,
                                  TrialState::kRunning, TrialState::kWaiting};

// "180 COMPLETE, 15 FAIL, 5 PRUNED" (states with none left out).
std::string ByState(const std::map<TrialState, int64_t>& count) {
  std::string out;
  for (TrialState s : kStates) {
    auto it = count.find(s);
    if (it == count.end() || it->second == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(it->second) + " " + ToString(s);
  }
  return out.empty() ? "none" : out;
}

std::string Plural(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Where the budget of a study stopped by it went, besides good trials.
struct BudgetUse {
  int64_t failed = 0;     // FAIL trials not retried
  int64_t asked = 0;      // RUNNING, made by `gdsweep ask` (no worker)
  int64_t elsewhere = 0;  // RUNNING under a worker
  int64_t waiting = 0;    // WAITING to run again
};

BudgetUse UseOfBudget(const std::vector<TrialRecord>& mine) {
  std::set<int64_t> retried;
  for (const auto& t : mine) {
    if (t.retry_of) retried.insert(*t.retry_of);
  }
  BudgetUse use;
  for (const auto& t : mine) {
    if (t.state == TrialState::kFail && !retried.count(t.number)) ++use.failed;
    if (t.state == TrialState::kWaiting) ++use.waiting;
    if (t.state == TrialState::kRunning) ++(t.worker_id.empty() ? use.asked : use.elsewhere);
  }
  return use;
}

// Why a study stopped by its budget has fewer than n_trials good trials.
std::vector<std::string> ShortOfBudget(const StudySpec& spec, const BudgetUse& use) {
  const auto [failed, asked, elsewhere, waiting] = use;
  std::vector<std::string> why;
  if (failed) {
    why.push_back(Plural(failed, "FAIL trial", "FAIL trials") +
                  " used up budget (trial.retries: " + std::to_string(spec.trial.retries) +
                  "; see `gdsweep trials --state FAIL`, raise --n-trials to run more)");
  }
  if (asked) {
    why.push_back(Plural(asked, "trial", "trials") +
                  " made by `gdsweep ask` still RUNNING: finish them with `gdsweep tell`");
  }
  if (elsewhere) {
    why.push_back(Plural(elsewhere, "trial", "trials") +
                  " still RUNNING under other workers (or left running)");
  }
  if (waiting) {
    why.push_back(Plural(waiting, "trial", "trials") +
                  " WAITING to run again: run the same command to resume");
  }
  return why;
}

}  // namespace

std::vector<ClosingLine> ClosingLines(const StudySpec& spec, const std::vector<TrialRecord>& trials,
                                      const RunSummary& summary, const std::string& worker_id,
                                      double elapsed_s) {
  std::vector<TrialRecord> mine;  // this study's trials of this tag
  for (const auto& t : trials) {
    if (t.tag == spec.tag) mine.push_back(t);
  }
  std::map<TrialState, int64_t> all, own;
  for (const auto& t : mine) {
    ++all[t.state];
    if (t.worker_id == worker_id && IsFinished(t.state)) ++own[t.state];
  }
  std::vector<ClosingLine> lines;
  std::string totals = "study '" + spec.name + "' tag '" + spec.tag +
                       "': " + Plural(static_cast<int64_t>(mine.size()), "trial", "trials") + " (" +
                       ByState(all) + ")";
  if (spec.budget.n_trials) totals += ", budget " + std::to_string(*spec.budget.n_trials);
  std::vector<Direction> dirs;
  for (const auto& o : spec.objectives) dirs.push_back(o.direction);
  const auto best = BestTrials(mine, dirs);
  if (best.size() == 1) {
    totals += "; best " + FormatValues(spec, best[0]->values) + " (trial " +
              std::to_string(best[0]->number) + ": " + FormatParams(spec.space, best[0]->params) +
              ")";
  } else if (!best.empty()) {
    totals += "; " + Plural(static_cast<int64_t>(best.size()), "trial", "trials") +
              " on the Pareto front (see `gdsweep best`)";
  }
  lines.push_back({false, totals});

  int64_t own_total = 0;
  for (const auto& [state, n] : own) own_total += n;
  std::string share = "this worker: " + Plural(own_total, "trial", "trials");
  if (own_total) share += " (" + ByState(own) + ")";
  share += " in " + FormatDuration(elapsed_s);
  if (summary.recovered) {
    share += "; " + Plural(summary.recovered, "trial", "trials") + " of stopped workers requeued";
  }
  if (summary.lost) {
    share += "; " + Plural(summary.lost, "result", "results") +
             " not recorded (another worker took this one for dead)";
  }
  lines.push_back({false, share});

  const int64_t good = all[TrialState::kComplete] + all[TrialState::kPruned];
  const auto& n_trials = spec.budget.n_trials;
  if (!n_trials || good >= *n_trials) return lines;
  std::string shortfall = "the study ended short of its budget: " + std::to_string(good) + " of " +
                          std::to_string(*n_trials) + " trials COMPLETE or PRUNED: ";
  switch (summary.stop) {
    case RunSummary::Stop::kInterrupted:
      shortfall += "the run was interrupted";
      break;
    case RunSummary::Stop::kTimeLimit:
      shortfall += "the time limit (budget.timeout) was reached; run again to go on";
      break;
    case RunSummary::Stop::kSamplerExhausted:
      shortfall += "the sampler has no parameters left to propose (the grid is exhausted)";
      break;
    case RunSummary::Stop::kBudget: {
      const BudgetUse use = UseOfBudget(mine);
      if (!use.failed && !use.asked && !use.waiting && use.elsewhere) {
        // Not short: other workers are finishing the budget.
        lines.push_back(
            {false, "the study goes on: " + Plural(use.elsewhere, "trial is", "trials are") +
                        " still RUNNING under other workers"});
        return lines;
      }
      auto why = ShortOfBudget(spec, use);
      if (why.empty()) why.push_back("trials of this tag were removed or are of other kinds");
      for (size_t i = 0; i < why.size(); ++i) shortfall += (i ? "; " : "") + why[i];
      break;
    }
  }
  lines.push_back({true, shortfall});
  return lines;
}

}  // namespace gdsweep
