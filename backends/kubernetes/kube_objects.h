// The parts of Kubernetes objects the backend reads, as plain structs: a
// Job's identity and conditions, a Pod's phase and container states, an API
// Status (errors), watch events and list pages; and their parsers from the
// API's JSON. Nothing here talks to a server. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep {

struct ObjectMeta {
  std::string name;
  std::string uid;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  bool deleting = false;  // deletionTimestamp is set
};

struct JobCondition {
  std::string type;    // Complete, Failed, SuccessCriteriaMet, FailureTarget, Suspended
  std::string status;  // "True", "False", "Unknown"
  std::string reason;  // BackoffLimitExceeded, DeadlineExceeded, ...
  std::string message;
};

struct JobInfo {
  ObjectMeta meta;
  std::optional<int64_t> active_deadline_seconds;
  std::vector<JobCondition> conditions;
  int active = 0;
  int succeeded = 0;
  int failed = 0;
  std::string status_json;  // the whole status object, for kinds that read more of it
};

// One container's state (state.waiting / running / terminated).
struct ContainerState {
  std::string name;
  enum class Phase { kUnknown, kWaiting, kRunning, kTerminated };
  Phase phase = Phase::kUnknown;
  std::string reason;  // waiting: ContainerCreating, ImagePullBackOff, ...; terminated: OOMKilled,
                       // Error, ...
  std::string message;
  int exit_code = 0;        // terminated
  std::string finished_at;  // terminated: RFC 3339
  int restart_count = 0;
};

struct PodInfo {
  ObjectMeta meta;
  std::string job_name;  // from the job-name label or the owner reference
  std::string phase;     // Pending, Running, Succeeded, Failed, Unknown
  std::string reason;    // pod-level: Evicted, DeadlineExceeded, ...
  std::string message;
  std::string creation_timestamp;            // RFC 3339, orders a Job's pods
  std::vector<std::string> container_names;  // spec order
  std::vector<ContainerState> containers;    // status.containerStatuses
  std::optional<std::string> unschedulable;  // PodScheduled=False reason Unschedulable: message

  // The status of container `name`, or nullptr.
  const ContainerState* Container(const std::string& name) const;
};

// metav1.Status, what the API answers on errors (and some deletes).
struct ApiStatus {
  int code = 0;
  std::string reason;  // AlreadyExists, NotFound, Expired, Unauthorized, ...
  std::string message;
  std::string details_kind;  // "jobs", "namespaces", ...
};

// The API resource a trial is (a batch/v1 Job, a kubeflow.org/v1 TFJob,
// ...): where its collection is, and its kind for messages.
struct ResourceType {
  std::string api_path = "/apis/batch/v1";  // the group/version's path
  std::string plural = "jobs";
  std::string kind = "Job";
  std::string api_version = "batch/v1";
};

// Which object a list, a watch or a parser is about (kJob: the trial's
// resource, whatever its ResourceType).
enum class KubeKind { kJob, kPod };

struct KubeObject {
  KubeKind kind = KubeKind::kJob;
  JobInfo job;  // kJob
  PodInfo pod;  // kPod
  const ObjectMeta& meta() const { return kind == KubeKind::kJob ? job.meta : pod.meta; }
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  KubeObject object;  // not for kError
  ApiStatus status;   // kError
};

struct ObjectList {
  std::vector<KubeObject> items;
  std::string resource_version;
  std::string continue_token;
};

Result<JobInfo> ParseJob(const std::string& json);
Result<PodInfo> ParsePod(const std::string& json);
Result<ObjectList> ParseList(KubeKind kind, const std::string& json);
Result<WatchEvent> ParseWatchEvent(KubeKind kind, const std::string& line);

// A Status body, or nullopt when `body` is not one (a plain-text 429, ...).
std::optional<ApiStatus> ParseApiStatus(const std::string& body);

}  // namespace gdsweep
