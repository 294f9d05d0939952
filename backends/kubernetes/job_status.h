// Turning what the API says about a trial's Job and its pods into the
// trial's outcome: still running, succeeded, or failed with the real reason
// (exit code, OOMKilled, DeadlineExceeded, Evicted, an image that cannot be
// pulled, ...), in words for BackendEvent::reason. Pure functions, no clock:
// the caller says how long a pod has been stuck. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backends/kubernetes/kube_objects.h"

namespace gdsweep {

struct TrialVerdict {
  enum class State { kRunning, kSucceeded, kFailed };
  State state = State::kRunning;
  int exit_code = 0;       // the container's, -1 when it never ran or is unknown
  bool timed_out = false;  // activeDeadlineSeconds ended it
  std::string reason;      // empty on success
};

// What the caller knows besides the objects.
struct VerdictContext {
  std::string container;  // the container that runs the trial
  // How long the newest pod has been stuck on its image (see ImagePullProblem).
  std::optional<double> pull_stuck_seconds;
  double image_pull_timeout_seconds = 300;
  bool job_deleted = false;           // the Job is gone (DELETED, or missing from a list)
  std::string resource_kind = "Job";  // what the trial's resource is: "JobSet", ...
  // A multi-pod trial: the replica each pod plays ("0", "worker-1"), so a
  // failure names the replica that failed first. Empty for one pod.
  std::function<std::string(const PodInfo&)> replica_of;
};

// "ImagePullBackOff: Back-off pulling image \"x\"" when the pod's `container`
// is waiting on an image that cannot be pulled (ErrImagePull,
// ImagePullBackOff, InvalidImageName, ErrImageNeverPull) or on a missing
// Secret/ConfigMap (CreateContainerConfigError); nullopt otherwise.
std::optional<std::string> ImagePullProblem(const PodInfo& pod, const std::string& container);

// The trial's resource has ended well (Complete for a Job, Succeeded for a
// Kubeflow job, Completed for a JobSet) or badly (Failed).
bool WorkloadSucceeded(const JobInfo& job);
bool WorkloadEnded(const JobInfo& job);

// The newest of a Job's pods (by creation time, then name), or nullptr.
const PodInfo* NewestPod(const std::vector<const PodInfo*>& pods);

// The verdict on a trial from its Job (nullptr if never seen) and pods.
TrialVerdict JudgeTrial(const JobInfo* job, const std::vector<const PodInfo*>& pods,
                        const VerdictContext& context);

// "90s", "5m", "1h2m3s": a duration for messages.
std::string FormatSeconds(double seconds);

}  // namespace gdsweep
