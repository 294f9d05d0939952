// The custom kind without a cluster: the manifest's pod templates get the
// trial (labels, annotations, the command in the named container), the
// resource its identity, and the end rules of kubernetes.custom become the
// judge's Succeeded/Failed conditions, whatever the resource's own say.
#include "backends/kubernetes/workload_custom.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "backends/kubernetes/job_status.h"

namespace gdsweep {
namespace {

using Json = nlohmann::json;

TrialLaunch CustomLaunch() {
  TrialLaunch l;
  l.trial_id = 4;
  l.trial_number = 1;
  l.run = 2;
  l.study_name = "ray";
  l.tag = "v1";
  l.argv = {"python3", "tune.py", "lr=$0.1"};
  l.env = {{"GDSWEEP_STUDY", "ray"}};
  return l;
}

KubernetesSpec CustomSpec() {
  KubernetesSpec s;
  s.kind = KubernetesSpec::Kind::kCustom;
  s.container = "head";
  KubernetesCustomResource& c = s.custom;
  c.manifest_path = "/x/rayjob.yaml";
  c.api_version = "ray.io/v1";
  c.kind = "RayJob";
  c.plural = "rayjobs";
  c.manifest_json =
      Json{{"apiVersion", "ray.io/v1"},
           {"kind", "RayJob"},
           {"metadata", {{"name", "ignored"}, {"labels", {{"team", "a"}}}}},
           {"spec",
            {{"rayClusterSpec",
              {{"headGroupSpec",
                {{"template",
                  {{"spec", {{"containers", {{{"name", "head"}, {"image", "ray:2"}}}}}}}}}},
               {"workerGroupSpecs",
                {{{"replicas", 2},
                  {"template",
                   {{"metadata", {{"labels", {{"role", "w"}}}}},
                    {"spec", {{"containers", {{{"name", "worker"}, {"image", "ray:2"}}}}}}}}}}}}}}}}
          .dump();
  c.success = {"", "status.jobStatus", {"SUCCEEDED"}};
  c.failure = {"Failed", "", {}};
  c.metrics_pod_labels = {{"ray.io/node-type", "head"}};
  return s;
}

TEST_CASE("a custom resource: every pod template labelled, the named container runs the trial") {
  auto kind = MakeWorkloadKind(CustomSpec());
  CHECK(kind->Resource().api_path == "/apis/ray.io/v1");
  CHECK(kind->Resource().plural == "rayjobs");
  CHECK(kind->Resource().kind == "RayJob");
  auto text = kind->Render(CustomLaunch(), "{\"lr\":\"$0.1\"}", "ml");
  REQUIRE_MESSAGE(text.ok(), text.error().message);
  Json r = Json::parse(*text);
  const std::string name = kind->Name(CustomLaunch());
  CHECK(r["metadata"]["name"] == name);
  CHECK(r["metadata"]["namespace"] == "ml");
  CHECK(r["metadata"]["labels"]["team"] == "a");
  CHECK(r["metadata"]["labels"]["gdsweep.io/study"] == "ray");
  CHECK(r["metadata"]["labels"][kLabelWorkload] == name);
  CHECK(r["metadata"]["annotations"]["gdsweep.io/run"] == "2");
  const Json& head = r["spec"]["rayClusterSpec"]["headGroupSpec"]["template"];
  CHECK(head["metadata"]["labels"][kLabelWorkload] == name);
  CHECK(head["metadata"]["annotations"]["gdsweep.io/params"] == "{\"lr\":\"$0.1\"}");
  const Json& c = head["spec"]["containers"][0];
  CHECK(c["command"] == Json::array({"python3", "tune.py", "lr=$$0.1"}));
  CHECK(c["env"][0]["name"] == "GDSWEEP_STUDY");
  CHECK_FALSE(head["spec"].contains("restartPolicy"));  // the controller's own
  const Json& worker = r["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["template"];
  CHECK(worker["metadata"]["labels"]["role"] == "w");
  CHECK(worker["metadata"]["labels"]["gdsweep.io/trial"] == "1");
  CHECK_FALSE(worker["spec"]["containers"][0].contains("command"));  // not the trial's

  KubernetesSpec other = CustomSpec();
  other.container = "trainer";
  auto missing = MakeWorkloadKind(other)->Render(CustomLaunch(), "{}", "ml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message ==
        "kubernetes.custom.manifest (/x/rayjob.yaml): no pod template has a container named "
        "'trainer'; set kubernetes.container");
}

TEST_CASE("a custom resource ends as its rules say, and its pods are found by label") {
  auto kind = MakeWorkloadKind(CustomSpec());
  JobInfo job;
  job.status_json = R"({"jobStatus":"RUNNING","message":"tuning"})";
  job.conditions = {{"Complete", "True", "", ""}};  // not the rules: ignored
  kind->Observe(job);
  CHECK_FALSE(WorkloadEnded(job));
  job.status_json = R"({"jobStatus":"SUCCEEDED"})";
  kind->Observe(job);
  CHECK(WorkloadSucceeded(job));
  job.status_json = R"({"jobStatus":"FAILED"})";
  job.conditions = {{"Failed", "True", "DeadlineExceeded", "too slow"}};
  kind->Observe(job);
  CHECK_FALSE(WorkloadSucceeded(job));
  REQUIRE(WorkloadEnded(job));
  CHECK(job.conditions[0].reason == "DeadlineExceeded");
  CHECK(job.conditions[0].message == "too slow");

  PodInfo head;
  head.meta.name = "x-head-abc";
  head.meta.labels = {{kLabelWorkload, "r1"}, {"ray.io/node-type", "head"}};
  PodInfo worker = head;
  worker.meta.name = "x-worker-def";
  worker.meta.labels["ray.io/node-type"] = "worker";
  CHECK(kind->ResourceOfPod(head) == "r1");
  CHECK(kind->ReplicaOf(head) == kind->MetricsReplica());
  CHECK(kind->ReplicaOf(worker) == "x-worker-def");
  CHECK(kind->PodSelector("r1") == std::string(kLabelWorkload) + "=r1");
  CHECK(kind->DryRunKey() == "kubernetes.custom.manifest (/x/rayjob.yaml)");
}

}  // namespace
}  // namespace gdsweep
