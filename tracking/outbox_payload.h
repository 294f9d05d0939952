// The payloads of the tracking outbox (storage/README.md, "Outbox") read into
// plain structs: what a tracker needs from an OutboxMessage. The JSON stays in
// the .cc. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/trial.h"

namespace gdsweep {

// run_started: a trial began (a fresh trial, a retry or a rerun).
struct RunStartedPayload {
  int64_t number = 0;
  int attempt = 1;
  std::optional<int64_t> retry_of;            // number of the trial this one retries
  double start_time = 0;                      // seconds since the epoch
  std::map<std::string, std::string> params;  // as the user sees them ("0.01", "adam")
};

// intermediate: values the trial reported while running.
struct IntermediatePayload {
  double time = 0;                   // when they were stored, seconds since the epoch
  std::map<int64_t, double> points;  // step -> value of the first objective
  // step -> when the trial reported it (the line was read); a point written
  // without one (an older gdsweep) has none: use `time`.
  std::map<int64_t, double> times;
};

// run_finished: the trial ended.
struct RunFinishedPayload {
  TrialState state = TrialState::kComplete;  // COMPLETE, FAIL or PRUNED
  std::vector<double> values;                // one per objective when COMPLETE
  double end_time = 0;                       // seconds since the epoch
  std::string reason;                        // failure or pruning reason; may be empty
  bool interrupted = false;                  // stopped by gdsweep and requeued to run again
  std::map<int64_t, double> points;          // intermediate values stored with the finish
  std::map<int64_t, double> times;           // step -> when reported, as in IntermediatePayload
  std::optional<int64_t> pruned_step;        // PRUNED: the step it was pruned at
};

// Each returns kInvalidInput naming the field that is missing or malformed.
// Numbers may be the strings "NaN", "Infinity" and "-Infinity".
Result<RunStartedPayload> ParseRunStarted(const std::string& payload);
Result<IntermediatePayload> ParseIntermediate(const std::string& payload);
Result<RunFinishedPayload> ParseRunFinished(const std::string& payload);

}  // namespace gdsweep
