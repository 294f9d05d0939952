// The JobSet kind rendered without a cluster: one replicated Job per
// kubernetes.replicated_jobs entry, each an Indexed Job of the trial's pod
// template, gdsweep's labels on the JobSet and every template, the replica
// each pod plays, the metrics pod, and names the JobSet webhook accepts.
#include "backends/kubernetes/workload_jobset.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace gdsweep {
namespace {

using Json = nlohmann::json;

// A study name long enough that the JobSet's name must be cut.
TrialLaunch JobSetLaunch() {
  return TrialLaunch{.trial_id = 9,
                     .trial_number = 2,
                     .run = 1,
                     .study_name = "a-rather-long-study-name-for-a-jobset-of-many-workers",
                     .tag = "v2",
                     .argv = {"python3", "train.py", "lr=0.1"},
                     .timeout_seconds = 600};
}

KubernetesSpec JobSetSpec() {
  KubernetesSpec s;
  s.kind = KubernetesSpec::Kind::kJobSet;
  s.replicated_jobs = {{"leader", 1, 1}, {"workers", 12, 16}};
  s.image = "trainer:1";
  return s;
}

TEST_CASE("a JobSet: each replicated Job runs the trial's pod template as an Indexed Job") {
  auto kind = MakeWorkloadKind(JobSetSpec());
  CHECK(kind->Resource().api_path == "/apis/jobset.x-k8s.io/v1alpha2");
  CHECK(kind->Resource().plural == "jobsets");
  auto text = kind->Render(JobSetLaunch(), "{\"lr\":0.1}", "ml");
  REQUIRE(text.ok());
  Json js = Json::parse(*text);
  const std::string name = kind->Name(JobSetLaunch());
  CHECK(js["kind"] == "JobSet");
  CHECK(js["metadata"]["name"] == name);
  CHECK(js["metadata"]["labels"]["gdsweep.io/trial"] == "2");
  CHECK(js["metadata"]["annotations"]["gdsweep.io/trial-id"] == "9");
  const Json& rjobs = js["spec"]["replicatedJobs"];
  REQUIRE(rjobs.size() == 2);
  CHECK(rjobs[1]["name"] == "workers");
  CHECK(rjobs[1]["replicas"] == 12);
  const Json& job = rjobs[1]["template"]["spec"];
  CHECK(job["completionMode"] == "Indexed");
  CHECK(job["completions"] == 16);
  CHECK(job["parallelism"] == 16);
  CHECK(job["backoffLimit"] == 0);
  CHECK(job["activeDeadlineSeconds"] == 600);
  CHECK(rjobs[1]["template"]["metadata"]["labels"]["gdsweep.io/study"].is_string());
  const Json& pod = job["template"];
  CHECK(pod["metadata"]["labels"]["gdsweep.io/trial"] == "2");
  CHECK(pod["spec"]["restartPolicy"] == "Never");
  Json env = Json::object();
  for (const auto& e : pod["spec"]["containers"][0]["env"]) env[e["name"]] = e["value"];
  CHECK(env["GDSWEEP_WORLD_SIZE"] == "193");
  CHECK(env["GDSWEEP_RENDEZVOUS_HOST"] == name + "-leader-0-0." + name);
  // The longest pod hostname, "<jobset>-workers-11-15", is a DNS-1123 label,
  // and the JobSet's Service (its name) a DNS-1035 one.
  CHECK((name + "-workers-11-15").size() <= 63);
  CHECK(name[0] >= 'a');
  CHECK(name[0] <= 'z');
}

TEST_CASE("a JobSet's pods: the replica each plays, and the metrics pod") {
  KubernetesSpec spec = JobSetSpec();
  auto kind = MakeWorkloadKind(spec);
  PodInfo pod;
  pod.meta.labels = {{"jobset.sigs.k8s.io/jobset-name", "js"},
                     {"jobset.sigs.k8s.io/replicatedjob-name", "workers"},
                     {"jobset.sigs.k8s.io/job-index", "3"},
                     {"batch.kubernetes.io/job-completion-index", "7"},
                     {"batch.kubernetes.io/job-name", "js-workers-3"}};
  pod.job_name = "js-workers-3";
  CHECK(kind->ResourceOfPod(pod) == "js");  // the JobSet, not its child Job
  CHECK(kind->ReplicaOf(pod) == "workers-3-7");
  CHECK(kind->PodSelector("js") == "jobset.sigs.k8s.io/jobset-name=js");
  CHECK(kind->MultiPod());
  CHECK(kind->MetricsReplica() == "leader-0-0");
  spec.metrics_from = "workers-0-0";
  CHECK(MakeWorkloadKind(spec)->MetricsReplica() == "workers-0-0");
}

}  // namespace
}  // namespace gdsweep
