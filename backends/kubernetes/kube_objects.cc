#include "backends/kubernetes/kube_objects.h"

#include <nlohmann/json.hpp>

#include "sweeper/model/redact.h"

namespace gdsweep {
namespace {

using Json = nlohmann::json;

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int Int(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

const Json& Child(const Json& j, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

std::map<std::string, std::string> StringMap(const Json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  }
  return out;
}

ObjectMeta ReadMeta(const Json& j) {
  const Json& m = Child(j, "metadata");
  ObjectMeta meta;
  meta.name = Str(m, "name");
  meta.uid = Str(m, "uid");
  meta.resource_version = Str(m, "resourceVersion");
  meta.labels = StringMap(Child(m, "labels"));
  meta.annotations = StringMap(Child(m, "annotations"));
  auto del = m.find("deletionTimestamp");
  meta.deleting = del != m.end() && !del->is_null();
  return meta;
}

JobInfo ReadJob(const Json& j) {
  JobInfo job;
  job.meta = ReadMeta(j);
  const Json& spec = Child(j, "spec");
  auto deadline = spec.find("activeDeadlineSeconds");
  if (deadline != spec.end() && deadline->is_number_integer()) {
    job.active_deadline_seconds = deadline->get<int64_t>();
  }
  const Json& status = Child(j, "status");
  job.status_json = status.dump();
  job.active = Int(status, "active");
  job.succeeded = Int(status, "succeeded");
  job.failed = Int(status, "failed");
  auto conditions = status.find("conditions");
  if (conditions != status.end() && conditions->is_array()) {
    for (const auto& c : *conditions) {
      if (!c.is_object()) continue;
      job.conditions.push_back(
          {Str(c, "type"), Str(c, "status"), Str(c, "reason"), Str(c, "message")});
    }
  }
  return job;
}

ContainerState ReadContainerState(const Json& c) {
  ContainerState s;
  s.name = Str(c, "name");
  s.restart_count = Int(c, "restartCount");
  const Json& state = Child(c, "state");
  if (state.contains("terminated") && state["terminated"].is_object()) {
    const Json& t = state["terminated"];
    s.phase = ContainerState::Phase::kTerminated;
    s.reason = Str(t, "reason");
    s.message = Str(t, "message");
    s.exit_code = Int(t, "exitCode");
    s.finished_at = Str(t, "finishedAt");
  } else if (state.contains("running") && state["running"].is_object()) {
    s.phase = ContainerState::Phase::kRunning;
  } else if (state.contains("waiting") && state["waiting"].is_object()) {
    const Json& w = state["waiting"];
    s.phase = ContainerState::Phase::kWaiting;
    s.reason = Str(w, "reason");
    s.message = Str(w, "message");
  }
  return s;
}

PodInfo ReadPod(const Json& j) {
  PodInfo pod;
  pod.meta = ReadMeta(j);
  pod.creation_timestamp = Str(Child(j, "metadata"), "creationTimestamp");
  // The resource the pod is of: a Kubeflow job's, else a Job's.
  for (const char* label :
       {"training.kubeflow.org/job-name", "batch.kubernetes.io/job-name", "job-name"}) {
    auto it = pod.meta.labels.find(label);
    if (it != pod.meta.labels.end()) {
      pod.job_name = it->second;
      break;
    }
  }
  if (pod.job_name.empty()) {
    const Json& m = Child(j, "metadata");
    auto owners = m.find("ownerReferences");
    if (owners != m.end() && owners->is_array()) {
      for (const auto& o : *owners) {
        if (o.is_object() && Str(o, "kind") == "Job") pod.job_name = Str(o, "name");
      }
    }
  }
  const Json& spec = Child(j, "spec");
  auto containers = spec.find("containers");
  if (containers != spec.end() && containers->is_array()) {
    for (const auto& c : *containers) {
      if (c.is_object()) pod.container_names.push_back(Str(c, "name"));
    }
  }
  const Json& status = Child(j, "status");
  pod.phase = Str(status, "phase");
  pod.reason = Str(status, "reason");
  pod.message = Str(status, "message");
  auto statuses = status.find("containerStatuses");
  if (statuses != status.end() && statuses->is_array()) {
    for (const auto& c : *statuses) {
      if (c.is_object()) pod.containers.push_back(ReadContainerState(c));
    }
  }
  auto conditions = status.find("conditions");
  if (conditions != status.end() && conditions->is_array()) {
    for (const auto& c : *conditions) {
      if (c.is_object() && Str(c, "type") == "PodScheduled" && Str(c, "status") == "False" &&
          Str(c, "reason") == "Unschedulable") {
        pod.unschedulable = Str(c, "message");
      }
    }
  }
  return pod;
}

KubeObject ReadObject(KubeKind kind, const Json& j) {
  KubeObject o;
  o.kind = kind;
  if (kind == KubeKind::kJob) {
    o.job = ReadJob(j);
  } else {
    o.pod = ReadPod(j);
  }
  return o;
}

ApiStatus ReadStatus(const Json& j) {
  ApiStatus s;
  s.code = Int(j, "code");
  s.reason = Str(j, "reason");
  s.message = RedactText(Str(j, "message"));  // a proxy may echo the request's token
  s.details_kind = Str(Child(j, "details"), "kind");
  return s;
}

Result<Json> ParseObjectJson(const std::string& text, const char* what) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::Io(std::string("the API server sent a ") + what + " that is not a JSON object");
  }
  return j;
}

}  // namespace

const ContainerState* PodInfo::Container(const std::string& name) const {
  for (const auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<JobInfo> ParseJob(const std::string& json) {
  auto j = ParseObjectJson(json, "Job");
  if (!j) return j.error();
  return ReadJob(*j);
}

Result<PodInfo> ParsePod(const std::string& json) {
  auto j = ParseObjectJson(json, "Pod");
  if (!j) return j.error();
  return ReadPod(*j);
}

Result<ObjectList> ParseList(KubeKind kind, const std::string& json) {
  auto j = ParseObjectJson(json, "list");
  if (!j) return j.error();
  ObjectList list;
  const Json& meta = Child(*j, "metadata");
  list.resource_version = Str(meta, "resourceVersion");
  list.continue_token = Str(meta, "continue");
  auto items = j->find("items");
  if (items != j->end() && items->is_array()) {
    for (const auto& item : *items) {
      if (item.is_object()) list.items.push_back(ReadObject(kind, item));
    }
  }
  return list;
}

Result<WatchEvent> ParseWatchEvent(KubeKind kind, const std::string& line) {
  auto j = ParseObjectJson(line, "watch event");
  if (!j) return j.error();
  const std::string type = Str(*j, "type");
  const Json& object = Child(*j, "object");
  WatchEvent ev;
  if (type == "ADDED") {
    ev.type = WatchEvent::Type::kAdded;
  } else if (type == "MODIFIED") {
    ev.type = WatchEvent::Type::kModified;
  } else if (type == "DELETED") {
    ev.type = WatchEvent::Type::kDeleted;
  } else if (type == "BOOKMARK") {
    ev.type = WatchEvent::Type::kBookmark;
  } else if (type == "ERROR") {
    ev.type = WatchEvent::Type::kError;
    ev.status = ReadStatus(object);
    return ev;
  } else {
    return Error::Io("the API server sent a watch event of unknown type '" + type + "'");
  }
  if (ev.type == WatchEvent::Type::kBookmark) {
    ev.object.kind = kind;
    ObjectMeta& meta = kind == KubeKind::kJob ? ev.object.job.meta : ev.object.pod.meta;
    meta.resource_version = Str(Child(object, "metadata"), "resourceVersion");
    return ev;
  }
  ev.object = ReadObject(kind, object);
  return ev;
}

std::optional<ApiStatus> ParseApiStatus(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || Str(j, "kind") != "Status") return std::nullopt;
  return ReadStatus(j);
}

}  // namespace gdsweep
