// Reading a sweep back from an MLflow tracking server: the objective values a
// trial logged to its own run (`objective_source: tracking`), and the finished
// trial runs of a sweep tag best first (`gdsweep best --from-tracking`). The
// MlflowTracker's read side; acts through the given Client, so one thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "tracking/mlflow_client.h"
#include "tracking/tracker.h"

namespace gdsweep {

// The latest value of each objective's metric in `run`, and the first
// objective's history by step (a step logged twice: the later point). MLflow's
// SQL stores keep ±Infinity as ±DBL_MAX; those read back as ±infinity.
// kNotFound naming the metric and the run when one is missing.
Result<RunValues> ReadRunValues(mlflow::Client& client, const TrackingRun& run,
                                const std::vector<Objective>& objectives);

// The FINISHED trial runs (those with a gdsweep.trial_number tag, so never the
// parent) tagged <target.tag_key> = `tag` in the target's experiment, ordered
// by the first objective (ASC when minimised), ties by the lowest trial number
// (as `gdsweep best` and Optuna's best_trial). One objective: at most `limit` (0: all),
// runs without a value (or NaN) left out. Several objectives: every finished
// run, whatever `limit` says (the caller computes the Pareto front).
// kNotFound naming the experiment and the server when there is no such
// experiment.
Result<std::vector<RemoteRun>> SearchSweepRuns(mlflow::Client& client, const TrackingTarget& target,
                                               const std::string& tag,
                                               const std::vector<Objective>& objectives,
                                               size_t limit);

}  // namespace gdsweep
