// What a user sees while a sweep runs: one log line per finished trial and a
// status line (done/running/failed of the budget, best so far). On a
// terminal the status line redraws in place; otherwise it is printed every
// `interval`. The only writer of user-facing progress. Not thread-safe.
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
  Progress(const StudySpec& spec, std::FILE* out, bool redraw,
           std::chrono::seconds interval = std::chrono::seconds(10));

  // Counts the finished trials of this sweep tag already in the history.
  void Resume(const std::vector<TrialRecord>& history);
  void TrialStarted(const TrialRecord& trial);
  // `trial` carries the final state, values and failure reason.
  void TrialFinished(const TrialRecord& trial, double seconds);
  // Redraws or prints the status line when due.
  void Tick(size_t running);
  void Done(size_t running);

  int64_t completed() const { return completed_; }
  int64_t failed() const { return failed_; }
  std::string StatusLine(size_t running) const;

 private:
  void Count(const TrialRecord& trial);
  void Print(const std::string& line, bool force);

  const StudySpec& spec_;
  std::FILE* out_;
  bool redraw_;
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point last_print_{};
  bool status_shown_ = false;
  int64_t completed_ = 0, failed_ = 0, pruned_ = 0;
  std::optional<TrialRecord> best_;
};

// "loss=0.25 acc=0.9" for a trial's values.
std::string FormatValues(const StudySpec& spec, const std::vector<double>& values);
// "lr=0.001 layers=3" for a trial's params.
std::string FormatParams(const SearchSpace& space, const Params& params);

}  // namespace gdsweep
