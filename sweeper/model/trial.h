// What a study knows of one trial: Optuna's columns (number, state, params,
// values, intermediate values, times) plus gdsweep's own (sweep tag, attempt,
// failure reason, log path, external references). This is the record samplers
// read and the CLI lists. Plain value; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/search_space.h"

namespace gdsweep {

// Optuna's TrialState names, stored as these exact strings.
enum class TrialState { kRunning, kComplete, kPruned, kFail, kWaiting };

const char* ToString(TrialState s);  // "RUNNING", "COMPLETE", ...
std::optional<TrialState> TrialStateFromString(const std::string& s);
inline bool IsFinished(TrialState s) {
  return s == TrialState::kComplete || s == TrialState::kPruned || s == TrialState::kFail;
}

// Whether each objective is minimised or maximised, Optuna's "MINIMIZE"/"MAXIMIZE".
enum class Direction { kMinimize, kMaximize };
const char* ToString(Direction d);

struct TrialRecord {
  int64_t trial_id = 0;  // Optuna's trials.trial_id, unique across studies
  int64_t number = 0;    // 0, 1, 2, ... within the study
  TrialState state = TrialState::kRunning;
  Params params;                           // internal representation
  std::vector<double> values;              // one per objective when COMPLETE
  std::map<int64_t, double> intermediate;  // step -> value (first objective)
  std::optional<double> datetime_start;    // seconds since the epoch
  std::optional<double> datetime_complete;
  // Successive halving's record (pruners/README.md): rung -> the intermediate
  // value the trial had when it reached that rung. Optuna keeps these as the
  // trial system attributes "completed_rung_N".
  std::map<int, double> completed_rungs;
  // The state samplers keep in the study (CMA-ES's generation, NSGA-II's, the GP's kernel memory):
  // the trial system attributes whose key starts with "gdsweep:" or is
  // "nsga2:generation" (Optuna's NSGAIISampler reads and writes that one),
  // key -> JSON text. Written with the trial by the sampler that proposed it.
  std::map<std::string, std::string> sampler_attrs;
  // The trial's constraint values (feasible when all <= 0), Optuna's trial
  // system attribute "constraints"; nullopt when it has none.
  std::optional<std::vector<double>> constraints;

  // gdsweep's own columns; empty for trials another tool (Optuna) created.
  std::string tag;                  // the sweep tag
  int attempt = 1;                  // 1 for a fresh trial, 2.. for its retries
  std::optional<int64_t> retry_of;  // number of the trial this one retries
  int runs = 0;                     // launches so far (the current one's number while RUNNING)
  std::string worker_id;            // the `gdsweep run` process that owns it
  std::string failure_reason;       // why it is FAIL (or PRUNED), in words
  std::string log_path;             // folder with the trial's stdout/stderr logs
};

// Optuna 3.1's violation of a trial: the sum of its positive constraint
// values; +inf when it has none recorded (TPE ranks it after every other).
double Violation(const TrialRecord& t);
// Feasible: constraints recorded and all <= 0.
inline bool IsFeasible(const TrialRecord& t) { return Violation(t) == 0; }

}  // namespace gdsweep
