// The start of one trial on its own thread (KubernetesBackend::Impl::RunTrial
// and its helpers): creating its Job, retried with capped exponential
// back-off while the API does not answer, a create of unknown outcome settled
// by 409 AlreadyExists and adoption, then following its pod's log; and the
// patience with an API that does not answer, after which every followed
// trial ends as interrupted.
#include <spdlog/spdlog.h>

#include <cmath>

#include "backends/kubernetes/backend_state.h"

namespace gdsweep {
namespace {

std::string Seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f s", std::ceil(s));
  return text;
}

}  // namespace

void KubernetesBackend::Impl::RunTrial(TrackedTrial* t) {
  if (t->creating && !CreateTrialJob(*t)) return;
  CreateCompanions(*t);
  FollowLogs(t);
}

void KubernetesBackend::Impl::CreateCompanions(TrackedTrial& t) {
  std::string uid;
  {
    std::lock_guard<std::mutex> lock(mu);
    uid = t.job_uid;
  }
  for (const auto& c : kind->Companions(t.launch, ns, uid)) {
    auto backoff = options.client.retry.initial_backoff;
    while (true) {
      auto made =
          t.log_client->CreateObject(c.collection_path, c.kind + " " + c.name, c.manifest_json);
      std::unique_lock<std::mutex> lock(mu);
      if (made || t.stop_follow || made.error().kind == Error::Kind::kInterrupted) break;
      if (made.error().kind != Error::Kind::kIo) {
        // The Job runs, but its pods cannot find each other: no trial can
        // work this way (RBAC needs 'create' on services).
        if (!fatal) fatal = made.error().Wrap("trial " + std::to_string(t.number));
        events_ready.notify_all();
        break;
      }
      spdlog::debug("trial {}: {}; trying again", t.number, made.error().message);
      changed.wait_for(lock, backoff, [&] { return t.stop_follow.load(); });
      backoff = std::min(backoff * 2, options.client.retry.max_backoff);
    }
  }
}

void KubernetesBackend::Impl::EndUnstarted(TrackedTrial& t, const std::string& reason,
                                           bool cancelled, bool detached) {
  t.creating = false;
  t.logs_done = true;
  if (t.reported || stopping) return;
  t.verdict = TrialVerdict{TrialVerdict::State::kFailed, -1, false, reason};
  BackendEvent ev;
  ev.kind = BackendEvent::Kind::kExited;
  ev.trial_id = t.id;
  ev.exit_code = -1;
  ev.cancelled = cancelled;
  ev.detached = detached;
  ev.reason = reason;
  events.push_back(std::move(ev));
  t.reported = true;
  events_ready.notify_all();
}

bool KubernetesBackend::Impl::CreateTrialJob(TrackedTrial& t) {
  auto backoff = options.client.retry.initial_backoff;
  bool warned = false;
  while (true) {
    auto created = t.log_client->CreateJob(ns, t.manifest);
    std::unique_lock<std::mutex> lock(mu);
    if (created) {
      if (!created->created) {
        if (auto s = CheckJobIdentity(created->job, t.launch, ns, kind->Resource()); !s) {
          EndUnstarted(t, "could not start: " + s.error().message, false, false);
          if (!fatal) fatal = s.error();
          return false;
        }
        spdlog::info(
            "trial {}: Job {} exists already (made before a restart or by a create "
            "whose answer was lost); following it",
            t.number, t.job);
      } else if (warned) {
        spdlog::info("trial {}: Job {} created; the Kubernetes API answers again", t.number, t.job);
      }
      t.creating = false;
      t.job_made = true;
      t.job_uid = created->job.meta.uid;
      t.manifest.clear();
      t.job_gone = deleted_uids.count(created->job.meta.uid) > 0;
      if (!t.job_gone && !jobs.count(t.job)) jobs[t.job] = Observed(created->job);
      UpdatePullStuck(t);
      if (t.cancel_requested && (spec.delete_on_interrupt || t.terminate)) {
        std::vector<std::string> of_job;
        for (const PodInfo* p : PodsOf(t.job)) of_job.push_back(p->meta.name);
        Push(BackendOp{BackendOp::Kind::kCancel, t.id, t.job, of_job, t.cancel_grace});
      } else if (t.cancel_requested && !t.verdict) {
        t.verdict = TrialVerdict{TrialVerdict::State::kFailed, -1, false,
                                 "left running for a later run to re-attach: Job " + t.job};
        t.cancelled = true;
        t.detached = true;
        t.stop_follow = true;
      }
      Evaluate(t);
      return true;
    }
    const Error& e = created.error();
    if (e.kind == Error::Kind::kInterrupted || t.stop_follow || t.cancel_requested) {
      // Cancel(), Shutdown() or the API's patience ran out. A Job the server
      // may have made meanwhile carries this launch's name: a later run
      // re-attaches it (on_interrupt: keep) or deletes it (its trial no
      // longer runs it), so it is never left to no trial.
      const bool keep = t.cancel_requested && !spec.delete_on_interrupt && !t.terminate;
      EndUnstarted(t,
                   keep ? "left for a later run to re-attach: Job " + t.job
                        : "cancelled before its Job " + t.job + " was known to exist",
                   t.cancel_requested, keep);
      return false;
    }
    if (e.kind != Error::Kind::kIo) {  // refused for good: no trial can start
      EndUnstarted(t, "could not start: " + e.message, false, false);
      if (!fatal) fatal = e;
      events_ready.notify_all();
      return false;
    }
    if (!warned) {
      warned = true;
      spdlog::warn(
          "trial {}: creating Job {}: {}; trying again with back-off for up to {} "
          "(kubernetes.api_patience); running trials are left alone",
          t.number, t.job, e.message, Seconds(spec.api_patience_seconds));
    }
    changed.wait_for(lock, backoff, [&] { return t.stop_follow || t.cancel_requested; });
    backoff = std::min(backoff * 2, options.client.retry.max_backoff);
  }
}

void KubernetesBackend::Impl::CheckApiPatience() {
  const double failing = std::chrono::duration<double>(health->FailingFor()).count();
  if (failing <= 0) {
    if (warned_unreachable) {
      spdlog::info("the Kubernetes API at {} answers again", connection.server);
      warned_unreachable = false;
    }
    return;
  }
  if (!warned_unreachable && failing >= 5) {
    warned_unreachable = true;
    spdlog::warn(
        "the Kubernetes API at {} has not answered for {} ({}); waiting up to {} "
        "(kubernetes.api_patience) and leaving the running trials alone",
        connection.server, Seconds(failing), health->last_failure(),
        Seconds(spec.api_patience_seconds));
  }
  if (fatal || failing < spec.api_patience_seconds) return;
  const std::string why = "the Kubernetes API at " + connection.server + " (" +
                          connection.description + ") has not answered for " + Seconds(failing) +
                          ", longer than kubernetes.api_patience (" +
                          Seconds(spec.api_patience_seconds) + "): " + health->last_failure();
  int interrupted = 0;
  for (auto& [id, t] : trials) {
    if (t->reported) continue;
    t->creating = false;
    t->stop_follow = true;
    t->log_client->Abort();
    t->logs_done = true;
    t->verdict = TrialVerdict{TrialVerdict::State::kFailed, -1, false, "interrupted: " + why};
    BackendEvent ev;
    ev.kind = BackendEvent::Kind::kExited;
    ev.trial_id = id;
    ev.exit_code = -1;
    ev.interrupted = true;
    ev.reason = t->verdict->reason;
    events.push_back(std::move(ev));
    t->reported = true;
    ++interrupted;
  }
  fatal = Error::Remote(why + "; " + std::to_string(interrupted) +
                        " running trial(s) were interrupted, to run again; a later gdsweep run "
                        "deletes the Jobs they leave");
  changed.notify_all();
  events_ready.notify_all();
}

}  // namespace gdsweep
