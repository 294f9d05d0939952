// The Kubeflow kinds rendered without a cluster: a TFJob and a PyTorchJob
// of the trial's pod template per replica type, the operator's container
// names, pods kept for their logs, gdsweep's labels, replicas of pods, the
// metrics replica, and names the operator's webhook accepts.
#include "backends/kubernetes/workload_kubeflow.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "backends/kubernetes/job_manifest.h"

namespace gdsweep {
namespace {

using Json = nlohmann::json;

TrialLaunch KubeflowLaunch() {
  TrialLaunch l;
  l.trial_id = 9;
  l.trial_number = 2;
  l.run = 1;
  l.study_name = "mnist";
  l.tag = "v2";
  l.argv = {"python3", "train.py", "lr=0.1"};
  l.timeout_seconds = 600;
  return l;
}

KubernetesSpec KubeflowSpec(KubernetesSpec::Kind kind, std::map<std::string, int> replicas) {
  KubernetesSpec s;
  s.kind = kind;
  s.replicas = std::move(replicas);
  s.image = "trainer:1";
  s.resources.limits = {{"nvidia.com/gpu", "1"}};
  return s;
}

TEST_CASE("a TFJob: each replica type runs the trial's pod template") {
  auto kind =
      MakeWorkloadKind(KubeflowSpec(KubernetesSpec::Kind::kTfJob, {{"worker", 4}, {"ps", 2}}));
  CHECK(kind->Resource().api_path == "/apis/kubeflow.org/v1");
  CHECK(kind->Resource().plural == "tfjobs");
  auto text = kind->Render(KubeflowLaunch(), "{}", "ml");
  REQUIRE(text.ok());
  Json tf = Json::parse(*text);
  CHECK(tf["apiVersion"] == "kubeflow.org/v1");
  CHECK(tf["kind"] == "TFJob");
  CHECK(tf["metadata"]["name"] == kind->Name(KubeflowLaunch()));
  CHECK(tf["metadata"]["namespace"] == "ml");
  CHECK(tf["metadata"]["labels"]["gdsweep.io/study"] == "mnist");
  CHECK(tf["spec"]["runPolicy"]["cleanPodPolicy"] == "None");  // logs stay readable
  CHECK(tf["spec"]["runPolicy"]["backoffLimit"] == 0);
  CHECK(tf["spec"]["runPolicy"]["activeDeadlineSeconds"] == 600);
  const Json& specs = tf["spec"]["tfReplicaSpecs"];
  CHECK(specs.size() == 2);
  CHECK(specs["Worker"]["replicas"] == 4);
  CHECK(specs["PS"]["replicas"] == 2);
  for (const char* type : {"Worker", "PS"}) {
    const Json& tmpl = specs[type]["template"];
    CHECK(specs[type]["restartPolicy"] == "Never");
    CHECK(tmpl["metadata"]["labels"]["gdsweep.io/trial"] == "2");
    const Json& c = tmpl["spec"]["containers"][0];
    CHECK(c["name"] == "tensorflow");  // the operator's container
    CHECK(c["command"] == Json::parse(R"(["python3","train.py","lr=0.1"])"));
    CHECK(c["resources"]["limits"]["nvidia.com/gpu"] == "1");
  }
  CHECK(kind->MetricsReplica() == "worker-0");
  CHECK(MakeWorkloadKind(KubeflowSpec(KubernetesSpec::Kind::kTfJob, {{"chief", 1}, {"worker", 2}}))
            ->MetricsReplica() == "chief-0");
}

TEST_CASE("a PyTorchJob: master and workers, metrics from master-0") {
  auto kind = MakeWorkloadKind(
      KubeflowSpec(KubernetesSpec::Kind::kPyTorchJob, {{"master", 1}, {"worker", 3}}));
  Json pt = Json::parse(*kind->Render(KubeflowLaunch(), "{}", "ml"));
  CHECK(pt["kind"] == "PyTorchJob");
  CHECK(pt["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] == 1);
  CHECK(pt["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 3);
  CHECK(pt["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["name"] ==
        "pytorch");
  CHECK(kind->MetricsReplica() == "master-0");
  CHECK(kind->PodSelector("x") == "training.kubeflow.org/job-name=x");
  PodInfo pod;
  pod.meta.labels = {{"training.kubeflow.org/replica-type", "worker"},
                     {"training.kubeflow.org/replica-index", "2"}};
  CHECK(kind->ReplicaOf(pod) == "worker-2");
  KubernetesSpec s =
      KubeflowSpec(KubernetesSpec::Kind::kPyTorchJob, {{"master", 1}, {"worker", 3}});
  s.metrics_from = "worker-1";
  CHECK(MakeWorkloadKind(s)->MetricsReplica() == "worker-1");
}

TEST_CASE("names leave room for the operator's pod names and start with a letter") {
  auto kind = MakeWorkloadKind(KubeflowSpec(KubernetesSpec::Kind::kTfJob, {{"worker", 1}}));
  TrialLaunch l = KubeflowLaunch();
  l.study_name = std::string(70, 'x');
  CHECK(kind->Name(l).size() + std::string("-evaluator-99999").size() <= 63);
  l.study_name = "2024 sweep";
  CHECK(kind->Name(l)[0] == 'j');
  CHECK(kind->Name(l) == kind->Name(l));
}

}  // namespace
}  // namespace gdsweep
