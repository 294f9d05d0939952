// The Indexed Job kind rendered without a cluster: N pods that find each
// other through a headless Service, fail fast, carry gdsweep's labels, and
// are told who they are; the replica of a pod; names that leave room for the
// pods' hostnames.
#include "backends/kubernetes/workload_indexed_job.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "backends/kubernetes/job_manifest.h"
#include "backends/kubernetes/kube_names.h"

namespace gdsweep {
namespace {

using Json = nlohmann::json;

TrialLaunch IndexedLaunch() {
  TrialLaunch l;
  l.trial_id = 42;
  l.trial_number = 7;
  l.run = 3;
  l.study_name = "ddp-sweep";
  l.tag = "v1";
  l.argv = {"python3", "train.py", "lr=0.1"};
  l.env = {{"GDSWEEP_STUDY", "ddp-sweep"}};
  return l;
}

KubernetesSpec IndexedSpec(int pods) {
  KubernetesSpec s;
  s.kind = KubernetesSpec::Kind::kIndexedJob;
  s.pods = pods;
  s.image = "trainer:1";
  s.resources.limits = {{"nvidia.com/gpu", "1"}};
  return s;
}

Json IndexedEnvNamed(const Json& container, const std::string& name) {
  for (const auto& e : container["env"]) {
    if (e["name"] == name) return e;
  }
  return nullptr;
}

TEST_CASE("an Indexed Job of N pods that fails as soon as one pod fails") {
  auto kind = MakeWorkloadKind(IndexedSpec(4));
  REQUIRE(kind->MultiPod());
  auto text = kind->Render(IndexedLaunch(), "{}", "ml");
  REQUIRE(text.ok());
  Json job = Json::parse(*text);
  const std::string name = kind->Name(IndexedLaunch());
  CHECK(job["apiVersion"] == "batch/v1");
  CHECK(job["metadata"]["name"] == name);
  CHECK(job["spec"]["completions"] == 4);
  CHECK(job["spec"]["parallelism"] == 4);
  CHECK(job["spec"]["completionMode"] == "Indexed");
  CHECK(job["spec"]["backoffLimit"] == 0);  // the first failed pod fails the Job
  const Json& pod = job["spec"]["template"]["spec"];
  CHECK(pod["subdomain"] == name);
  CHECK(pod["restartPolicy"] == "Never");
  const Json& c = pod["containers"][0];
  CHECK(c["resources"]["limits"]["nvidia.com/gpu"] == "1");  // per pod
  CHECK(IndexedEnvNamed(c, "GDSWEEP_RENDEZVOUS_HOST")["value"] == name + "-0." + name);
  CHECK(IndexedEnvNamed(c, "GDSWEEP_WORLD_SIZE")["value"] == "4");
  for (const Json* meta : {&job["metadata"], &job["spec"]["template"]["metadata"]}) {
    CHECK((*meta)["labels"]["gdsweep.io/study"] == "ddp-sweep");
    CHECK((*meta)["labels"]["gdsweep.io/trial"] == "7");
    CHECK((*meta)["labels"]["gdsweep.io/tag"] == "v1");
    CHECK((*meta)["annotations"]["gdsweep.io/run"] == "3");
  }
}

TEST_CASE("the headless Service: owned by the Job, selecting its pods, ready or not") {
  auto kind = MakeWorkloadKind(IndexedSpec(2));
  const std::string job = kind->Name(IndexedLaunch());
  auto companions = kind->Companions(IndexedLaunch(), "ml", "uid-1");
  REQUIRE(companions.size() == 1);
  CHECK(companions[0].collection_path == "/api/v1/namespaces/ml/services");
  Json svc = Json::parse(companions[0].manifest_json);
  CHECK(svc["kind"] == "Service");
  CHECK(svc["metadata"]["name"] == job);
  CHECK(svc["metadata"]["namespace"] == "ml");
  CHECK(svc["metadata"]["labels"]["gdsweep.io/study"] == "ddp-sweep");
  CHECK(svc["metadata"]["ownerReferences"][0]["kind"] == "Job");
  CHECK(svc["metadata"]["ownerReferences"][0]["name"] == job);
  CHECK(svc["metadata"]["ownerReferences"][0]["uid"] == "uid-1");
  CHECK(svc["spec"]["clusterIP"] == "None");
  CHECK(svc["spec"]["publishNotReadyAddresses"] == true);
  CHECK(svc["spec"]["selector"]["batch.kubernetes.io/job-name"] == job);
  // Rendered for review: no owner yet.
  Json review = Json::parse(kind->Companions(IndexedLaunch(), "ml", "")[0].manifest_json);
  CHECK_FALSE(review["metadata"].contains("ownerReferences"));
}

TEST_CASE("names: deterministic per launch, with room for the pods' hostnames") {
  TrialLaunch l = IndexedLaunch();
  l.study_name = std::string(80, 'a');
  auto kind = MakeWorkloadKind(IndexedSpec(100));
  const std::string name = kind->Name(l);
  CHECK(name == kind->Name(l));
  CHECK(name.size() <= 63 - 3);  // "-99" still makes a DNS-1123 label
  CHECK(IsDns1123Label(name + "-99"));
  l.run = 4;
  CHECK(kind->Name(l) != name);
  // A Service is a DNS-1035 label: it starts with a letter.
  CHECK(IndexedJobServiceName("7x-t1-r1-abc") == "j7x-t1-r1-abc");
  CHECK(IndexedJobServiceName("ab-t1") == "ab-t1");
  // A one-pod Job keeps the name it always had.
  KubernetesSpec one;
  one.image = "x";
  CHECK(MakeWorkloadKind(one)->Name(l) == JobName(l.study_name, 7, 42, 4));
  CHECK_FALSE(MakeWorkloadKind(one)->MultiPod());
}

TEST_CASE("a pod's replica is its completion index; metrics from index 0 unless told") {
  PodInfo pod;
  pod.meta.labels[kCompletionIndexKey] = "3";
  auto kind = MakeWorkloadKind(IndexedSpec(4));
  CHECK(kind->ReplicaOf(pod) == "3");
  PodInfo old;  // before the label (Kubernetes < 1.28): the annotation
  old.meta.annotations[kCompletionIndexKey] = "1";
  CHECK(kind->ReplicaOf(old) == "1");
  CHECK(kind->MetricsReplica() == "0");
  KubernetesSpec s = IndexedSpec(4);
  s.metrics_from = "2";
  CHECK(MakeWorkloadKind(s)->MetricsReplica() == "2");
}

}  // namespace
}  // namespace gdsweep
