#include "backends/kubernetes/job_status.h"

#include <cmath>
#include <tuple>

namespace gdsweep {
namespace {

const JobCondition* TrueCondition(const JobInfo& job, const std::string& type) {
  for (const auto& c : job.conditions) {
    if (c.type == type && c.status == "True") return &c;
  }
  return nullptr;
}

std::string WithMessage(const std::string& reason, const std::string& message) {
  if (message.empty()) return reason;
  if (reason.empty()) return message;
  return reason + ": " + message;
}

// Why the newest pod's container failed, in words; empty when it says nothing.
std::string PodFailure(const PodInfo& pod, const std::string& container, int* exit_code) {
  const ContainerState* c = pod.Container(container);
  const bool terminated = c && c->phase == ContainerState::Phase::kTerminated;
  if (terminated) *exit_code = c->exit_code;
  if (pod.reason == "Evicted") {
    if (!terminated) *exit_code = 137;
    return WithMessage("Evicted", pod.message);
  }
  if (!terminated) {
    if (!pod.reason.empty()) return WithMessage(pod.reason, pod.message);
    return "";
  }
  const std::string code = "exit code " + std::to_string(c->exit_code);
  if (c->reason == "OOMKilled") {
    return "OOMKilled: the container exceeded its memory limit (" + code + ")";
  }
  if (c->reason == "StartError" || c->reason == "ContainerCannotRun") {
    return WithMessage(c->reason, c->message) + " (" + code + ")";
  }
  if (c->exit_code != 0) {
    std::string out = "exited with code " + std::to_string(c->exit_code);
    if (!c->reason.empty() && c->reason != "Error") out += " (" + c->reason + ")";
    return out;
  }
  return "";
}

// The pod whose failure ended a multi-pod trial: one that failed on its own
// (not deleted, as the Job deletes the others when one fails) before one
// that was stopped, then the earliest to finish; its reason names it.
const PodInfo* FirstFailed(const std::vector<const PodInfo*>& pods, const std::string& container,
                           std::string* reason, int* exit_code) {
  const PodInfo* first = nullptr;
  std::string first_reason;
  int first_code = -1;
  auto key = [&](const PodInfo* p) {
    const ContainerState* c = p->Container(container);
    return std::make_tuple(p->meta.deleting, c ? c->finished_at : std::string(), p->meta.name);
  };
  for (const PodInfo* p : pods) {
    int code = -1;
    std::string why = PodFailure(*p, container, &code);
    if (why.empty() && p->phase == "Failed") why = "failed";
    if (why.empty()) continue;
    if (!first || key(p) < key(first)) {
      first = p;
      first_reason = why;
      first_code = code;
    }
  }
  if (first) {
    *reason = first_reason;
    *exit_code = first_code;
  }
  return first;
}

// "replica 2 (pod x-2-abcde): exited with code 1" ("pod x-abcde: ..." when
// the replica is known by its pod's name), or the newest pod's failure for a
// one-pod trial.
std::string FailureOf(const std::vector<const PodInfo*>& pods, const PodInfo* newest,
                      const VerdictContext& context, int* exit_code) {
  if (!context.replica_of) {
    return newest ? PodFailure(*newest, context.container, exit_code) : "";
  }
  std::string why;
  const PodInfo* failed = FirstFailed(pods, context.container, &why, exit_code);
  if (!failed) return "";
  const std::string replica = context.replica_of(*failed);
  if (replica == failed->meta.name) return "pod " + replica + ": " + why;  // kind: custom
  return "replica " + replica + " (pod " + failed->meta.name + "): " + why;
}

}  // namespace

bool WorkloadSucceeded(const JobInfo& job) {
  for (const char* type : {"Complete", "Succeeded", "Completed"}) {
    if (TrueCondition(job, type)) return true;
  }
  return false;
}

bool WorkloadEnded(const JobInfo& job) {
  return WorkloadSucceeded(job) || TrueCondition(job, "Failed") != nullptr;
}

std::string FormatSeconds(double seconds) {
  auto s = static_cast<long long>(std::llround(seconds));
  if (s < 60) return std::to_string(s) + "s";
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
  if (s % 60) out += std::to_string(s % 60) + "s";
  return out;
}

std::optional<std::string> ImagePullProblem(const PodInfo& pod, const std::string& container) {
  const ContainerState* c = pod.Container(container);
  if (!c || c->phase != ContainerState::Phase::kWaiting) return std::nullopt;
  for (const char* stuck : {"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
                            "ErrImageNeverPull", "CreateContainerConfigError"}) {
    if (c->reason == stuck) return WithMessage(c->reason, c->message);
  }
  return std::nullopt;
}

const PodInfo* NewestPod(const std::vector<const PodInfo*>& pods) {
  const PodInfo* newest = nullptr;
  for (const PodInfo* p : pods) {
    if (!newest || p->creation_timestamp > newest->creation_timestamp ||
        (p->creation_timestamp == newest->creation_timestamp && p->meta.name > newest->meta.name)) {
      newest = p;
    }
  }
  return newest;
}

TrialVerdict JudgeTrial(const JobInfo* job, const std::vector<const PodInfo*>& pods,
                        const VerdictContext& context) {
  TrialVerdict v;
  const PodInfo* pod = NewestPod(pods);
  if (job && WorkloadSucceeded(*job)) {
    v.state = TrialVerdict::State::kSucceeded;
    return v;
  }
  if (job) {
    if (const JobCondition* failed = TrueCondition(*job, "Failed")) {
      v.state = TrialVerdict::State::kFailed;
      v.exit_code = -1;
      std::string from_pod = FailureOf(pods, pod, context, &v.exit_code);
      if (failed->reason == "DeadlineExceeded") {
        v.timed_out = true;
        v.reason = WithMessage(failed->reason, failed->message);
        if (job->active_deadline_seconds) {
          v.reason +=
              " (activeDeadlineSeconds: " + std::to_string(*job->active_deadline_seconds) + ")";
        }
      } else if (!from_pod.empty()) {
        v.reason = from_pod;
      } else {
        v.reason = WithMessage(failed->reason.empty() ? "Failed" : failed->reason, failed->message);
      }
      if (v.exit_code == 0) v.exit_code = -1;  // a failed Job never reads as success
      return v;
    }
  }
  if (pod && context.pull_stuck_seconds &&
      *context.pull_stuck_seconds >= context.image_pull_timeout_seconds) {
    if (auto problem = ImagePullProblem(*pod, context.container)) {
      v.state = TrialVerdict::State::kFailed;
      v.exit_code = -1;
      v.reason = *problem + " (gave up after " + FormatSeconds(*context.pull_stuck_seconds) + ")";
      return v;
    }
  }
  if (context.job_deleted) {
    v.state = TrialVerdict::State::kFailed;
    v.exit_code = -1;
    v.reason = "the " + context.resource_kind + " was deleted before it finished";
    int code = -1;
    std::string from_pod = FailureOf(pods, pod, context, &code);
    if (!from_pod.empty()) v.reason += " (" + from_pod + ")";
  }
  return v;
}

}  // namespace gdsweep
