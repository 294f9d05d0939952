// MlflowTracker: the outbox delivered as MLflow runs (Deliver: claim, gather
// by trial, send on the ClientPool, settle). What one trial's messages become
// is trial_delivery.cc's; reading back is run_reader.cc's.
#include "tracking/mlflow_tracker.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tracking/client_pool.h"
#include "tracking/run_reader.h"
#include "tracking/run_tags.h"
#include "tracking/trial_delivery.h"

namespace gdsweep {
namespace {

using Clock = std::chrono::steady_clock;

// Settle delivered intermediate and final reports at least this often rather
// than once per message; a new run is settled at once.
constexpr auto kSettleInterval = std::chrono::milliseconds(200);

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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
  int64_t deferred = 0;
  std::optional<Error> stop;  // why the pass ended early
};

class MlflowTracker final : public Tracker {
 public:
  MlflowTracker(TrackingTarget target, const mlflow::ClientOptions& client,
                const MlflowTrackerOptions& options)
      : target_(std::move(target)),
        client_options_(client),
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
  Result<std::vector<TrialWork>> Gather(Pass& pass, const std::vector<OutboxMessage>& messages);
  Status SendAll(Pass& pass, std::vector<TrialWork>& works);
  Status Settle(Pass& pass);

  TrackingTarget target_;
  mlflow::ClientOptions client_options_;
  mlflow::Client client_;
  mlflow::Client create_client_;
  MlflowTrackerOptions options_;
  std::unique_ptr<ClientPool> pool_;                                // made on first use
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
    auto works = Gather(pass, *claimed);
    if (!works) return works.error();
    if (auto s = SendAll(pass, *works); !s) return s.error();
    if (auto s = Settle(pass); !s) return s.error();
    if (Clock::now() >= pass.deadline ||
        claimed->size() < static_cast<size_t>(options_.claim_limit)) {
      break;
    }
  }
  if (auto s = Settle(pass); !s) return s.error();

  auto counts = storage.CountOutbox(study.study_id, tag);
  if (!counts) return counts.error();
  DeliveryReport report;
  report.delivered = pass.delivered;
  report.pending = counts->pending;
  report.dead = counts->dead;
  report.deferred = std::min(pass.deferred, counts->pending);
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
      auto found = FindRunByKey(client_, experiment_id, run_key);
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

// The claimed messages by trial (in the order of each trial's first), with
// what storage knows of each trial: its run, its stored intermediate values.
Result<std::vector<TrialWork>> MlflowTracker::Gather(Pass& pass,
                                                     const std::vector<OutboxMessage>& messages) {
  std::vector<TrialWork> works;
  std::map<int64_t, size_t> index;
  for (const OutboxMessage& m : messages) {
    auto [it, fresh] = index.emplace(m.trial_id, works.size());
    if (fresh) {
      works.emplace_back();
      works.back().trial_id = m.trial_id;
      works.back().trial_number = m.trial_number;
    }
    works[it->second].messages.push_back(m);
  }
  for (TrialWork& w : works) {
    if (auto it = trial_runs_.find(w.trial_id); it != trial_runs_.end()) {
      w.run = it->second;
    } else {
      auto stored = pass.storage.GetTrackingRun(pass.study.study_id, pass.tag, w.trial_id);
      if (!stored) return stored.error();
      if (*stored) trial_runs_[w.trial_id] = **stored;
      w.run = *stored;
    }
    const bool finishes =
        std::any_of(w.messages.begin(), w.messages.end(),
                    [](const OutboxMessage& m) { return m.kind == OutboxKind::kRunFinished; });
    if (finishes && !target_.values_from_tracking) {
      // The trial is finished, so this reads the same on every delivery.
      TrialFilter filter;
      filter.number = w.trial_number;
      auto trials = pass.storage.ListTrials(pass.study.study_id, filter);
      if (!trials) return trials.error();
      for (const auto& t : *trials) {
        if (t.trial_id == w.trial_id) w.stored_history = t.intermediate;
      }
    }
  }
  return works;
}

// Every trial's messages on the pool at once; new runs are recorded as they
// come (the scheduler waits for them), the rest settled now and then. Waits
// for every trial before returning, also after a storage error.
Status MlflowTracker::SendAll(Pass& pass, std::vector<TrialWork>& works) {
  if (!pool_) pool_ = std::make_unique<ClientPool>(client_options_, options_.connections);
  PassContext ctx;
  ctx.target = &target_;
  ctx.study = &pass.study;
  ctx.tag = pass.tag;
  ctx.run_key = pass.run_key;
  ctx.experiment_id = pass.experiment_id;
  ctx.parent = pass.parent;
  ctx.max_reason_chars = options_.max_reason_chars;
  ctx.merge_window = options_.merge_window;
  ctx.deadline = pass.deadline;

  struct Shared {
    std::mutex mu;
    std::condition_variable changed;
    std::vector<std::pair<int64_t, TrackingRun>> runs;  // new, not yet recorded
    std::vector<TrialDelivery> done;
    size_t left = 0;
    std::atomic<bool> stop{false};
  } shared;
  shared.left = works.size();
  for (const TrialWork& w : works) {
    pool_->Submit([&shared, &ctx, &w](ClientPool::Clients& clients) {
      auto on_run = [&](const TrackingRun& run) {
        {
          std::lock_guard<std::mutex> lock(shared.mu);
          shared.runs.emplace_back(w.trial_id, run);
        }
        shared.changed.notify_one();
      };
      TrialDelivery d = DeliverTrial(ctx, w, clients, shared.stop, on_run);
      if (d.stop) shared.stop = true;
      // Notified under the lock: once `left` is 0 the pass may return and
      // `shared` is gone.
      std::lock_guard<std::mutex> lock(shared.mu);
      shared.done.push_back(std::move(d));
      --shared.left;
      shared.changed.notify_one();
    });
  }

  Status settled;  // the first storage error ends settling; the trials still finish
  for (bool all_done = false; !all_done;) {
    std::vector<std::pair<int64_t, TrackingRun>> runs;
    std::vector<TrialDelivery> done;
    {
      std::unique_lock<std::mutex> lock(shared.mu);
      shared.changed.wait(
          lock, [&] { return shared.left == 0 || !shared.runs.empty() || !shared.done.empty(); });
      runs.swap(shared.runs);
      done.swap(shared.done);
      all_done = shared.left == 0;
    }
    for (const auto& [trial_id, run] : runs) {
      trial_runs_[trial_id] = run;
      pass.update.runs.emplace_back(trial_id, run);
    }
    for (TrialDelivery& d : done) {
      pass.delivered += static_cast<int64_t>(d.delivered.size());
      pass.deferred += d.deferred;
      pass.update.delivered.insert(pass.update.delivered.end(), d.delivered.begin(),
                                   d.delivered.end());
      pass.update.failed.insert(pass.update.failed.end(), d.failed.begin(), d.failed.end());
      if (d.stop && !pass.stop) pass.stop = d.stop;
    }
    if (settled && (!runs.empty() || Clock::now() - pass.settled_at >= kSettleInterval)) {
      settled = Settle(pass);
    }
  }
  return settled;
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

Result<std::unique_ptr<Tracker>> MakeMlflowTracker(const TrackingTarget& target,
                                                   const MlflowTrackerOptions& options) {
  auto client = mlflow::OptionsFromEnvironment(target.uri);
  if (!client) return client.error();
  client->retry.max_attempts = 3;
  client->retry.initial_backoff = std::chrono::milliseconds(200);
  client->retry.max_backoff = std::chrono::milliseconds(2000);
  return MakeMlflowTracker(target, *client, options);
}

Result<std::unique_ptr<Tracker>> MakeMlflowTracker(const TrackingTarget& target,
                                                   const mlflow::ClientOptions& client,
                                                   const MlflowTrackerOptions& options) {
  if (auto ok = CheckTarget(target); !ok) return ok.error();
  if (auto ok = mlflow::CheckTrackingUri(client.tracking_uri); !ok) return ok.error();
  return std::unique_ptr<Tracker>(std::make_unique<MlflowTracker>(target, client, options));
}

}  // namespace gdsweep
