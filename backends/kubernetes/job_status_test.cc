// From what the API says about a Job and its pods to a trial's outcome and
// the words for it, using objects shaped as the API server sends them.
#include "backends/kubernetes/job_status.h"

#include <doctest/doctest.h>

namespace gdsweep {
namespace {

JobInfo Job(const std::string& type = "", const std::string& reason = "",
            const std::string& message = "") {
  JobInfo job;
  job.meta.name = "s-t1-a1-x";
  if (!type.empty()) job.conditions.push_back({type, "True", reason, message});
  return job;
}

PodInfo Pod(ContainerState::Phase phase, const std::string& reason = "", int exit_code = 0,
            const std::string& created = "2024-01-01T00:00:00Z") {
  PodInfo pod;
  pod.meta.name = "s-t1-a1-x-" + created.substr(17, 2);
  pod.creation_timestamp = created;
  ContainerState c;
  c.name = "trial";
  c.phase = phase;
  c.reason = reason;
  c.exit_code = exit_code;
  pod.containers.push_back(c);
  return pod;
}

VerdictContext Context() {
  VerdictContext c;
  c.container = "trial";
  return c;
}

using State = TrialVerdict::State;
using Phase = ContainerState::Phase;

TEST_CASE("a running Job is running; Complete is success") {
  JobInfo job = Job();
  PodInfo pod = Pod(Phase::kRunning);
  CHECK(JudgeTrial(&job, {&pod}, Context()).state == State::kRunning);
  CHECK(JudgeTrial(nullptr, {}, Context()).state == State::kRunning);
  job = Job("SuccessCriteriaMet", "CompletionsReached");
  CHECK(JudgeTrial(&job, {&pod}, Context()).state == State::kRunning);  // not final yet
  job.conditions.push_back({"Complete", "True", "CompletionsReached", ""});
  pod = Pod(Phase::kTerminated, "Completed", 0);
  TrialVerdict v = JudgeTrial(&job, {&pod}, Context());
  CHECK(v.state == State::kSucceeded);
  CHECK(v.reason.empty());
}

TEST_CASE("a non-zero exit code is the reason") {
  JobInfo job =
      Job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
  PodInfo pod = Pod(Phase::kTerminated, "Error", 3);
  TrialVerdict v = JudgeTrial(&job, {&pod}, Context());
  CHECK(v.state == State::kFailed);
  CHECK(v.exit_code == 3);
  CHECK_FALSE(v.timed_out);
  CHECK(v.reason == "exited with code 3");
}

TEST_CASE("OOMKilled") {
  JobInfo job =
      Job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
  PodInfo pod = Pod(Phase::kTerminated, "OOMKilled", 137);
  TrialVerdict v = JudgeTrial(&job, {&pod}, Context());
  CHECK(v.state == State::kFailed);
  CHECK(v.exit_code == 137);
  CHECK(v.reason == "OOMKilled: the container exceeded its memory limit (exit code 137)");
}

TEST_CASE("DeadlineExceeded is a timeout") {
  JobInfo job = Job("Failed", "DeadlineExceeded", "Job was active longer than specified deadline");
  job.active_deadline_seconds = 5;
  PodInfo pod = Pod(Phase::kTerminated, "Error", 143);
  TrialVerdict v = JudgeTrial(&job, {&pod}, Context());
  CHECK(v.state == State::kFailed);
  CHECK(v.timed_out);
  CHECK(v.exit_code == 143);
  CHECK(v.reason ==
        "DeadlineExceeded: Job was active longer than specified deadline "
        "(activeDeadlineSeconds: 5)");
  v = JudgeTrial(&job, {}, Context());  // its pods already gone
  CHECK(v.timed_out);
  CHECK(v.exit_code == -1);
}

TEST_CASE("an evicted pod") {
  JobInfo job =
      Job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
  PodInfo pod = Pod(Phase::kTerminated, "Error", 137);
  pod.phase = "Failed";
  pod.reason = "Evicted";
  pod.message = "The node was low on resource: memory.";
  TrialVerdict v = JudgeTrial(&job, {&pod}, Context());
  CHECK(v.reason == "Evicted: The node was low on resource: memory.");
  CHECK(v.exit_code == 137);
}

TEST_CASE("a container that could not start") {
  JobInfo job =
      Job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
  PodInfo pod = Pod(Phase::kTerminated, "StartError", 128);
  pod.containers[0].message = "exec: \"nope\": executable file not found in $PATH";
  TrialVerdict v = JudgeTrial(&job, {&pod}, Context());
  CHECK(v.reason ==
        "StartError: exec: \"nope\": executable file not found in $PATH (exit code 128)");
}

TEST_CASE("the newest pod speaks for the Job") {
  JobInfo job =
      Job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
  PodInfo first = Pod(Phase::kTerminated, "Error", 1, "2024-01-01T00:00:00Z");
  PodInfo second = Pod(Phase::kTerminated, "OOMKilled", 137, "2024-01-01T00:00:09Z");
  CHECK(NewestPod({&second, &first}) == &second);
  CHECK(JudgeTrial(&job, {&first, &second}, Context()).exit_code == 137);
}

TEST_CASE("a failed Job without pods gives the Job's reason, and never reads as success") {
  JobInfo job =
      Job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
  TrialVerdict v = JudgeTrial(&job, {}, Context());
  CHECK(v.reason == "BackoffLimitExceeded: Job has reached the specified backoff limit");
  CHECK(v.exit_code == -1);
  PodInfo clean = Pod(Phase::kTerminated, "Completed", 0);
  CHECK(JudgeTrial(&job, {&clean}, Context()).exit_code == -1);
}

TEST_CASE("an image that never pulls fails after the configured time, not before") {
  JobInfo job = Job();
  PodInfo pod = Pod(Phase::kWaiting, "ImagePullBackOff");
  pod.containers[0].message = "Back-off pulling image \"fake/imagepullbackoff\"";
  REQUIRE(ImagePullProblem(pod, "trial"));
  CHECK(*ImagePullProblem(pod, "trial") ==
        "ImagePullBackOff: Back-off pulling image \"fake/imagepullbackoff\"");
  VerdictContext c = Context();
  c.image_pull_timeout_seconds = 120;
  c.pull_stuck_seconds = 119;
  CHECK(JudgeTrial(&job, {&pod}, c).state == State::kRunning);
  c.pull_stuck_seconds = 125;
  TrialVerdict v = JudgeTrial(&job, {&pod}, c);
  CHECK(v.state == State::kFailed);
  CHECK(v.reason ==
        "ImagePullBackOff: Back-off pulling image \"fake/imagepullbackoff\" (gave up after 2m5s)");
  for (const char* stuck : {"ErrImagePull", "InvalidImageName", "CreateContainerConfigError"}) {
    CHECK(ImagePullProblem(Pod(Phase::kWaiting, stuck), "trial"));
  }
  CHECK_FALSE(ImagePullProblem(Pod(Phase::kWaiting, "ContainerCreating"), "trial"));
  CHECK_FALSE(ImagePullProblem(Pod(Phase::kRunning), "trial"));
  CHECK_FALSE(ImagePullProblem(Pod(Phase::kWaiting, "ErrImagePull"), "other"));
}

TEST_CASE("a Job deleted by someone else before it ended") {
  VerdictContext c = Context();
  c.job_deleted = true;
  PodInfo pod = Pod(Phase::kTerminated, "Error", 143);
  TrialVerdict v = JudgeTrial(nullptr, {&pod}, c);
  CHECK(v.state == State::kFailed);
  CHECK(v.reason == "the Job was deleted before it finished (exited with code 143)");
}

// Regression: a deleted JobSet, TFJob or custom resource was called "the Job".
TEST_CASE("a deleted resource of another kind is named by its kind") {
  VerdictContext c = Context();
  c.job_deleted = true;
  c.resource_kind = "JobSet";
  TrialVerdict v = JudgeTrial(nullptr, {}, c);
  CHECK(v.state == State::kFailed);
  CHECK(v.reason == "the JobSet was deleted before it finished");
}

TEST_CASE("FormatSeconds") {
  CHECK(FormatSeconds(5) == "5s");
  CHECK(FormatSeconds(300) == "5m");
  CHECK(FormatSeconds(3723) == "1h2m3s");
  CHECK(FormatSeconds(3600) == "1h");
}

TEST_CASE("a multi-pod trial's failure names the replica that failed first, not one stopped") {
  JobInfo job =
      Job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
  // Replica 2 failed on its own; the Job controller then stopped replica 0
  // (deleting it: SIGTERM, exit 143), which finished later.
  PodInfo failed = Pod(Phase::kTerminated, "Error", 3, "2024-01-01T00:00:02Z");
  failed.meta.name = "j-2-abcde";
  failed.meta.labels["idx"] = "2";
  failed.containers[0].finished_at = "2024-01-01T00:00:10Z";
  PodInfo stopped = Pod(Phase::kTerminated, "Error", 143, "2024-01-01T00:00:01Z");
  stopped.meta.name = "j-0-fghij";
  stopped.meta.labels["idx"] = "0";
  stopped.meta.deleting = true;
  stopped.containers[0].finished_at = "2024-01-01T00:00:10Z";
  PodInfo fine = Pod(Phase::kTerminated, "Completed", 0, "2024-01-01T00:00:03Z");
  fine.meta.labels["idx"] = "1";
  VerdictContext context = Context();
  context.replica_of = [](const PodInfo& p) { return p.meta.labels.at("idx"); };
  TrialVerdict v = JudgeTrial(&job, {&stopped, &fine, &failed}, context);
  CHECK(v.state == State::kFailed);
  CHECK(v.exit_code == 3);
  CHECK(v.reason == "replica 2 (pod j-2-abcde): exited with code 3");
  // Both deleted: the earlier to finish.
  failed.meta.deleting = true;
  failed.containers[0].finished_at = "2024-01-01T00:00:11Z";
  v = JudgeTrial(&job, {&stopped, &fine, &failed}, context);
  CHECK(v.reason == "replica 0 (pod j-0-fghij): exited with code 143");
  // A replica known by its pod's name (kind: custom) is named once.
  context.replica_of = [](const PodInfo& p) { return p.meta.name; };
  v = JudgeTrial(&job, {&stopped, &fine, &failed}, context);
  CHECK(v.reason == "pod j-0-fghij: exited with code 143");
  // One pod: the newest pod's words, as before.
  v = JudgeTrial(&job, {&failed}, Context());
  CHECK(v.reason == "exited with code 3");
}

}  // namespace
}  // namespace gdsweep
