// MlflowTracker: the outbox delivered as MLflow runs (Deliver and the steps of
// one pass). Reading back is run_reader.cc's.
#include "tracking/mlflow_tracker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tracking/outbox_payload.h"
#include "tracking/run_reader.h"
#include "tracking/run_tags.h"

namespace gdsweep {
namespace {

using Clock = std::chrono::steady_clock;
using mlflow::Metric;
using mlflow::Tag;

// Settle delivered intermediate and final reports at least this often (or
// every kSettleEvery messages) rather than once per message.
constexpr auto kSettleInterval = std::chrono::seconds(1);
constexpr size_t kSettleEvery = 100;

int64_t Millis(double seconds) { return std::llround(seconds * 1000.0); }

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Trying again later may help: the pass stops and the message stays pending.
// Anything else is the server refusing the message for good.
bool Transient(const Error& e) {
  return e.kind == Error::Kind::kIo || e.kind == Error::Kind::kInterrupted ||
         e.kind == Error::Kind::kInternal;
}

// Equal, counting NaN equal to NaN (a value is compared with its stored copy).
bool SameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// At most `max_chars` UTF-8 code points of `s`.
std::string CutToChars(const std::string& s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == max_chars) return s.substr(0, i);
  }
  return s;
}

const char* RunStatus(const RunFinishedPayload& p) {
  if (p.interrupted) return "KILLED";
  switch (p.state) {
    case TrialState::kComplete:
      return "FINISHED";
    case TrialState::kFail:
      return "FAILED";
    default:
      return "KILLED";
  }
}

// The metric objective `i` is logged under: its name in the study, else
// "objective_<i>" (a study gdsweep did not create has no names).
std::string MetricName(const StudyInfo& study, size_t i) {
  return i < study.metric_names.size() ? study.metric_names[i] : "objective_" + std::to_string(i);
}

// What the server made of a request: nothing (done) or its error. Storage
// errors travel separately, as the error of the Result around it.
using ServerStatus = std::optional<Error>;

// The state of one Deliver call.
struct Pass {
  Storage& storage;
  const StudyInfo& study;
  const std::string& tag;
  Clock::time_point deadline;
  std::string run_key;
  std::string experiment_id;
  TrackingRun parent;
  OutboxUpdate update;  // done but not yet settled
  Clock::time_point settled_at = Clock::now();
  int64_t delivered = 0;
  // Trials whose run_started was refused before a run existed, and why.
  std::map<int64_t, std::string> runless;
  std::optional<Error> stop;  // why the pass ended early
};

class MlflowTracker final : public Tracker {
 public:
  MlflowTracker(TrackingTarget target, const mlflow::ClientOptions& client,
                const MlflowTrackerOptions& options)
      : target_(std::move(target)),
        client_(client),
        create_client_(WithoutRetries(client)),
        options_(options) {}

  Result<DeliveryReport> Deliver(Storage& storage, const StudyInfo& study, const std::string& tag,
                                 const std::string& owner,
                                 std::chrono::milliseconds budget) override;
  Result<RunValues> ReadValues(const TrackingRun& run,
                               const std::vector<Objective>& objectives) override {
    return ReadRunValues(client_, run, objectives);
  }
  Result<std::vector<RemoteRun>> SearchRuns(const std::string& tag,
                                            const std::vector<Objective>& objectives,
                                            size_t limit) override {
    return SearchSweepRuns(client_, target_, tag, objectives, limit);
  }
  std::string RunUrl(const TrackingRun& run) const override {
    return client_.RunUrl(run.experiment_id, run.run_id);
  }

 private:
  // runs/create is not idempotent: a retry after a lost answer would leave a
  // second run. Creations go through a client that does not retry; the next
  // pass finds the run by its run_key instead.
  static mlflow::ClientOptions WithoutRetries(mlflow::ClientOptions o) {
    o.retry.max_attempts = 1;
    return o;
  }

  Result<ServerStatus> Prepare(Pass& pass);
  Result<std::optional<TrackingRun>> FindByRunKey(const std::string& experiment_id,
                                                  const std::string& run_key);
  Result<ServerStatus> DeliverGroup(Pass& pass, const OutboxMessage* first, size_t n);
  Result<ServerStatus> StartRun(Pass& pass, const OutboxMessage& m);
  Result<ServerStatus> LogIntermediate(Pass& pass, const OutboxMessage* first, size_t n);
  Result<ServerStatus> FinishRun(Pass& pass, const OutboxMessage& m);
  // The trial's run: known, stored, or none (with the reason in `why`).
  Result<std::optional<TrackingRun>> RunOf(Pass& pass, const OutboxMessage& m, std::string& why);
  Status Settle(Pass& pass);
  void Remember(Pass& pass, int64_t trial_id, const TrackingRun& run);

  TrackingTarget target_;
  mlflow::Client client_;
  mlflow::Client create_client_;
  MlflowTrackerOptions options_;
  std::map<std::string, std::string> experiment_ids_;               // experiment name -> id
  std::map<std::pair<int64_t, std::string>, TrackingRun> parents_;  // (study, tag) -> run
  std::map<int64_t, TrackingRun> trial_runs_;                       // trial_id -> run
};

// --- Deliver -----------------------------------------------------------------

Result<DeliveryReport> MlflowTracker::Deliver(Storage& storage, const StudyInfo& study,
                                              const std::string& tag, const std::string& owner,
                                              std::chrono::milliseconds budget) {
  const auto lease_cap = std::chrono::milliseconds(std::llround(options_.lease_seconds * 800));
  Pass pass{storage, study, tag, Clock::now() + std::min(budget, lease_cap)};
  pass.run_key = target_.run_key;
  if (pass.run_key.empty()) {  // a target built from the study file: storage has the key
    auto stored = storage.GetTrackingTarget(study.study_id, tag);
    if (!stored) return stored.error();
    if (!*stored) {
      return Error::NotFound("study '" + study.name + "' tag '" + tag +
                             "' has no tracking target in the database");
    }
    pass.run_key = (*stored)->run_key;
  }

  bool first_claim = true, lease_refused = false;
  while (!pass.stop && Clock::now() < pass.deadline) {
    auto claimed = storage.ClaimOutbox(study.study_id, tag, owner, options_.lease_seconds,
                                       options_.claim_limit);
    if (!claimed) return claimed.error();
    if (claimed->empty()) {
      lease_refused = first_claim;
      break;
    }
    first_claim = false;
    // What leaves the host must be on disk first: after a power loss the
    // server must not hold a run for a trial the database forgot.
    if (auto s = storage.Sync(); !s) return s.error();
    if (pass.experiment_id.empty()) {
      auto ready = Prepare(pass);
      if (!ready) return ready.error();
      if (*ready) {  // no experiment or parent run: nothing can go, nothing is dead
        pass.stop = **ready;
        pass.update.failed.push_back({claimed->front().id, pass.stop->message, false});
        break;
      }
    }
    bool out_of_time = false;
    const std::vector<OutboxMessage>& messages = *claimed;
    for (size_t i = 0; i < messages.size() && !pass.stop;) {
      if (Clock::now() >= pass.deadline) {
        out_of_time = true;
        break;
      }
      // Consecutive intermediate reports of one trial go in one request.
      size_t n = 1;
      while (messages[i].kind == OutboxKind::kIntermediate && i + n < messages.size() &&
             messages[i + n].kind == OutboxKind::kIntermediate &&
             messages[i + n].trial_id == messages[i].trial_id) {
        ++n;
      }
      auto done = DeliverGroup(pass, &messages[i], n);
      if (!done) return done.error();
      i += n;
    }
    if (auto s = Settle(pass); !s) return s.error();
    if (out_of_time || messages.size() < static_cast<size_t>(options_.claim_limit)) break;
  }
  if (auto s = Settle(pass); !s) return s.error();

  auto counts = storage.CountOutbox(study.study_id, tag);
  if (!counts) return counts.error();
  DeliveryReport report;
  report.delivered = pass.delivered;
  report.pending = counts->pending;
  report.dead = counts->dead;
  report.lease_held_elsewhere = lease_refused && counts->pending > 0;
  report.stopped_by = pass.stop;
  return report;
}

// The experiment and the parent run of (study, tag), found or created.
Result<ServerStatus> MlflowTracker::Prepare(Pass& pass) {
  const std::string name = target_.experiment.empty() ? pass.study.name : target_.experiment;
  auto cached = experiment_ids_.find(name);
  if (cached == experiment_ids_.end()) {
    auto id = client_.EnsureExperiment(name, target_.artifact_location);
    if (!id) return ServerStatus(id.error());
    cached = experiment_ids_.emplace(name, *id).first;
  }
  const std::string& experiment_id = cached->second;

  const auto key = std::make_pair(pass.study.study_id, pass.tag);
  auto parent = parents_.find(key);
  if (parent == parents_.end() || parent->second.experiment_id != experiment_id) {
    auto stored = pass.storage.GetTrackingRun(pass.study.study_id, pass.tag, 0);
    if (!stored) return stored.error();
    std::optional<TrackingRun> run;
    if (*stored && (*stored)->experiment_id == experiment_id) run = **stored;
    const std::string run_key = pass.run_key + ":parent:" + pass.tag;
    if (!run) {
      auto found = FindByRunKey(experiment_id, run_key);
      if (!found) return ServerStatus(found.error());
      run = *found;
    }
    if (!run) {
      auto created =
          create_client_.CreateRun(experiment_id, pass.study.name + "/" + pass.tag, NowMillis(),
                                   {{target_.tag_key, pass.tag},
                                    {run_tags::kStudy, pass.study.name},
                                    {run_tags::kRunKey, run_key}});
      if (!created) return ServerStatus(created.error());
      run = TrackingRun{experiment_id, created->run_id};
    }
    if (!*stored || (*stored)->run_id != run->run_id) {
      OutboxUpdate record;
      record.runs.push_back({0, *run});
      if (auto s = pass.storage.SettleOutbox(pass.study.study_id, pass.tag, record); !s) {
        return s.error();
      }
    }
    parent = parents_.insert_or_assign(key, *run).first;
  }
  pass.experiment_id = experiment_id;
  pass.parent = parent->second;
  return ServerStatus();
}

// The oldest active run of the experiment tagged gdsweep.run_key = run_key.
Result<std::optional<TrackingRun>> MlflowTracker::FindByRunKey(const std::string& experiment_id,
                                                               const std::string& run_key) {
  if (!mlflow::FilterStringExpressible(run_key)) return std::optional<TrackingRun>();
  const std::string filter =
      mlflow::FilterKey("tags", run_tags::kRunKey) + " = " + mlflow::FilterString(run_key);
  auto page = client_.SearchRuns({experiment_id}, filter, {"attributes.start_time ASC"}, 10, "");
  if (!page) return page.error();
  if (page->runs.empty()) return std::optional<TrackingRun>();
  return std::optional<TrackingRun>(TrackingRun{experiment_id, page->runs.front().info.run_id});
}

Result<ServerStatus> MlflowTracker::DeliverGroup(Pass& pass, const OutboxMessage* first, size_t n) {
  Result<ServerStatus> outcome = ServerStatus();
  switch (first->kind) {
    case OutboxKind::kRunStarted:
      outcome = StartRun(pass, *first);
      break;
    case OutboxKind::kIntermediate:
      outcome = LogIntermediate(pass, first, n);
      break;
    case OutboxKind::kRunFinished:
      outcome = FinishRun(pass, *first);
      break;
  }
  if (!outcome) return outcome;
  const ServerStatus& error = *outcome;
  for (size_t i = 0; i < n; ++i) {
    if (!error) {
      pass.update.delivered.push_back(first[i].id);
      ++pass.delivered;
    } else {
      pass.update.failed.push_back({first[i].id, error->message, !Transient(*error)});
    }
  }
  if (error && Transient(*error)) pass.stop = *error;
  // The scheduler waits for a trial's run id before launching it.
  const bool now = first->kind == OutboxKind::kRunStarted ||
                   pass.update.delivered.size() + pass.update.failed.size() >= kSettleEvery ||
                   Clock::now() - pass.settled_at >= kSettleInterval;
  if (now) {
    if (auto s = Settle(pass); !s) return s.error();
  }
  return outcome;
}

Status MlflowTracker::Settle(Pass& pass) {
  pass.settled_at = Clock::now();
  if (pass.update.delivered.empty() && pass.update.failed.empty() && pass.update.runs.empty()) {
    return {};
  }
  auto s = pass.storage.SettleOutbox(pass.study.study_id, pass.tag, pass.update);
  pass.update = {};
  return s;
}

void MlflowTracker::Remember(Pass& pass, int64_t trial_id, const TrackingRun& run) {
  trial_runs_[trial_id] = run;
  pass.update.runs.push_back({trial_id, run});
}

Result<std::optional<TrackingRun>> MlflowTracker::RunOf(Pass& pass, const OutboxMessage& m,
                                                        std::string& why) {
  if (auto it = trial_runs_.find(m.trial_id); it != trial_runs_.end()) {
    return std::optional<TrackingRun>(it->second);
  }
  auto stored = pass.storage.GetTrackingRun(pass.study.study_id, pass.tag, m.trial_id);
  if (!stored) return stored.error();
  if (*stored) {
    trial_runs_[m.trial_id] = **stored;
    return *stored;
  }
  auto refused = pass.runless.find(m.trial_id);
  why = "trial " + std::to_string(m.trial_number) + " has no run on the tracking server: " +
        (refused != pass.runless.end()
             ? "its run_started report was refused (" + refused->second + ")"
             : std::string("its run_started report is dead or was never written"));
  return std::optional<TrackingRun>();
}

Result<ServerStatus> MlflowTracker::StartRun(Pass& pass, const OutboxMessage& m) {
  auto p = ParseRunStarted(m.payload);
  if (!p) return ServerStatus(p.error());
  const std::string run_key = pass.run_key + ":" + std::to_string(m.trial_id);

  std::string unused;
  auto run = RunOf(pass, m, unused);
  if (!run) return run.error();
  if (!*run && m.attempts > 1) {  // an earlier delivery may have created it
    auto found = FindByRunKey(pass.experiment_id, run_key);
    if (!found) return ServerStatus(found.error());
    if (*found) Remember(pass, m.trial_id, **found);
    *run = *found;
  }
  if (!*run) {
    std::vector<Tag> tags = {{run_tags::kParentRunId, pass.parent.run_id},
                             {target_.tag_key, pass.tag},
                             {run_tags::kStudy, pass.study.name},
                             {run_tags::kTrialNumber, std::to_string(p->number)},
                             {run_tags::kTrialAttempt, std::to_string(p->attempt)},
                             {run_tags::kRunKey, run_key}};
    if (p->retry_of) tags.push_back({run_tags::kRetryOf, std::to_string(*p->retry_of)});
    auto created = create_client_.CreateRun(
        pass.experiment_id, "trial-" + std::to_string(p->number), Millis(p->start_time), tags);
    if (!created) {
      if (!Transient(created.error())) pass.runless[m.trial_id] = created.error().message;
      return ServerStatus(created.error());
    }
    *run = TrackingRun{pass.experiment_id, created->run_id};
    Remember(pass, m.trial_id, **run);
  }
  if (p->params.empty()) return ServerStatus();
  std::vector<Tag> params;  // the same text on every delivery: params are write-once
  for (const auto& [name, value] : p->params) params.push_back({name, value});
  auto logged = client_.LogBatch((*run)->run_id, {}, params, {});
  if (!logged) return ServerStatus(logged.error());
  return ServerStatus();
}

Result<ServerStatus> MlflowTracker::LogIntermediate(Pass& pass, const OutboxMessage* first,
                                                    size_t n) {
  std::string why;
  auto run = RunOf(pass, *first, why);
  if (!run) return run.error();
  if (!*run) return ServerStatus(Error::NotFound(why));
  std::vector<Metric> metrics;
  const std::string key = MetricName(pass.study, 0);
  for (size_t i = 0; i < n; ++i) {
    auto p = ParseIntermediate(first[i].payload);
    if (!p) return ServerStatus(p.error());
    for (const auto& [step, value] : p->points) {
      metrics.push_back({key, value, Millis(p->time), step});
    }
  }
  if (metrics.empty()) return ServerStatus();
  auto logged = client_.LogBatch((*run)->run_id, metrics, {}, {});
  if (!logged) return ServerStatus(logged.error());
  return ServerStatus();
}

Result<ServerStatus> MlflowTracker::FinishRun(Pass& pass, const OutboxMessage& m) {
  auto p = ParseRunFinished(m.payload);
  if (!p) return ServerStatus(p.error());
  std::string why;
  auto run = RunOf(pass, m, why);
  if (!run) return run.error();
  if (!*run) return ServerStatus(Error::NotFound(why));

  const int64_t end_ms = Millis(p->end_time);
  std::vector<Metric> metrics;
  const std::string first_metric = MetricName(pass.study, 0);
  // With values_from_tracking every value came from the run itself: only the
  // status and the tags are sent.
  if (!target_.values_from_tracking) {
    for (const auto& [step, value] : p->points)
      metrics.push_back({first_metric, value, end_ms, step});
  }
  if (p->state == TrialState::kComplete && !target_.values_from_tracking && !p->values.empty()) {
    // Final values one step past the last intermediate one, so the run's
    // latest value of the metric is the final one; the first objective's not
    // at all when its last intermediate value is the final one already (a
    // trial's last "loss=" line is both). The trial is finished, so this
    // reads the same on every delivery.
    TrialFilter filter;
    filter.number = m.trial_number;
    auto trials = pass.storage.ListTrials(pass.study.study_id, filter);
    if (!trials) return trials.error();
    std::map<int64_t, double> history = p->points;
    for (const auto& t : *trials) {
      if (t.trial_id == m.trial_id) history.insert(t.intermediate.begin(), t.intermediate.end());
    }
    const int64_t step = history.empty() ? 0 : history.rbegin()->first + 1;
    const bool first_logged = !history.empty() && SameValue(history.rbegin()->second, p->values[0]);
    for (size_t i = first_logged ? 1 : 0; i < p->values.size(); ++i) {
      metrics.push_back({MetricName(pass.study, i), p->values[i], end_ms, step});
    }
  }
  std::vector<Tag> tags = {{run_tags::kState, ToString(p->state)}};
  if (!p->reason.empty())
    tags.push_back({run_tags::kFailureReason, CutToChars(p->reason, options_.max_reason_chars)});
  if (p->interrupted) tags.push_back({run_tags::kInterrupted, "true"});
  if (p->state == TrialState::kPruned) {
    tags.push_back({run_tags::kPruned, "true"});
    if (p->pruned_step) tags.push_back({run_tags::kPrunedStep, std::to_string(*p->pruned_step)});
  }
  if (auto logged = client_.LogBatch((*run)->run_id, metrics, {}, tags); !logged) {
    return ServerStatus(logged.error());
  }
  if (auto updated = client_.UpdateRun((*run)->run_id, RunStatus(*p), end_ms); !updated) {
    return ServerStatus(updated.error());
  }
  return ServerStatus();
}

Status CheckTarget(const TrackingTarget& target) {
  if (target.tag_key.empty()) return Error::Invalid("tracking.tag_key is empty");
  for (const char* own : run_tags::kOwn) {
    if (target.tag_key == own) {
      return Error::Invalid("tracking.tag_key '" + target.tag_key +
                            "' is a tag gdsweep writes itself; choose another key");
    }
  }
  if (target.tag_key.rfind("mlflow.", 0) == 0) {
    return Error::Invalid("tracking.tag_key '" + target.tag_key +
                          "' is in MLflow's reserved 'mlflow.' namespace; choose another key");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Tracker>> MakeMlflowTracker(const TrackingTarget& target) {
  auto client = mlflow::OptionsFromEnvironment(target.uri);
  if (!client) return client.error();
  client->retry.max_attempts = 3;
  client->retry.initial_backoff = std::chrono::milliseconds(200);
  client->retry.max_backoff = std::chrono::milliseconds(2000);
  return MakeMlflowTracker(target, *client);
}

Result<std::unique_ptr<Tracker>> MakeMlflowTracker(const TrackingTarget& target,
                                                   const mlflow::ClientOptions& client,
                                                   const MlflowTrackerOptions& options) {
  if (auto ok = CheckTarget(target); !ok) return ok.error();
  if (auto ok = mlflow::CheckTrackingUri(client.tracking_uri); !ok) return ok.error();
  return std::unique_ptr<Tracker>(std::make_unique<MlflowTracker>(target, client, options));
}

}  // namespace gdsweep
