// Parsing what the API server sends: Jobs, Pods, lists, watch events
// (bookmarks, 410 errors) and Status bodies, in the shapes of a v1.32 server.
#include "backends/kubernetes/kube_objects.h"

#include <doctest/doctest.h>

namespace gdsweep {
namespace {

constexpr const char* kJob = R"({"kind":"Job","apiVersion":"batch/v1",
 "metadata":{"name":"s-t1-a1-abc","uid":"u1","resourceVersion":"1013",
   "labels":{"gdsweep.io/study":"s"},"annotations":{"gdsweep.io/trial-id":"5"}},
 "spec":{"backoffLimit":0,"activeDeadlineSeconds":30},
 "status":{"startTime":"2026-01-01T00:00:00Z","active":1,"failed":1,"uncountedTerminatedPods":{},
   "conditions":[{"type":"FailureTarget","status":"True","reason":"DeadlineExceeded"},
                 {"type":"Failed","status":"True","reason":"DeadlineExceeded",
                  "message":"Job was active longer than specified deadline"}]}})";

constexpr const char* kPod = R"({"metadata":{"name":"s-t1-a1-abc-x2v4k","uid":"p1",
  "resourceVersion":"1012","creationTimestamp":"2026-01-01T00:00:01Z",
  "labels":{"batch.kubernetes.io/job-name":"s-t1-a1-abc","job-name":"s-t1-a1-abc"}},
 "spec":{"containers":[{"name":"trial","image":"x"},{"name":"side","image":"y"}]},
 "status":{"phase":"Failed","reason":"Evicted","message":"low on memory",
   "conditions":[{"type":"PodScheduled","status":"True"}],
   "containerStatuses":[
     {"name":"trial","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}},"restartCount":2},
     {"name":"side","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off"}}}]}})";

TEST_CASE("a Job: identity, deadline, counts and conditions") {
  auto job = ParseJob(kJob);
  REQUIRE(job.ok());
  CHECK(job->meta.name == "s-t1-a1-abc");
  CHECK(job->meta.resource_version == "1013");
  CHECK(job->meta.labels.at("gdsweep.io/study") == "s");
  CHECK(job->meta.annotations.at("gdsweep.io/trial-id") == "5");
  CHECK(job->active_deadline_seconds == 30);
  CHECK(job->active == 1);
  CHECK(job->failed == 1);
  CHECK(job->succeeded == 0);
  REQUIRE(job->conditions.size() == 2);
  CHECK(job->conditions[1].type == "Failed");
  CHECK(job->conditions[1].message == "Job was active longer than specified deadline");
  CHECK_FALSE(job->meta.deleting);
}

TEST_CASE("a Pod: its Job, phase, reason and container states") {
  auto pod = ParsePod(kPod);
  REQUIRE(pod.ok());
  CHECK(pod->job_name == "s-t1-a1-abc");
  CHECK(pod->phase == "Failed");
  CHECK(pod->reason == "Evicted");
  CHECK(pod->container_names == std::vector<std::string>{"trial", "side"});
  const ContainerState* trial = pod->Container("trial");
  REQUIRE(trial);
  CHECK(trial->phase == ContainerState::Phase::kTerminated);
  CHECK(trial->exit_code == 137);
  CHECK(trial->reason == "OOMKilled");
  CHECK(trial->restart_count == 2);
  CHECK(pod->Container("side")->phase == ContainerState::Phase::kWaiting);
  CHECK(pod->Container("nope") == nullptr);
  CHECK_FALSE(pod->unschedulable);
}

TEST_CASE("a pod's Job from its owner reference when it has no job-name label") {
  auto pod = ParsePod(R"({"metadata":{"name":"p","ownerReferences":[
      {"apiVersion":"batch/v1","kind":"Job","name":"j","uid":"u","controller":true}]},
      "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
      "reason":"Unschedulable","message":"0/3 nodes have nvidia.com/gpu"}]}})");
  REQUIRE(pod.ok());
  CHECK(pod->job_name == "j");
  CHECK(pod->unschedulable == "0/3 nodes have nvidia.com/gpu");
}

TEST_CASE("lists: items without kind, the resourceVersion and continue token") {
  auto list = ParseList(KubeKind::kJob, std::string(R"({"kind":"JobList","apiVersion":"batch/v1",
      "metadata":{"resourceVersion":"2000","continue":"abc"},"items":[)") +
                                            kJob + "]}");
  REQUIRE(list.ok());
  CHECK(list->resource_version == "2000");
  CHECK(list->continue_token == "abc");
  REQUIRE(list->items.size() == 1);
  CHECK(list->items[0].kind == KubeKind::kJob);
  CHECK(list->items[0].meta().name == "s-t1-a1-abc");
}

TEST_CASE("watch events: changes, bookmarks, 410 errors, unknown types") {
  auto added =
      ParseWatchEvent(KubeKind::kPod, std::string(R"({"type":"ADDED","object":)") + kPod + "}");
  REQUIRE(added.ok());
  CHECK(added->type == WatchEvent::Type::kAdded);
  CHECK(added->object.pod.meta.name == "s-t1-a1-abc-x2v4k");
  auto bookmark = ParseWatchEvent(KubeKind::kJob, R"({"type":"BOOKMARK","object":{"kind":"Job",
      "apiVersion":"batch/v1","metadata":{"resourceVersion":"4242"},"spec":{"template":
      {"metadata":{"creationTimestamp":null},"spec":{"containers":null}}},"status":{}}})");
  REQUIRE(bookmark.ok());
  CHECK(bookmark->type == WatchEvent::Type::kBookmark);
  CHECK(bookmark->object.meta().resource_version == "4242");
  auto expired = ParseWatchEvent(KubeKind::kJob, R"js({"type":"ERROR","object":{"kind":"Status",
      "apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (900)",
      "reason":"Expired","code":410}})js");
  REQUIRE(expired.ok());
  CHECK(expired->type == WatchEvent::Type::kError);
  CHECK(expired->status.code == 410);
  CHECK(expired->status.reason == "Expired");
  CHECK_FALSE(ParseWatchEvent(KubeKind::kJob, R"({"type":"WHAT","object":{}})").ok());
  CHECK_FALSE(ParseWatchEvent(KubeKind::kJob, "not json").ok());
}

TEST_CASE("Status bodies, and bodies that are not") {
  auto s = ParseApiStatus(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"jobs.batch \"x\" already exists","reason":"AlreadyExists",
      "details":{"name":"x","group":"batch","kind":"jobs"},"code":409})");
  REQUIRE(s);
  CHECK(s->code == 409);
  CHECK(s->reason == "AlreadyExists");
  CHECK(s->details_kind == "jobs");
  CHECK_FALSE(ParseApiStatus("Too many requests, please try again later.\n"));
  CHECK_FALSE(ParseApiStatus(kJob));
}

TEST_CASE(
    "issue 11.13: a Status that echoes the request's bearer token keeps it out of the message") {
  // A proxy in front of the API server answering with the headers it got.
  auto s = ParseApiStatus(R"({"kind":"Status","status":"Failure","code":502,
      "message":"upstream refused GET /apis/batch/v1/jobs with Authorization: Bearer sa-token.eyJhbGc1"})");
  REQUIRE(s);
  CHECK(s->message.find("sa-token") == std::string::npos);
  CHECK(s->message.find("eyJhbGc1") == std::string::npos);
  CHECK(s->message.find("upstream refused GET /apis/batch/v1/jobs") != std::string::npos);
}

}  // namespace
}  // namespace gdsweep
