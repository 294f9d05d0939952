// The JSON document a report page renders: a study's objectives, parameters
// (with their scales and categorical choices), trials (parameters as Optuna
// stores them, values, intermediate values, times, worker, tag, attempts,
// failure reason, log tail, MLflow run address), the parameter importances and
// the Pareto front, for the whole study and for each sweep tag. Pure
// functions of a snapshot plus the trials' log files; thread-compatible.
#pragma once

#include <cstddef>
#include <string>

#include "storage/study_reader.h"

namespace gdsweep::report {

struct StudyJsonOptions {
  std::string tag;               // only this sweep tag's trials; empty: all
  size_t log_tail_bytes = 2048;  // of each trial's stdout.log and stderr.log; 0: none
  std::string generated_at;      // shown on the page, e.g. "2026-12-05 19:00:00 UTC"
};

// The document, as UTF-8 JSON text (invalid UTF-8 in names or logs replaced
// with U+FFFD). Not yet safe inside <script>: see EscapeJsonForScript.
std::string StudyJson(const StudySnapshot& snapshot, const StudyJsonOptions& options);

// The address of a run in MLflow's web UI ("<uri>/#/experiments/<e>/runs/<r>"),
// with any user:password@ removed from `uri`; empty unless uri is http(s).
std::string MlflowRunAddress(const std::string& uri, const TrackingRun& run);

// Now, as "2026-12-05 19:00:00 UTC" (for StudyJsonOptions::generated_at).
std::string UtcTimestamp();

// The last `max_bytes` of a file, starting after a line break when cut; empty
// when the file cannot be read.
std::string ReadTail(const std::string& path, size_t max_bytes);

}  // namespace gdsweep::report
