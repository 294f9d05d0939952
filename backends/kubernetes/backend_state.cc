// KubernetesBackend::Impl's state machine: the caches the two watches keep
// (Jobs and pods by name), judging each followed trial as they change,
// queueing its kExited event once its logs are read, and the background
// thread that makes the API calls Wait() must not wait for (deleting
// released, stopped and cancelled Jobs).
#include "backends/kubernetes/backend_state.h"

#include <spdlog/spdlog.h>

namespace gdsweep {
namespace {

bool Ended(const JobInfo& job) { return WorkloadEnded(job); }

}  // namespace

std::vector<const PodInfo*> KubernetesBackend::Impl::PodsOf(const std::string& job) const {
  std::vector<const PodInfo*> out;
  auto it = pods_by_job.find(job);
  if (it == pods_by_job.end()) return out;
  for (const auto& name : it->second) {
    auto p = pods.find(name);
    if (p != pods.end()) out.push_back(&p->second);
  }
  return out;
}

void KubernetesBackend::Impl::PutPod(const PodInfo& seen) {
  PodInfo pod = seen;
  pod.job_name = kind->ResourceOfPod(seen);
  auto old = pods.find(pod.meta.name);
  if (old != pods.end() && old->second.job_name != pod.job_name) {
    pods_by_job[old->second.job_name].erase(pod.meta.name);
  }
  pods[pod.meta.name] = pod;
  if (!pod.job_name.empty()) pods_by_job[pod.job_name].insert(pod.meta.name);
}

void KubernetesBackend::Impl::ErasePod(const std::string& name) {
  auto old = pods.find(name);
  if (old == pods.end()) return;
  auto by = pods_by_job.find(old->second.job_name);
  if (by != pods_by_job.end()) {
    by->second.erase(name);
    if (by->second.empty()) pods_by_job.erase(by);
  }
  pods.erase(old);
}

void KubernetesBackend::Impl::Push(BackendOp op) {
  ops.push_back(std::move(op));
  ops_ready.notify_one();
}

void KubernetesBackend::Impl::UpdatePullStuck(TrackedTrial& t) {
  const PodInfo* newest = NewestPod(PodsOf(t.job));
  if (newest && ImagePullProblem(*newest, container)) {
    if (!t.pull_stuck_since) t.pull_stuck_since = Clock::now();
  } else {
    t.pull_stuck_since.reset();
  }
}

void KubernetesBackend::Impl::Evaluate(TrackedTrial& t) {
  if (t.reported || stopping || t.creating) return;  // CreateTrialJob ends an unmade one
  auto job = jobs.find(t.job);
  const bool job_known = job != jobs.end();
  // Judge while undecided, and refine a verdict from the Job's end while its
  // pods' states (the exit code, OOMKilled, ...) come in.
  if (!t.verdict || (t.verdict_from_job && job_known)) {
    if (!t.verdict && t.cancel_requested && t.job_gone) return;  // our delete: kCancel decides
    VerdictContext context;
    context.container = container;
    context.image_pull_timeout_seconds = spec.image_pull_timeout_seconds;
    context.job_deleted = t.job_gone;
    context.resource_kind = kind->Resource().kind;
    if (kind->MultiPod()) {
      context.replica_of = [this](const PodInfo& p) { return kind->ReplicaOf(p); };
    }
    if (t.pull_stuck_since) {
      context.pull_stuck_seconds =
          std::chrono::duration<double>(Clock::now() - *t.pull_stuck_since).count();
    }
    TrialVerdict v = JudgeTrial(job_known ? &job->second : nullptr, PodsOf(t.job), context);
    if (v.state != TrialVerdict::State::kRunning) {
      const bool first = !t.verdict;
      t.verdict = v;
      t.verdict_from_job = job_known && Ended(job->second);
      if (first && !t.verdict_from_job && !t.job_gone) {
        // Ended without the Job knowing (an image that never pulls, a failed
        // replica while the others run on): stop it.
        t.deleted_by_us = true;
        if (v.state == TrialVerdict::State::kFailed && kind->MultiPod() && !t.logs_done) {
          t.stop_after_logs = true;  // the follower stops it once the logs are saved
        } else {
          Push(BackendOp{BackendOp::Kind::kStop, t.id, t.job, {}, {}});
        }
      }
      if (first && v.state == TrialVerdict::State::kFailed && kind->MultiPod()) {
        // The other replicas may run on: stop waiting for their logs to end.
        t.cut_follow = true;
        t.log_client->Abort();
      }
      if (first) changed.notify_all();
    }
  }
  if (!t.verdict) return;
  if (!t.logs_done) return;
  BackendEvent ev;
  ev.kind = BackendEvent::Kind::kExited;
  ev.trial_id = t.id;
  ev.exit_code = t.verdict->state == TrialVerdict::State::kSucceeded ? 0 : t.verdict->exit_code;
  ev.timed_out = t.verdict->timed_out;
  ev.cancelled = t.cancelled;
  ev.detached = t.detached;
  ev.reason = t.verdict->reason;
  events.push_back(std::move(ev));
  t.reported = true;  // Wait() queues its kFinish once it has handed the exit out
  events_ready.notify_all();
}

void KubernetesBackend::Impl::OnJobsSync(const std::vector<KubeObject>& items) {
  std::lock_guard<std::mutex> lock(mu);
  std::map<std::string, JobInfo> now;
  for (const auto& o : items) now[o.job.meta.name] = Observed(o.job);
  for (auto& [id, t] : trials) {
    if (!t->reported && !t->creating && !now.count(t->job) && !t->job_gone) {
      Push(BackendOp{BackendOp::Kind::kConfirmGone, id, t->job, {}, {}});
    }
  }
  // A Job the list lacks may have been created after it was taken: keep it
  // until a GET says it is gone.
  for (auto& [name, job] : jobs) {
    if (!now.count(name) && trial_by_job.count(name)) now[name] = job;
  }
  jobs = std::move(now);
  for (auto& [id, t] : trials) Evaluate(*t);
}

void KubernetesBackend::Impl::OnJobEvent(WatchEvent::Type type, const KubeObject& object) {
  std::lock_guard<std::mutex> lock(mu);
  const std::string& name = object.job.meta.name;
  auto tracked = trial_by_job.find(name);
  if (type == WatchEvent::Type::kDeleted) {
    jobs.erase(name);
    if (deleted_uids.size() > 100000) deleted_uids.clear();
    deleted_uids.insert(object.job.meta.uid);
    if (tracked != trial_by_job.end()) trials[tracked->second]->job_gone = true;
  } else {
    jobs[name] = Observed(object.job);
  }
  if (tracked != trial_by_job.end()) Evaluate(*trials[tracked->second]);
}

void KubernetesBackend::Impl::OnPodsSync(const std::vector<KubeObject>& items) {
  std::lock_guard<std::mutex> lock(mu);
  pods.clear();
  pods_by_job.clear();
  for (const auto& o : items) PutPod(o.pod);
  for (auto& [id, t] : trials) {
    UpdatePullStuck(*t);
    Evaluate(*t);
  }
  changed.notify_all();
}

void KubernetesBackend::Impl::OnPodEvent(WatchEvent::Type type, const KubeObject& object) {
  std::lock_guard<std::mutex> lock(mu);
  if (type == WatchEvent::Type::kDeleted) {
    ErasePod(object.pod.meta.name);
  } else {
    PutPod(object.pod);
  }
  auto tracked = trial_by_job.find(kind->ResourceOfPod(object.pod));
  if (tracked != trial_by_job.end()) {
    TrackedTrial& t = *trials[tracked->second];
    UpdatePullStuck(t);
    Evaluate(t);
  }
  changed.notify_all();
}

void KubernetesBackend::Impl::OnFatal(const Error& error) {
  std::lock_guard<std::mutex> lock(mu);
  if (!fatal) fatal = error;
  events_ready.notify_all();
}

void KubernetesBackend::Impl::OpsLoop() {
  while (true) {
    BackendOp op;
    {
      std::unique_lock<std::mutex> lock(mu);
      ops_ready.wait(lock, [&] { return !ops.empty() || ops_stop; });
      if (ops.empty()) return;
      op = std::move(ops.front());
      ops.pop_front();
    }
    RunOp(op);
  }
}

void KubernetesBackend::Impl::RunOp(const BackendOp& op) {
  switch (op.kind) {
    case BackendOp::Kind::kStop:
      if (auto s = ops_client->DeleteJob(ns, op.job); !s) {
        spdlog::warn("could not delete Job {}: {}", op.job, s.error().message);
      }
      return;
    case BackendOp::Kind::kCancel: {
      std::string problem;
      if (auto s = ops_client->DeleteJob(ns, op.job); !s) problem = s.error().message;
      const auto grace = std::chrono::duration_cast<std::chrono::seconds>(op.grace).count();
      for (const auto& pod : op.pods) {
        if (auto s = ops_client->DeletePod(ns, pod, grace); !s && problem.empty()) {
          problem = s.error().message;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      auto it = trials.find(op.trial_id);
      if (it == trials.end() || it->second->reported) return;
      TrackedTrial& t = *it->second;
      if (!t.verdict) {
        t.verdict = TrialVerdict{TrialVerdict::State::kFailed, -1, false,
                                 problem.empty()
                                     ? "cancelled: Job " + t.job + " deleted"
                                     : "cancelled; deleting Job " + t.job + " failed: " + problem};
        t.cancelled = true;
        t.deleted_by_us = problem.empty();
      } else if (t.verdict_from_job) {
        t.verdict_from_job = false;  // it ended on its own first: keep that verdict
      }
      t.stop_follow = true;
      t.log_client->Abort();
      changed.notify_all();
      Evaluate(t);
      return;
    }
    case BackendOp::Kind::kConfirmGone: {
      auto job = ops_client->GetJob(ns, op.job);
      if (!job || *job) return;
      std::lock_guard<std::mutex> lock(mu);
      auto it = trials.find(op.trial_id);
      if (it == trials.end()) return;
      jobs.erase(op.job);
      it->second->job_gone = true;
      Evaluate(*it->second);
      return;
    }
    case BackendOp::Kind::kFinish: {
      bool remove = false;
      TrackedTrial* t = nullptr;
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = trials.find(op.trial_id);
        if (it == trials.end()) return;
        t = it->second.get();
        remove = spec.delete_finished && t->job_made && !t->detached && !t->job_gone &&
                 !t->deleted_by_us;
      }
      if (remove) {
        if (auto s = ops_client->DeleteJob(ns, op.job); !s) {
          spdlog::warn("could not delete the finished Job {}: {}", op.job, s.error().message);
        }
      }
      if (t->follower.joinable()) t->follower.join();
      std::lock_guard<std::mutex> lock(mu);
      trial_by_job.erase(op.job);
      trials.erase(op.trial_id);
      return;
    }
  }
}

void KubernetesBackend::Impl::Shutdown() {
  if (job_informer) job_informer->Stop();
  if (pod_informer) pod_informer->Stop();
  {
    std::lock_guard<std::mutex> lock(mu);
    // Nothing is judged or reported from now on: a trial whose exit Wait()
    // has not handed out keeps its Job, for a later run to re-attach.
    stopping = true;
    for (auto& [id, t] : trials) {
      t->stop_follow = true;
      t->log_client->Abort();
    }
    ops_stop = true;
    changed.notify_all();
    ops_ready.notify_all();
  }
  if (ops_thread.joinable()) ops_thread.join();  // finishes the queued deletions first
  std::map<int64_t, std::unique_ptr<TrackedTrial>> left;
  {
    std::lock_guard<std::mutex> lock(mu);
    left.swap(trials);
  }
  for (auto& [id, t] : left) {
    if (t->follower.joinable()) t->follower.join();
  }
}

}  // namespace gdsweep
