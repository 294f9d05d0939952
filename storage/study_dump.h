// StudyDump: everything a database keeps of one study, as plain values, so
// that a study can be copied from one Storage to another (`gdsweep copy`,
// SQLite to SQLite today, any Storage implementation tomorrow): Optuna's rows
// (directions, attributes, trials with their params, values, intermediate
// values and attributes) and gdsweep's rows that belong to the study rather
// than to a running process (its spec, sweep counters, trial rows and runs;
// not workers or tracking state). Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace gdsweep {

// A row of a *_attributes table: the key and its JSON value, as stored.
struct DumpedAttr {
  std::string key;
  std::string value_json;
};

// A trial_params row: Optuna's internal value and its distribution's JSON.
struct DumpedParam {
  std::string name;
  double internal = 0;
  std::string distribution_json;
};

// gdsweep_trials: the trial's sweep tag and gdsweep's bookkeeping.
struct DumpedGdsweepTrial {
  std::string tag;
  int attempt = 1;
  std::optional<int64_t> retry_of;
  std::string worker_id;
  std::string failure_reason;
  std::string log_path;
  std::optional<double> finished_at;
  int runs = 0;
  std::string queued_point;  // the study file's enqueue point it came from, if any
};

struct DumpedTrial {
  int64_t number = 0;
  TrialState state = TrialState::kWaiting;
  std::optional<double> datetime_start;  // seconds since the epoch
  std::optional<double> datetime_complete;
  std::vector<DumpedParam> params;         // in insertion order
  std::map<int64_t, double> values;        // objective -> value (+-inf allowed)
  std::map<int64_t, double> intermediate;  // step -> value (NaN, +-inf allowed)
  std::vector<DumpedAttr> user_attrs;
  std::vector<DumpedAttr> system_attrs;
  std::optional<DumpedGdsweepTrial> gdsweep;  // none: a trial gdsweep never touched
  std::vector<TrialRun> runs;                 // gdsweep_trial_runs (trial_id ignored)
};

// gdsweep_studies: the study file gdsweep last opened the study with.
struct DumpedGdsweepStudy {
  std::string spec_json;
  std::string space_json;
  std::string objectives_json;
  std::string seed;  // decimal text of a uint64
  double created_at = 0;
  double updated_at = 0;
};

struct StudyDump {
  std::string name;
  std::vector<Direction> directions;  // one per objective
  std::vector<DumpedAttr> user_attrs;
  std::vector<DumpedAttr> system_attrs;
  std::optional<DumpedGdsweepStudy> gdsweep;    // none: a study gdsweep never opened
  std::map<std::string, int64_t> fresh_trials;  // gdsweep_sweeps: tag -> count
  std::vector<DumpedTrial> trials;              // number order
};

}  // namespace gdsweep
