// What a user sees while a sweep runs: one log line per finished trial and a
// status line (a bar, counts by state, elapsed time, rate, ETA to the budget,
// the best so far). On a terminal the status line redraws in place; otherwise
// it is a plain line every `interval` and at each tenth of the budget. Nothing
// but the per-trial lines' warnings when info is not logged (--quiet,
// --log-level off). The only writer of user-facing progress. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/study_spec.h"
#include "sweeper/model/trial.h"

namespace gdsweep {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  Progress(const StudySpec& spec, std::FILE* out, bool redraw,
           std::chrono::seconds interval = std::chrono::seconds(30));

  // Counts the finished trials of this sweep tag already in the history.
  void Resume(const std::vector<TrialRecord>& history);
  void TrialStarted(const TrialRecord& trial);
  // `trial` carries the final state, values and failure reason; `will_retry`:
  // a FAIL whose retry is queued (it does not count toward the budget).
  void TrialFinished(const TrialRecord& trial, double seconds, bool will_retry = false);
  // Redraws or prints the status line when due.
  void Tick(size_t running);
  void Done(size_t running);

  int64_t completed() const { return completed_; }
  int64_t failed() const { return failed_; }
  int64_t pruned() const { return pruned_; }
  // Trials that count toward the budget: COMPLETE, PRUNED, and FAIL not retried.
  int64_t done() const { return completed_ + pruned_ + failed_ - retried_; }
  std::string StatusLine(size_t running) const;
  // The status line after `elapsed` of this run.
  std::string StatusLine(size_t running, Clock::duration elapsed) const;

 private:
  void Count(const TrialRecord& trial);
  void Print(const std::string& line, bool force);
  bool Shown() const;

  const StudySpec& spec_;
  std::FILE* out_;
  bool redraw_;
  std::chrono::seconds interval_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_print_{};
  // Not on a terminal: the tenth of the budget and the line last printed.
  int64_t last_printed_tenth_ = -1;
  std::string last_line_;
  bool status_shown_ = false;
  int64_t completed_ = 0, failed_ = 0, pruned_ = 0, retried_ = 0;
  int64_t done_at_start_ = 0;  // done() when this run started
  std::optional<TrialRecord> best_;
};

// "loss=0.25 acc=0.9" for a trial's values.
std::string FormatValues(const StudySpec& spec, const std::vector<double>& values);
// "lr=0.001 layers=3" for a trial's params.
std::string FormatParams(const SearchSpace& space, const Params& params);
// "45s", "12m05s", "3h02m".
std::string FormatDuration(double seconds);

}  // namespace gdsweep
