// TrackingSession: the `tracking` section at work during `gdsweep run`. It
// records the study's tracking target (from then on storage writes an outbox
// message with every trial state change), keeps a DeliveryLoop sending the
// outbox in the background, tells the scheduler each trial's run once it
// exists (for MLFLOW_RUN_ID), and reads objective values back from a run
// (`objective_source: tracking`). Used from the scheduler's thread only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sweeper/study.h"
#include "tracking/tracker.h"

namespace gdsweep {

class DeliveryLoop;

// The tracking target a study file asks for (experiment defaulting to the
// study name); the spec must have a tracking section.
TrackingTarget TargetFromSpec(const StudySpec& spec);

// One delivery pass for (study, tag) from a short-lived command (`ask`,
// `tell`): records the spec's target when given, delivers for up to
// `budget`, and gives the lease up. What is not delivered stays pending.
Result<DeliveryReport> DeliverOnce(Storage& storage, const StudyInfo& study, const std::string& tag,
                                   const TrackingTarget& target, std::chrono::milliseconds budget);

class TrackingSession {
 public:
  // Records the target of the study's (name, tag) in `study.storage()` and
  // starts delivering; the loop opens its own connection to `db_path` and
  // holds the delivery lease as `worker_id` (the scheduler's worker, so that a
  // resume that finds this worker dead frees the lease at once).
  static Result<std::unique_ptr<TrackingSession>> Start(Study& study, const std::string& db_path,
                                                        const std::string& worker_id);
  ~TrackingSession();

  const TrackingTarget& target() const { return target_; }
  bool values_from_tracking() const { return target_.values_from_tracking; }

  // Something was committed: deliver now rather than at the next poll.
  void Nudge();
  // Whether the last delivery attempt reached the server.
  bool reachable() const;

  // The trial's run if it has been created yet (reads storage; never waits).
  Result<std::optional<TrackingRun>> RunOf(const TrialRecord& trial);
  // Waits up to `timeout` for the delivery loop to finish a pass it had not
  // finished at the last call: the moment a new run may have been recorded.
  void WaitForDelivery(std::chrono::milliseconds timeout);
  // MLFLOW_TRACKING_URI, and MLFLOW_EXPERIMENT_ID and MLFLOW_RUN_ID when
  // the run is known: what the trial's own MLflow client reads.
  std::map<std::string, std::string> EnvFor(const std::optional<TrackingRun>& run) const;

  // The trial's objective values as its run holds them.
  Result<RunValues> ReadValues(const TrackingRun& run);

  // Keeps delivering for up to `flush_for`, then stops; says what is left.
  Result<DeliveryReport> Finish(std::chrono::milliseconds flush_for);

 private:
  TrackingSession(Study& study, TrackingTarget target, std::unique_ptr<Tracker> reader,
                  std::unique_ptr<DeliveryLoop> loop);

  Study& study_;
  TrackingTarget target_;
  std::unique_ptr<Tracker> reader_;  // this thread's own client, for ReadValues
  std::unique_ptr<DeliveryLoop> loop_;
  bool finished_ = false;
  uint64_t passes_seen_ = 0;
};

}  // namespace gdsweep
