// Reading a trial's results: "name=value" lines from stdout (Katib's StdOut
// collector convention) or a JSON result file. Turns what a trial said into
// objective values, intermediate values and a failure reason. No I/O here but
// reading the result file; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"

namespace gdsweep {

// Why a value is not a number, if it is not.
enum class MetricProblem { kNone, kNoValue, kNotANumber, kTooLarge };

// One "name=value" pair found in a line.
struct MetricSample {
  std::string name;
  double value = 0;
  std::string_view text;  // the value as written, inside the line it was found in
  MetricProblem problem = MetricProblem::kNone;
};

// Finds every name=value pair in a line ("epoch 3: loss=0.25 acc=0.9" gives
// loss and acc). Names are [A-Za-z_][A-Za-z0-9_./-]*; a value runs to the next
// space, ',' or ';' and is a decimal or scientific number, or nan/inf; any
// other value ("abc", "1.5abc", "1e400", which no double holds) comes with its
// problem. Text that is not name=value is ignored.
std::vector<MetricSample> ParseMetricLine(std::string_view line);

// The problem in words: "'1.5abc' is not a number", "'1e400' is too large for
// a double", "it has no value"; "" when there is none.
std::string DescribeProblem(const MetricSample& sample);

// Accumulates what one trial reports, line by line, for a study's objectives.
class MetricCollector {
 public:
  // `constraints`: the study's constraint metrics, read like objectives
  // (the last report counts) but never failing the trial when missing.
  explicit MetricCollector(const std::vector<Objective>& objectives,
                           const std::vector<std::string>& constraints = {});

  // Feeds one stdout line. A report of the first objective becomes an
  // intermediate value at the line's "step=" or "epoch=" value if it has one,
  // else at the step after the previous report's; a step reported before is
  // ignored (as Optuna's report ignores it), one reported out of order is a
  // new step. A report of an objective
  // whose value is not a number counts as its last report, one that fails
  // the trial, until a later report can be read.
  // `read_at` (seconds since the epoch) is when the line was read: the time
  // of the intermediate value it reports (TakePendingTimes); default now.
  void AddLine(std::string_view line);
  void AddLine(std::string_view line, double read_at);

  // Takes the values from a result-file JSON object instead ({"loss": 0.1}).
  Status AddResultJson(const std::string& json_text);

  // Intermediate values not yet taken; TakePending() empties the set.
  std::map<int64_t, double> TakePending();
  // When each of them was reported (step -> seconds since the epoch), for
  // the values taken last or still pending; emptied by the next take.
  std::map<int64_t, double> TakePendingTimes();
  bool HasPending() const { return !pending_.empty(); }
  // The first step reported a second time (its value ignored), once.
  std::optional<int64_t> TakeFirstRepeat() { return std::exchange(first_repeat_, std::nullopt); }

  // The last value of every objective, or the reason there is none:
  // "did not report 'loss' (it printed: val_loss, acc)" / "reported NaN for
  // 'loss'" / "reported 'loss' on stdout line 7 as something that is not a
  // number (...): \"loss=1e400\"".
  Result<std::vector<double>> FinalValues() const;

  // The last value of every constraint, in the study's order; nullopt when
  // the study has none, or when one was never reported as a number (or as
  // NaN): the trial then has no constraint values, as an Optuna trial whose
  // constraints_func was not run, and MissingConstraints() says which.
  std::optional<std::vector<double>> ConstraintValues() const;
  std::vector<std::string> MissingConstraints() const;

 private:
  void Saw(std::string_view name);
  // " (it printed: a, b)" or " (it printed no name=value metrics)".
  std::string WhatItPrinted() const;

  std::vector<Objective> objectives_;
  std::vector<std::string> constraints_;
  std::vector<std::optional<double>> constraint_last_;
  std::vector<std::optional<double>> last_;
  std::vector<std::string> last_problem_;  // per objective: why its last report is unreadable
  int64_t lines_ = 0;                      // stdout lines fed so far
  std::map<int64_t, double> pending_;
  std::map<int64_t, double> pending_times_;
  std::set<int64_t> steps_;  // every step reported
  int64_t last_step_ = -1;
  std::optional<int64_t> first_repeat_;
  bool repeat_seen_ = false;
  // The metric names seen (step and epoch aside), in order, the first few.
  std::vector<std::string> seen_;
  bool seen_more_ = false;
};

}  // namespace gdsweep
