// Rendering a trial's Job without a cluster (as Katib tests its manifests):
// the section's keys, GPU resources, tolerations, volumes, env from Secrets,
// labels, names, the timeout, escaping, and Job template files.
#include "backends/kubernetes/job_manifest.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "backends/kubernetes/kube_names.h"

namespace gdsweep {
namespace {

using Json = nlohmann::json;

TrialLaunch ManifestLaunch() {
  TrialLaunch l;
  l.trial_id = 42;
  l.trial_number = 7;
  l.attempt = 2;
  l.run = 2;
  l.study_name = "ResNet_Sweep";
  l.tag = "v1";
  l.argv = {"python3", "train.py", "--lr", "0.01", "train.lr=0.01"};
  l.env = {{"GDSWEEP_STUDY", "ResNet_Sweep"},
           {"GDSWEEP_TRIAL_DIR", "/home/me/gdsweep-logs/ResNet_Sweep/trial-7"},
           {"GDSWEEP_RESULT_FILE", "/home/me/x/result.json"},
           {"GDSWEEP_PRUNE_FILE", "/home/me/x/prune"},
           {"GDSWEEP_PARAMS_FILE", "/home/me/x/params.json"},
           {"GDSWEEP_PARAM_TRAIN_LR", "0.01"},
           {"RUN", "r-7"}};
  l.timeout_seconds = 90.5;
  l.params = {{"train.lr", "0.01"}};
  return l;
}

KubernetesSpec GpuSpec() {
  KubernetesSpec s;
  s.image = "registry.example.com/train:1.4";
  s.image_pull_policy = "IfNotPresent";
  s.image_pull_secrets = {"regcred"};
  s.service_account = "trainer";
  s.working_dir = "/workspace";
  s.resources.requests = {{"cpu", "4"}, {"memory", "16Gi"}};
  s.resources.limits = {{"memory", "16Gi"}, {"nvidia.com/gpu", "1"}};
  s.env = {{"WANDB_API_KEY", KubernetesEnvVar::Source::kSecret, "", "wandb", "api-key", false},
           {"MODE", KubernetesEnvVar::Source::kConfigMap, "", "settings", "mode", true},
           {"POD", KubernetesEnvVar::Source::kField, "metadata.name", "", "", false},
           {"PLAIN", KubernetesEnvVar::Source::kValue, "a$(B)", "", "", false}};
  s.env_from = {{KubernetesEnvFrom::Source::kSecret, "hf-token", "", false},
                {KubernetesEnvFrom::Source::kConfigMap, "defaults", "CFG_", true}};
  KubernetesVolume nfs;
  nfs.name = "data";
  nfs.kind = KubernetesVolume::Kind::kNfs;
  nfs.server = "10.0.0.5";
  nfs.source = "/exports/imagenet";
  nfs.mount_path = "/data";
  nfs.read_only = true;
  KubernetesVolume pvc;
  pvc.name = "ckpt";
  pvc.kind = KubernetesVolume::Kind::kPvc;
  pvc.source = "checkpoints";
  pvc.mount_path = "/ckpt";
  pvc.sub_path = "resnet";
  KubernetesVolume shm;
  shm.name = "shm";
  shm.kind = KubernetesVolume::Kind::kEmptyDir;
  shm.medium = "Memory";
  shm.size_limit = "8Gi";
  shm.mount_path = "/dev/shm";
  s.volumes = {nfs, pvc, shm};
  s.node_selector = {{"cloud.google.com/gke-accelerator", "nvidia-tesla-t4"}};
  s.tolerations = {{"nvidia.com/gpu", "Exists", "", "NoSchedule", std::nullopt},
                   {"spot", "Equal", "true", "NoExecute", 300}};
  s.affinity_json =
      R"({"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}]}}})";
  s.labels = {{"team", "vision"}};
  s.annotations = {{"owner", "me@example.com"}};
  s.ttl_seconds_after_finished = 3600;
  return s;
}

Json Render(const KubernetesSpec& spec, const TrialLaunch& launch = ManifestLaunch(),
            const std::string& ns = "ml") {
  auto text = RenderJobManifest(spec, launch, R"({"train.lr": 0.01})", ns);
  REQUIRE_MESSAGE(text.ok(), text.error().message);
  return Json::parse(*text);
}

const Json& Container(const Json& job) { return job["spec"]["template"]["spec"]["containers"][0]; }

Json EnvNamed(const Json& container, const std::string& name) {
  for (const auto& e : container["env"]) {
    if (e["name"] == name) return e;
  }
  return nullptr;
}

TEST_CASE("a GPU trial: image, command, resources, scheduling, pull secrets") {
  Json job = Render(GpuSpec());
  CHECK(job["apiVersion"] == "batch/v1");
  CHECK(job["kind"] == "Job");
  CHECK(job["metadata"]["namespace"] == "ml");
  CHECK(job["spec"]["backoffLimit"] == 0);
  CHECK(job["spec"]["activeDeadlineSeconds"] == 91);  // 90.5 s, rounded up
  CHECK(job["spec"]["ttlSecondsAfterFinished"] == 3600);
  const Json& pod = job["spec"]["template"]["spec"];
  CHECK(pod["restartPolicy"] == "Never");
  CHECK(pod["serviceAccountName"] == "trainer");
  CHECK(pod["imagePullSecrets"] == Json::parse(R"([{"name":"regcred"}])"));
  CHECK(pod["nodeSelector"]["cloud.google.com/gke-accelerator"] == "nvidia-tesla-t4");
  CHECK(pod["tolerations"] == Json::parse(R"([
      {"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"},
      {"key":"spot","operator":"Equal","value":"true","effect":"NoExecute","tolerationSeconds":300}])"));
  CHECK(pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
           ["nodeSelectorTerms"][0]["matchExpressions"][0]["key"] == "zone");
  const Json& c = Container(job);
  CHECK(c["name"] == "trial");
  CHECK(c["image"] == "registry.example.com/train:1.4");
  CHECK(c["imagePullPolicy"] == "IfNotPresent");
  CHECK(c["workingDir"] == "/workspace");
  CHECK(c["command"] == Json::parse(R"(["python3","train.py","--lr","0.01","train.lr=0.01"])"));
  CHECK_FALSE(c.contains("args"));
  CHECK(c["resources"] == Json::parse(R"({"requests":{"cpu":"4","memory":"16Gi"},
                                          "limits":{"memory":"16Gi","nvidia.com/gpu":"1"}})"));
}

TEST_CASE("environment: the trial's, Secrets, ConfigMaps, fields, envFrom; no host paths") {
  Json job = Render(GpuSpec());
  const Json& c = Container(job);
  CHECK(EnvNamed(c, "GDSWEEP_STUDY")["value"] == "ResNet_Sweep");
  CHECK(EnvNamed(c, "GDSWEEP_PARAM_TRAIN_LR")["value"] == "0.01");
  CHECK(EnvNamed(c, "RUN")["value"] == "r-7");
  CHECK(EnvNamed(c, "GDSWEEP_TRIAL_DIR").is_null());
  CHECK(EnvNamed(c, "GDSWEEP_RESULT_FILE").is_null());
  CHECK(EnvNamed(c, "GDSWEEP_PRUNE_FILE").is_null());
  CHECK(EnvNamed(c, "GDSWEEP_PARAMS_FILE")["value"] == kPodParamsFile);
  CHECK(EnvNamed(c, "WANDB_API_KEY")["valueFrom"] ==
        Json::parse(R"({"secretKeyRef":{"name":"wandb","key":"api-key"}})"));
  CHECK(EnvNamed(c, "MODE")["valueFrom"] ==
        Json::parse(R"({"configMapKeyRef":{"name":"settings","key":"mode","optional":true}})"));
  CHECK(EnvNamed(c, "POD")["valueFrom"] ==
        Json::parse(R"({"fieldRef":{"fieldPath":"metadata.name"}})"));
  CHECK(EnvNamed(c, "PLAIN")["value"] == "a$$(B)");  // no $(VAR) expansion by Kubernetes
  CHECK(c["envFrom"] == Json::parse(R"([{"secretRef":{"name":"hf-token"}},
      {"prefix":"CFG_","configMapRef":{"name":"defaults","optional":true}}])"));
}

TEST_CASE("volumes: NFS, PVC, emptyDir, and the parameters file from the annotation") {
  Json job = Render(GpuSpec());
  const Json& pod = job["spec"]["template"]["spec"];
  CHECK(pod["volumes"][0] == Json::parse(R"({"name":"data","nfs":{"server":"10.0.0.5",
      "path":"/exports/imagenet","readOnly":true}})"));
  CHECK(pod["volumes"][1] ==
        Json::parse(R"({"name":"ckpt","persistentVolumeClaim":{"claimName":"checkpoints"}})"));
  CHECK(pod["volumes"][2] ==
        Json::parse(R"({"name":"shm","emptyDir":{"medium":"Memory","sizeLimit":"8Gi"}})"));
  CHECK(pod["volumes"][3]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] ==
        "metadata.annotations['gdsweep.io/params']");
  const Json& mounts = Container(job)["volumeMounts"];
  CHECK(mounts[0] == Json::parse(R"({"name":"data","mountPath":"/data","readOnly":true})"));
  CHECK(mounts[1] == Json::parse(R"({"name":"ckpt","mountPath":"/ckpt","subPath":"resnet"})"));
  CHECK(mounts[3]["mountPath"] == "/etc/gdsweep");
}

TEST_CASE("labels select a study's and a tag's Jobs; annotations keep the originals") {
  KubernetesSpec spec = GpuSpec();
  TrialLaunch launch = ManifestLaunch();
  launch.study_name = std::string(100, 'S') + ".x";
  launch.tag = "-odd-tag";
  Json job = Render(spec, launch);
  const Json& labels = job["metadata"]["labels"];
  CHECK(labels["team"] == "vision");
  CHECK(labels["gdsweep.io/trial"] == "7");
  CHECK(labels["gdsweep.io/attempt"] == "2");
  CHECK(labels["app.kubernetes.io/managed-by"] == "gdsweep");
  for (const char* key : {"gdsweep.io/study", "gdsweep.io/tag"}) {
    CHECK(IsLabelValue(labels[key].get<std::string>()));
  }
  CHECK(labels["gdsweep.io/study"] == LabelSafeValue(launch.study_name));
  CHECK(StudySelector(launch.study_name) ==
        "gdsweep.io/study=" + LabelSafeValue(launch.study_name));
  const Json& notes = job["metadata"]["annotations"];
  CHECK(notes["gdsweep.io/study"] == launch.study_name);
  CHECK(notes["gdsweep.io/tag"] == "-odd-tag");
  CHECK(notes["gdsweep.io/trial-id"] == "42");
  CHECK(notes["gdsweep.io/params"] == R"({"train.lr": 0.01})");
  CHECK(notes["owner"] == "me@example.com");
  // The pods carry the same labels, so one pod watch per study finds them.
  CHECK(job["spec"]["template"]["metadata"]["labels"] == labels);
  CHECK(job["metadata"]["name"] ==
        JobName(launch.study_name, launch.trial_number, launch.trial_id, launch.run));
}

TEST_CASE("Job names: deterministic, DNS-1123, at most 63, distinct per study and attempt") {
  const std::string a = JobName("ResNet_Sweep", 7, 42, 2);
  CHECK(a == JobName("ResNet_Sweep", 7, 42, 2));
  CHECK(a.rfind("resnet-sweep-t7-r2-", 0) == 0);
  CHECK(IsDns1123Label(a));
  std::set<std::string> names;
  const std::string long_prefix(120, 'a');
  for (const std::string& study : {long_prefix + "1", long_prefix + "2", std::string("x"),
                                   std::string("X"), std::string("___"), std::string("9.9")}) {
    for (int attempt : {1, 2}) {
      const std::string n = JobName(study, 123456789, 987654321, attempt);
      CHECK_MESSAGE(IsDns1123Label(n), n);
      CHECK(n.size() <= 63);
      names.insert(n);
    }
  }
  CHECK(names.size() == 12);  // "x"/"X" and the long ones differ by their hash
  CHECK(JobName("s", 1, 2, 1) != JobName("s", 1, 3, 1));
  CHECK(JobName("___", 0, 1, 1).rfind("gdsweep-t0-r1-", 0) == 0);
}

TEST_CASE("'$' in a command is escaped so it reaches the program as written") {
  TrialLaunch launch = ManifestLaunch();
  launch.argv = {"sh", "-c", "echo $(HOME) $$ $X"};
  Json job = Render(GpuSpec(), launch);
  CHECK(Container(job)["command"][2] == "echo $$(HOME) $$$$ $$X");
}

TEST_CASE("no timeout: no activeDeadlineSeconds; no namespace: none written") {
  TrialLaunch launch = ManifestLaunch();
  launch.timeout_seconds.reset();
  KubernetesSpec spec;
  spec.image = "busybox";
  spec.backoff_limit = 2;
  Json job = Render(spec, launch, "");
  CHECK_FALSE(job["spec"].contains("activeDeadlineSeconds"));
  CHECK_FALSE(job["metadata"].contains("namespace"));
  CHECK(job["spec"]["backoffLimit"] == 2);
  CHECK_FALSE(Container(job).contains("resources"));
}

constexpr const char* kTemplate = R"({
  "apiVersion": "batch/v1", "kind": "Job",
  "metadata": {"generateName": "x-", "labels": {"from": "template"}},
  "spec": {"template": {"metadata": {"annotations": {"sidecar.istio.io/inject": "false"}},
    "spec": {"containers": [
      {"name": "sidecar", "image": "proxy"},
      {"name": "main", "image": "train:2", "args": ["--old"],
       "env": [{"name": "KEEP", "value": "1"}, {"name": "GDSWEEP_STUDY", "value": "stale"}],
       "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
      "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "d"}}],
      "priorityClassName": "high"}}}})";

TEST_CASE("a Job template: the trial fills the named container; the rest is kept") {
  KubernetesSpec spec;
  spec.job_template_path = "job.yaml";
  spec.job_template_json = kTemplate;
  spec.container = "main";
  spec.labels = {{"team", "nlp"}};
  Json job = Render(spec);
  CHECK(job["metadata"]["name"] == JobName("ResNet_Sweep", 7, 42, 2));
  CHECK_FALSE(job["metadata"].contains("generateName"));
  CHECK(job["metadata"]["labels"]["from"] == "template");
  CHECK(job["metadata"]["labels"]["team"] == "nlp");
  CHECK(job["metadata"]["labels"]["gdsweep.io/trial"] == "7");
  CHECK(job["spec"]["backoffLimit"] == 0);
  const Json& pod = job["spec"]["template"]["spec"];
  CHECK(pod["restartPolicy"] == "Never");
  CHECK(pod["priorityClassName"] == "high");
  CHECK(job["spec"]["template"]["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false");
  CHECK(job["spec"]["template"]["metadata"]["labels"]["gdsweep.io/study"] == "ResNet_Sweep");
  CHECK(pod["containers"][0] == Json::parse(R"({"name":"sidecar","image":"proxy"})"));
  const Json& main = pod["containers"][1];
  CHECK(main["image"] == "train:2");
  CHECK(main["command"][0] == "python3");
  CHECK_FALSE(main.contains("args"));
  CHECK(EnvNamed(main, "KEEP")["value"] == "1");
  CHECK(EnvNamed(main, "GDSWEEP_STUDY")["value"] == "ResNet_Sweep");
  int study_vars = 0;
  for (const auto& e : main["env"]) study_vars += e["name"] == "GDSWEEP_STUDY" ? 1 : 0;
  CHECK(study_vars == 1);
  CHECK(main["volumeMounts"].size() == 2);
  CHECK(pod["volumes"].size() == 2);
}

TEST_CASE("a template without the named container is an error naming the file") {
  KubernetesSpec spec;
  spec.job_template_path = "job.yaml";
  spec.job_template_json = kTemplate;
  spec.container = "trainer";
  auto text = RenderJobManifest(spec, ManifestLaunch(), "{}", "ml");
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().message == "job.yaml: no container named 'trainer'");
}

TEST_CASE("rendering is a pure function: same inputs, same bytes") {
  CHECK(*RenderJobManifest(GpuSpec(), ManifestLaunch(), "{}", "ml") ==
        *RenderJobManifest(GpuSpec(), ManifestLaunch(), "{}", "ml"));
}

}  // namespace
}  // namespace gdsweep
