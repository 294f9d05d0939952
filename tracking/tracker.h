// The Tracker seam: where a study's reports go after the outbox. A Tracker
// turns the outbox messages that storage wrote (run started, intermediate
// values, run finished) into runs on a tracking server, idempotently, and
// reads results back from it (`objective_source: tracking`, `gdsweep best
// --from-tracking`). MLflow is the one implementation (mlflow_tracker.h).
// One object per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"

namespace gdsweep {

// What one Deliver call did.
struct DeliveryReport {
  int64_t delivered = 0;  // messages delivered by this call
  int64_t pending = 0;    // left waiting afterwards (not dead)
  int64_t dead = 0;       // refused by the server for good (kept; `sync --retry-dead`)
  // Of `pending`: held back on purpose, to go with a later report in one
  // request (MlflowTrackerOptions::merge_window); not a sign of trouble.
  int64_t deferred = 0;
  bool lease_held_elsewhere = false;  // another process is delivering this (study, tag)
  // Why delivery stopped before the outbox was empty (server unreachable,
  // authentication), already worded for the user; none when it did not.
  std::optional<Error> stopped_by;
};

// A trial's results as its run on the tracking server holds them.
struct RunValues {
  std::vector<double> values;              // latest value of each objective metric
  std::map<int64_t, double> intermediate;  // the first objective's history, by step
};

// A run as the server describes it, for `best --from-tracking`.
struct RemoteRun {
  TrackingRun run;
  std::string run_name;
  std::string status;
  std::string url;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
};

class Tracker {
 public:
  virtual ~Tracker() = default;

  // Delivers the pending outbox messages of (study, tag) in order under the
  // delivery lease of `owner`, for about `budget` at most, and records in
  // storage what it did (runs created, messages done or dead). Creates the
  // experiment and the parent run on first use. A server that is down or
  // refuses the credentials ends the call early with `stopped_by` set; the
  // messages stay pending. Errors are storage errors only.
  virtual Result<DeliveryReport> Deliver(Storage& storage, const StudyInfo& study,
                                         const std::string& tag, const std::string& owner,
                                         std::chrono::milliseconds budget) = 0;

  // The objective values logged to `run` (objective_source: tracking):
  // kNotFound naming the metric when one is missing; kIo when unreachable.
  virtual Result<RunValues> ReadValues(const TrackingRun& run,
                                       const std::vector<Objective>& objectives) = 0;

  // The finished runs of the sweep tag in the target's experiment, best
  // first by the first objective (for several objectives: all of them).
  virtual Result<std::vector<RemoteRun>> SearchRuns(const std::string& tag,
                                                    const std::vector<Objective>& objectives,
                                                    size_t limit) = 0;

  // The tracking UI's address of a run.
  virtual std::string RunUrl(const TrackingRun& run) const = 0;
};

}  // namespace gdsweep
