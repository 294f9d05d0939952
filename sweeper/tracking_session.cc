#include "sweeper/tracking_session.h"

#include <spdlog/spdlog.h>

#include "sweeper/model/redact.h"
#include "sweeper/worker.h"
#include "tracking/delivery_loop.h"
#include "tracking/mlflow_tracker.h"

namespace gdsweep {

TrackingTarget TargetFromSpec(const StudySpec& spec) {
  TrackingTarget t;
  if (!spec.tracking) return t;
  t.uri = spec.tracking->uri;
  t.experiment = spec.tracking->experiment.empty() ? spec.name : spec.tracking->experiment;
  t.artifact_location = spec.tracking->artifact_location;
  t.tag_key = spec.tracking->tag_key;
  t.values_from_tracking = spec.tracking->objective_source == ObjectiveSource::kTracking;
  return t;
}

Result<DeliveryReport> DeliverOnce(Storage& storage, const StudyInfo& study, const std::string& tag,
                                   const TrackingTarget& target, std::chrono::milliseconds budget) {
  auto tracker = MakeMlflowTracker(target);
  if (!tracker) return tracker.error();
  const std::string owner = ThisWorker(study.study_id).worker_id;
  auto report = (*tracker)->Deliver(storage, study, tag, owner, budget);
  (void)storage.ReleaseOutboxLease(study.study_id, tag, owner);
  return report;
}

TrackingSession::TrackingSession(Study& study, TrackingTarget target,
                                 std::unique_ptr<Tracker> reader,
                                 std::unique_ptr<DeliveryLoop> loop)
    : study_(study),
      target_(std::move(target)),
      reader_(std::move(reader)),
      loop_(std::move(loop)) {}

TrackingSession::~TrackingSession() {
  if (!finished_) (void)Finish(std::chrono::milliseconds(0));
}

Result<std::unique_ptr<TrackingSession>> TrackingSession::Start(Study& study,
                                                                const std::string& db_path,
                                                                const std::string& worker_id) {
  const StudySpec& spec = study.spec();
  if (!spec.tracking) return Error::Internal("the study has no tracking section");
  TrackingTarget wanted = TargetFromSpec(spec);
  // Checked before anything is recorded: a bad URI or environment stops here.
  auto reader = MakeMlflowTracker(wanted);
  if (!reader) return reader.error();
  auto target = study.storage().SetTrackingTarget(study.info().study_id, spec.tag, wanted);
  if (!target) return target.error();

  DeliveryLoopOptions options;
  options.open_storage = [db_path]() -> Result<std::unique_ptr<Storage>> {
    return OpenStorage(db_path);
  };
  options.make_tracker = [t = *target]() {
    // A trial's params wait up to a second for its results, so a quick
    // trial's run takes one log-batch request rather than two.
    MlflowTrackerOptions o;
    o.merge_window = std::chrono::seconds(1);
    return MakeMlflowTracker(t, o);
  };
  options.study = study.info();
  options.tag = spec.tag;
  options.owner = worker_id;
  options.server = target->uri;
  auto loop = std::make_unique<DeliveryLoop>(std::move(options));
  if (auto s = loop->Start(); !s) return s.error();
  spdlog::info("tracking: runs go to experiment '{}' at {} (sweep tag under '{}')",
               target->experiment, RedactUrl(target->uri), target->tag_key);
  return std::unique_ptr<TrackingSession>(
      new TrackingSession(study, std::move(*target), std::move(*reader), std::move(loop)));
}

void TrackingSession::Nudge() { loop_->Nudge(); }

bool TrackingSession::reachable() const { return loop_->reachable(); }

Result<std::optional<TrackingRun>> TrackingSession::RunOf(const TrialRecord& trial) {
  return study_.storage().GetTrackingRun(study_.info().study_id, study_.spec().tag, trial.trial_id);
}

void TrackingSession::WaitForDelivery(std::chrono::milliseconds timeout) {
  passes_seen_ = loop_->WaitForPass(passes_seen_, timeout);
}

std::map<std::string, std::string> TrackingSession::EnvFor(
    const std::optional<TrackingRun>& run) const {
  std::map<std::string, std::string> env{{"MLFLOW_TRACKING_URI", target_.uri}};
  if (run) {
    env["MLFLOW_EXPERIMENT_ID"] = run->experiment_id;
    env["MLFLOW_RUN_ID"] = run->run_id;
  }
  return env;
}

Result<RunValues> TrackingSession::ReadValues(const TrackingRun& run) {
  return reader_->ReadValues(run, study_.spec().objectives);
}

Result<DeliveryReport> TrackingSession::Finish(std::chrono::milliseconds flush_for) {
  finished_ = true;
  return loop_->Stop(flush_for);
}

}  // namespace gdsweep
