// The log follower of one trial (KubernetesBackend::Impl::FollowLogs and its
// helpers): reads each pod of the trial's Job in turn, as its container
// starts, to the end of its log, writing <log_dir>/stdout.log and queueing
// one kOutput event per line; when the Job has ended and every pod is read
// it marks the trial's logs done, which lets its kExited event go out. A
// multi-pod trial's events come from the pods of its metrics replica only;
// every replica's log is kept as replica-<replica>.log.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>

#include "backends/kubernetes/backend_state.h"
#include "backends/kubernetes/pod_log.h"

namespace gdsweep {
namespace {

bool Started(const PodInfo& pod, const std::string& container) {
  if (pod.phase == "Succeeded" || pod.phase == "Failed") return true;
  const ContainerState* c = pod.Container(container);
  return c && (c->phase == ContainerState::Phase::kRunning ||
               c->phase == ContainerState::Phase::kTerminated);
}

bool Terminated(const PodInfo& pod, const std::string& container) {
  if (pod.phase == "Succeeded" || pod.phase == "Failed") return true;
  const ContainerState* c = pod.Container(container);
  return c && c->phase == ContainerState::Phase::kTerminated;
}

bool JobEnded(const JobInfo& job) { return WorkloadEnded(job); }

}  // namespace

std::string KubernetesBackend::Impl::NextPodToRead(const TrackedTrial& t) const {
  const PodInfo* next = nullptr;
  for (const PodInfo* p : PodsOf(t.job)) {
    if (t.pods_read.count(p->meta.name) || !Started(*p, container)) continue;
    if (kind->MultiPod() && kind->ReplicaOf(*p) != kind->MetricsReplica()) continue;
    if (!next || p->creation_timestamp < next->creation_timestamp) next = p;
  }
  return next ? next->meta.name : "";
}

void KubernetesBackend::Impl::ListPodsOf(TrackedTrial& t) {
  auto list = t.log_client->List(KubeKind::kPod, ns, kind->PodSelector(t.job), 0, "");
  if (!list) {
    spdlog::debug("listing the pods of Job {}: {}", t.job, list.error().message);
    return;
  }
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& o : list->items) PutPod(o.pod);
}

void KubernetesBackend::Impl::SaveReplicaLogs(
    TrackedTrial& t, const std::vector<std::pair<std::string, std::string>>& others) {
  std::set<std::string> begun;
  for (const auto& [pod, replica] : others) {
    const auto path = std::filesystem::path(t.log_dir) / ("replica-" + replica + ".log");
    std::ofstream out(
        path, std::ios::binary | (begun.insert(replica).second ? std::ios::trunc : std::ios::app));
    auto end = t.log_client->StreamLog(ns, pod, container, false, [&](std::string_view data) {
      out.write(data.data(), static_cast<std::streamsize>(data.size()));
    });
    if (!end || end->status != 200) {
      spdlog::debug("trial {}: the log of replica {} (pod {}) could not be read: {}", t.number,
                    replica, pod, end ? std::to_string(end->status) : end.error().message);
    }
  }
}

void KubernetesBackend::Impl::Deliver(TrackedTrial& t, std::vector<std::string>& lines) {
  if (lines.empty()) return;
  std::lock_guard<std::mutex> lock(mu);
  for (auto& line : lines) {
    BackendEvent ev;
    ev.kind = BackendEvent::Kind::kOutput;
    ev.trial_id = t.id;
    ev.line = std::move(line);
    events.push_back(std::move(ev));
  }
  lines.clear();
  events_ready.notify_all();
}

void KubernetesBackend::Impl::FollowLogs(TrackedTrial* t) {
  std::ofstream log;
  std::ofstream replica_log;  // a multi-pod trial's metrics replica, as the others
  if (!t->log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(t->log_dir, ec);
    // From the start: a re-attached trial's log is read again in full.
    log.open(std::filesystem::path(t->log_dir) / "stdout.log", std::ios::binary | std::ios::trunc);
    if (kind->MultiPod()) {
      replica_log.open(
          std::filesystem::path(t->log_dir) / ("replica-" + kind->MetricsReplica() + ".log"),
          std::ios::binary | std::ios::trunc);
    }
  }
  bool replicas_saved = !kind->MultiPod() || t->log_dir.empty();
  std::map<std::string, size_t> offsets;
  std::map<std::string, int> not_started;
  std::string framed_pod;
  LineFramer framer(options.max_line_bytes);
  std::vector<std::string> lines;
  auto backoff = std::chrono::milliseconds(200);
  std::optional<Clock::time_point> settle_by;
  bool listed = false;
  bool renewed = false;  // log_client replaced after the cut

  while (true) {
    std::string pod;
    bool list_now = false;
    std::vector<std::pair<std::string, std::string>> others;  // pod, replica
    {
      std::unique_lock<std::mutex> lock(mu);
      if (t->cut_follow && !renewed && !t->stop_follow) {
        // Evaluate() aborted the client to end a follow that could last as
        // long as the replicas run; the logs left are read with a new one.
        t->log_client = NewClient();
        renewed = true;
      }
      while (!t->stop_follow) {
        pod = t->cut_follow ? "" : NextPodToRead(*t);
        if (!pod.empty()) break;
        if (!t->verdict) {
          changed.wait(lock);
          continue;
        }
        // The trial has ended. If its Job ended, wait until the pod watch
        // (which may be behind the Job watch) shows every pod stopped, for
        // their logs and exit codes; when it is late, ask for them directly.
        auto job = jobs.find(t->job);
        if (t->cancel_requested || job == jobs.end() || !JobEnded(job->second) || listed) break;
        // A multi-pod trial with no pod known is not settled: a JobSet's or
        // custom resource's status counts no pods, and one that ended before
        // gdsweep met it (adopted, re-attached) has pods the watch may not
        // have shown yet. (A one-pod Job counts its pods.)
        const auto of_job = PodsOf(t->job);
        bool settled =
            (!kind->MultiPod() || !of_job.empty()) &&
            of_job.size() >= static_cast<size_t>(job->second.succeeded + job->second.failed);
        for (const PodInfo* p : of_job) settled = settled && Terminated(*p, container);
        if (settled) break;
        if (!settle_by) settle_by = Clock::now() + options.pod_report_wait;
        if (Clock::now() < *settle_by) {
          changed.wait_until(lock, *settle_by);
          continue;
        }
        list_now = true;
        break;
      }
      if (!list_now && pod.empty() && !replicas_saved && !t->stop_follow) {
        if (t->cut_follow && !renewed) {
          // Cut while this loop waited for a verdict, not while it followed:
          // the aborted client cannot read the logs left.
          t->log_client = NewClient();
          renewed = true;
        }
        std::vector<const PodInfo*> rest;
        for (const PodInfo* p : PodsOf(t->job)) {
          // After a cut, the metrics replica's log is saved whole too.
          if (t->cut_follow || kind->ReplicaOf(*p) != kind->MetricsReplica()) rest.push_back(p);
        }
        std::sort(rest.begin(), rest.end(), [](const PodInfo* a, const PodInfo* b) {
          return a->creation_timestamp < b->creation_timestamp;
        });
        for (const PodInfo* p : rest) others.emplace_back(p->meta.name, kind->ReplicaOf(*p));
        replicas_saved = true;
      } else if (!list_now && pod.empty()) {
        t->logs_done = true;
        if (std::exchange(t->stop_after_logs, false)) {
          Push(BackendOp{BackendOp::Kind::kStop, t->id, t->job, {}, {}});
        }
        Evaluate(*t);
        return;
      }
    }
    if (list_now) {
      ListPodsOf(*t);
      listed = true;
      continue;
    }
    if (pod.empty()) {
      if (renewed) replica_log.close();  // SaveReplicaLogs writes it whole
      SaveReplicaLogs(*t, others);
      continue;
    }

    if (pod != framed_pod) {
      framer = LineFramer(options.max_line_bytes);
      framed_pod = pod;
    }
    std::string error;
    const PodLogEnd end = FollowPodLog(
        *t->log_client, ns, pod, container, offsets[pod],
        [&](std::string_view data) {
          if (log.is_open()) log.write(data.data(), static_cast<std::streamsize>(data.size()));
          if (replica_log.is_open()) {
            replica_log.write(data.data(), static_cast<std::streamsize>(data.size()));
          }
          framer.Feed(data, lines);
          Deliver(*t, lines);
        },
        &error);
    if (log.is_open()) log.flush();
    if (replica_log.is_open()) replica_log.flush();
    std::unique_lock<std::mutex> lock(mu);
    if (end == PodLogEnd::kComplete) {
      // A follow ends when the container does, or when a server or proxy
      // closes a long stream. The pod watch says which (it may lag a little);
      // while the container still runs, follow on from where it stopped.
      auto ended = [&] {
        auto p = pods.find(pod);
        return p == pods.end() || Terminated(p->second, container) || t->stop_follow;
      };
      if (!changed.wait_for(lock, std::chrono::milliseconds(2000), ended)) continue;
    }
    switch (end) {
      case PodLogEnd::kComplete:
      case PodLogEnd::kGone:
        framer.Finish(lines);
        lock.unlock();
        Deliver(*t, lines);
        lock.lock();
        t->pods_read.insert(pod);
        backoff = std::chrono::milliseconds(200);
        break;
      case PodLogEnd::kNotStarted: {
        auto p = pods.find(pod);
        if (p == pods.end() || (Terminated(p->second, container) && ++not_started[pod] >= 3)) {
          t->pods_read.insert(pod);  // it never ran, or is gone: no log to read
        } else {
          changed.wait_for(lock, std::chrono::milliseconds(500));
        }
        break;
      }
      case PodLogEnd::kBroken:
        spdlog::debug("log of pod {} broke: {}; reading on", pod, error);
        changed.wait_for(lock, backoff, [&] { return t->stop_follow.load(); });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        break;
      case PodLogEnd::kAborted:
        break;  // stop_follow or cut_follow is set
      case PodLogEnd::kRefused:
        if (!fatal) {
          fatal = Error::Remote("cannot read the log of pod " + pod + ": " + error +
                                " (gdsweep needs 'get' on pods/log)");
        }
        events_ready.notify_all();
        t->pods_read.insert(pod);
        break;
    }
  }
}

}  // namespace gdsweep
