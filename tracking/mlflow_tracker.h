// The Tracker of an MLflow tracking server (REST API, tracking/mlflow_client.h).
// Per (study, sweep tag) one parent run "<study>/<tag>"; per trial one child
// run "trial-<number>" with the trial's params, its intermediate and final
// values as metrics (by step), and status FINISHED / FAILED / KILLED. Runs are
// marked with the target's run_key (tag gdsweep.run_key), so a run whose
// creation was answered too late to be recorded is found again rather than
// created twice. One object per thread (it holds HTTP connections).
//
// Delivery: the claimed messages are grouped by trial; each trial's go in
// outbox order on one of `connections` worker threads (ClientPool), several
// trials at once. A trial's params, intermediate values and final metrics and
// tags share runs/log-batch requests; its status goes last (runs/update).
// Each message is settled in storage only once the server has it, and a run
// is recorded as soon as it exists. Per message:
//  - a server that cannot be reached, answers 5xx/429 after the client's own
//    retries, or refuses the credentials ends the pass (`stopped_by`); the
//    message stays pending with its error recorded;
//  - a message the server refuses (bad value, unknown run, ...) is dead, with
//    the server's words; the trial's later messages still go to its run if it
//    has one (a refused param does not lose the metrics and the status), and
//    are dead too if the trial has no run (its run_started was refused);
//  - the experiment or the parent run cannot be had: the pass stops
//    (`stopped_by`), nothing is dead.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "storage/storage.h"
#include "sweeper/model/result.h"
#include "tracking/mlflow_client.h"
#include "tracking/tracker.h"

namespace gdsweep {

struct MlflowTrackerOptions {
  // The delivery lease taken on (study, tag) by Deliver; one pass never runs
  // longer than 80% of it, so the lease cannot expire under it.
  double lease_seconds = 30;
  // Messages claimed at once; a pass claims again while its budget lasts.
  int claim_limit = 500;
  // gdsweep.failure_reason is cut to this many characters (MLflow keeps run
  // tag values up to 8000).
  size_t max_reason_chars = 5000;
  // Requests in flight at once (worker threads, each with kept-alive
  // connections), for different trials.
  size_t connections = 8;
  // A trial's params that would go alone are held back (the message left
  // pending, DeliveryReport::deferred) until this long after the trial
  // started, to go with its results in one request if it ends by then. For a
  // loop that comes back (DeliveryLoop); 0 for one-off passes.
  std::chrono::milliseconds merge_window{0};
};

// A tracker for `target` with credentials and TLS from the environment
// (mlflow::OptionsFromEnvironment) and the client's retries shortened to a few
// quick ones: the outbox is the long-term retry. kInvalidInput for a bad URI
// or environment, or a tag_key that collides with gdsweep's own run tags.
Result<std::unique_ptr<Tracker>> MakeMlflowTracker(const TrackingTarget& target,
                                                   const MlflowTrackerOptions& options = {});

// The same with explicit client options (tests, tools).
Result<std::unique_ptr<Tracker>> MakeMlflowTracker(const TrackingTarget& target,
                                                   const mlflow::ClientOptions& client,
                                                   const MlflowTrackerOptions& options = {});

}  // namespace gdsweep
