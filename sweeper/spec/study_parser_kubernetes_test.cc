// The kubernetes section: every key, Kubernetes' naming rules at the exact
// place, Job template files, and what `backend: kubernetes` asks of the rest
// of the study file.
#include "sweeper/spec/study_parser_kubernetes.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sweeper/spec/study_parser.h"

namespace gdsweep {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKubeStudy = R"(study_name: s
objective: {metric: loss, direction: minimize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
trial:
  command: [python3, train.py, "{lr}"]
  timeout: 10m
backend: kubernetes
)";

constexpr const char* kSection = R"(kubernetes:
  namespace: ml
  context: gke_proj_zone_c
  kubeconfig: ~/.kube/prod
  image: registry.example.com/train:1.4
  image_pull_policy: IfNotPresent
  image_pull_secrets: [regcred]
  service_account: trainer
  working_dir: /workspace
  resources:
    requests: {cpu: 4, memory: 16Gi}
    limits: {memory: 16Gi, nvidia.com/gpu: 1}
  env:
    WANDB_API_KEY: {secret: wandb, key: api-key}
    MODE: {config_map: settings, key: mode, optional: true}
    POD_NAME: {field: metadata.name}
    THREADS: 8
  env_from:
    - {secret: hf-token}
    - {config_map: defaults, prefix: CFG_, optional: true}
  volumes:
    - {name: data, nfs: {server: 10.0.0.5, path: /exports/imagenet}, mount_path: /data, read_only: true}
    - {name: ckpt, pvc: checkpoints, mount_path: /ckpt, sub_path: resnet}
    - {name: shm, empty_dir: {medium: Memory, size_limit: 8Gi}, mount_path: /dev/shm}
    - {name: scratch, empty_dir: , mount_path: /scratch}
  node_selector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4}
  tolerations:
    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    - {key: spot, value: "true", effect: NoExecute, toleration_seconds: 300}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: zone, operator: In, values: [a, b]}]
  priority_class: high
  labels: {team: vision}
  annotations: {owner: me@example.com}
  backoff_limit: 1
  ttl_after_finished: 1h
  on_finish: keep
  on_interrupt: keep
  image_pull_timeout: 2m
  api_patience: 30m
)";

StudySpec ParseKube(const std::string& text) {
  auto r = ParseStudyText(text, "study.yaml");
  if (!r.ok()) FAIL(r.error().message);
  return std::move(r).value();
}

std::string KubeErrorOf(const std::string& text, const std::vector<SetOverride>& sets = {}) {
  auto r = ParseStudyText(text, "study.yaml", sets);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::kInvalidInput);
  return r.error().message;
}

// kKubeStudy with `section` as its kubernetes section.
std::string WithKube(const std::string& section) { return std::string(kKubeStudy) + section; }

TEST_CASE("every key of the section") {
  StudySpec spec = ParseKube(WithKube(kSection));
  CHECK(spec.backend == "kubernetes");
  REQUIRE(spec.kubernetes);
  const KubernetesSpec& k = *spec.kubernetes;
  CHECK(k.namespace_ == "ml");
  CHECK(k.context == "gke_proj_zone_c");
  CHECK(k.kubeconfig == "~/.kube/prod");
  CHECK(k.image == "registry.example.com/train:1.4");
  CHECK(k.image_pull_policy == "IfNotPresent");
  CHECK(k.image_pull_secrets == std::vector<std::string>{"regcred"});
  CHECK(k.service_account == "trainer");
  CHECK(k.working_dir == "/workspace");
  CHECK(k.resources.requests ==
        std::map<std::string, std::string>{{"cpu", "4"}, {"memory", "16Gi"}});
  CHECK(k.resources.limits ==
        std::map<std::string, std::string>{{"memory", "16Gi"}, {"nvidia.com/gpu", "1"}});
  REQUIRE(k.env.size() == 4);
  CHECK(k.env[0] == KubernetesEnvVar{"WANDB_API_KEY", KubernetesEnvVar::Source::kSecret, "",
                                     "wandb", "api-key", false});
  CHECK(k.env[1] == KubernetesEnvVar{"MODE", KubernetesEnvVar::Source::kConfigMap, "", "settings",
                                     "mode", true});
  CHECK(k.env[2] == KubernetesEnvVar{"POD_NAME", KubernetesEnvVar::Source::kField, "metadata.name",
                                     "", "", false});
  CHECK(k.env[3] ==
        KubernetesEnvVar{"THREADS", KubernetesEnvVar::Source::kValue, "8", "", "", false});
  REQUIRE(k.env_from.size() == 2);
  CHECK(k.env_from[1] ==
        KubernetesEnvFrom{KubernetesEnvFrom::Source::kConfigMap, "defaults", "CFG_", true});
  REQUIRE(k.volumes.size() == 4);
  CHECK(k.volumes[0].kind == KubernetesVolume::Kind::kNfs);
  CHECK(k.volumes[0].server == "10.0.0.5");
  CHECK(k.volumes[0].source == "/exports/imagenet");
  CHECK(k.volumes[0].read_only);
  CHECK(k.volumes[1].kind == KubernetesVolume::Kind::kPvc);
  CHECK(k.volumes[1].source == "checkpoints");
  CHECK(k.volumes[1].sub_path == "resnet");
  CHECK(k.volumes[2].medium == "Memory");
  CHECK(k.volumes[2].size_limit == "8Gi");
  CHECK(k.volumes[3].kind == KubernetesVolume::Kind::kEmptyDir);
  CHECK(k.node_selector.at("cloud.google.com/gke-accelerator") == "nvidia-tesla-t4");
  REQUIRE(k.tolerations.size() == 2);
  CHECK(k.tolerations[0] ==
        KubernetesToleration{"nvidia.com/gpu", "Exists", "", "NoSchedule", std::nullopt});
  CHECK(k.tolerations[1] == KubernetesToleration{"spot", "Equal", "true", "NoExecute", 300});
  CHECK(nlohmann::json::parse(
            k.affinity_json)["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                            ["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] ==
        nlohmann::json::parse(R"(["a","b"])"));
  CHECK(k.priority_class == "high");
  CHECK(k.labels.at("team") == "vision");
  CHECK(k.annotations.at("owner") == "me@example.com");
  CHECK(k.backoff_limit == 1);
  CHECK(k.ttl_seconds_after_finished == 3600);
  CHECK_FALSE(k.delete_finished);
  CHECK_FALSE(k.delete_on_interrupt);
  CHECK(k.image_pull_timeout_seconds == 120);
  CHECK(k.api_patience_seconds == 1800);
}

TEST_CASE("defaults: a section with only an image") {
  StudySpec spec = ParseKube(WithKube("kubernetes: {image: busybox}\n"));
  const KubernetesSpec& k = *spec.kubernetes;
  CHECK(k.namespace_.empty());
  CHECK(k.delete_finished);
  CHECK(k.delete_on_interrupt);
  CHECK(k.image_pull_timeout_seconds == 300);
  CHECK(k.api_patience_seconds >= 600);  // as long as a control-plane upgrade
  CHECK_FALSE(k.backoff_limit);
  CHECK_FALSE(k.ttl_seconds_after_finished);
  CHECK(ParseKube(WithKube("kubernetes: {image: b, ttl_after_finished: 0}\n"))
            .kubernetes->ttl_seconds_after_finished == 0);
}

TEST_CASE("--set reaches the section (e.g. a context for this run)") {
  auto r = ParseStudyText(WithKube("kubernetes: {image: busybox}\n"), "study.yaml",
                          {"kubernetes.context=staging", "kubernetes.on_interrupt=keep"});
  REQUIRE(r.ok());
  CHECK(r->kubernetes->context == "staging");
  CHECK_FALSE(r->kubernetes->delete_on_interrupt);
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: busybox}\n"), {"kubernetes.namespace=ML"}) ==
        "--set kubernetes.namespace=ML: kubernetes.namespace: expected a DNS-1123 label "
        "(lower-case letters, digits and '-', starting and ending with a letter or digit, at "
        "most 63 characters), got 'ML'");
}

TEST_CASE("names follow Kubernetes' rules, reported where they are written") {
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, namespace: ML_team}\n")) ==
        "study.yaml:9:35: kubernetes.namespace: expected a DNS-1123 label (lower-case letters, "
        "digits and '-', starting and ending with a letter or digit, at most 63 characters), "
        "got 'ML_team'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, labels: {team: -x}}\n")) ==
        "study.yaml:9:39: kubernetes.labels.team: expected a label value (at most 63 letters, "
        "digits, '-', '_' or '.', starting and ending with a letter or digit), got '-x'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, labels: {gdsweep.io/study: x}}\n")) ==
        "study.yaml:9:33: kubernetes.labels.gdsweep.io/study: the gdsweep.io/ prefix is reserved "
        "for gdsweep's own");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, annotations: {\"a b\": x}}\n"))
            .find("kubernetes.annotations.a b: expected a label key") != std::string::npos);
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, image_pull_secrets: [Reg_Cred]}\n")) ==
        "study.yaml:9:45: kubernetes.image_pull_secrets[0]: expected a DNS-1123 name (lower-case "
        "letters, digits, '-' and '.', at most 253 characters), got 'Reg_Cred'");
  CHECK(
      KubeErrorOf(
          WithKube("kubernetes:\n  image: b\n  volumes: [{name: Data, pvc: c, mount_path: /d}]\n"))
          .rfind("study.yaml:11:20: kubernetes.volumes[0].name: expected a DNS-1123 label", 0) ==
      0);
}

TEST_CASE("resources are quantities") {
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, resources: {limits: {memory: 16GB}}}\n")) ==
        "study.yaml:9:53: kubernetes.resources.limits.memory: expected a quantity such as 2, 500m, "
        "16Gi or 1e3, got '16GB'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, resources: {limit: {cpu: 1}}}\n")) ==
        "study.yaml:9:36: kubernetes.resources.limit: unknown key; did you mean 'limits'?");
}

TEST_CASE("env, env_from, volumes and tolerations say what is wrong") {
  CHECK(KubeErrorOf(WithKube("kubernetes:\n  image: b\n  env: {TOKEN: {secret: t}}\n")) ==
        "study.yaml:11:16: kubernetes.env.TOKEN: missing required key 'key'");
  CHECK(
      KubeErrorOf(
          WithKube("kubernetes:\n  image: b\n  env: {TOKEN: {secret: t, config_map: c, key: k}}\n"))
          .find("give one of 'secret: NAME', 'config_map: NAME'") != std::string::npos);
  CHECK(KubeErrorOf(WithKube("kubernetes:\n  image: b\n  env: {GDSWEEP_X: 1}\n")) ==
        "study.yaml:11:9: kubernetes.env.GDSWEEP_X: the GDSWEEP_ prefix is reserved for the "
        "variables gdsweep sets");
  CHECK(KubeErrorOf(
            WithKube("kubernetes:\n  image: b\n  env_from: [{secret: a, config_map: b}]\n")) ==
        "study.yaml:11:14: kubernetes.env_from[0]: give one of 'secret: NAME' or 'config_map: "
        "NAME'");
  CHECK(
      KubeErrorOf(WithKube("kubernetes:\n  image: b\n  volumes: [{name: d, mount_path: /d}]\n")) ==
      "study.yaml:11:13: kubernetes.volumes[0]: missing the volume's source: one of pvc, nfs, "
      "empty_dir, secret, config_map, host_path");
  CHECK(KubeErrorOf(
            WithKube("kubernetes:\n  image: b\n  volumes: [{name: d, pvc: a, nfs: {server: s, "
                     "path: /p}, mount_path: /d}]\n")) ==
        "study.yaml:11:31: kubernetes.volumes[0].nfs: a volume has one source; 'pvc' is given "
        "already");
  CHECK(KubeErrorOf(WithKube("kubernetes:\n  image: b\n  volumes: [{name: d, nfs: {server: s}, "
                             "mount_path: /d}]\n")) ==
        "study.yaml:11:28: kubernetes.volumes[0].nfs: missing required key 'path'");
  CHECK(KubeErrorOf(WithKube(
            "kubernetes:\n  image: b\n  volumes: [{name: d, pvc: a, mount_path: data}]\n")) ==
        "study.yaml:11:43: kubernetes.volumes[0].mount_path: expected an absolute path in the "
        "container, got 'data'");
  CHECK(KubeErrorOf(WithKube(
            "kubernetes:\n  image: b\n  volumes:\n    - {name: d, pvc: a, mount_path: /d}\n"
            "    - {name: d, pvc: b, mount_path: /e}\n")) ==
        "study.yaml:13:7: kubernetes.volumes[1]: volume name 'd' appears twice");
  CHECK(KubeErrorOf(
            WithKube("kubernetes:\n  image: b\n  tolerations: [{key: k, operator: Exist}]\n")) ==
        "study.yaml:11:36: kubernetes.tolerations[0].operator: expected one of Equal, Exists, got "
        "'Exist'; did you mean 'Exists'?");
  CHECK(KubeErrorOf(
            WithKube("kubernetes:\n  image: b\n  tolerations: [{key: k, operator: Exists, value: "
                     "v}]\n")) ==
        "study.yaml:11:51: kubernetes.tolerations[0].value: operator Exists takes no value");
  CHECK(KubeErrorOf(WithKube("kubernetes:\n  image: b\n  affinity: {nodeAfinity: {}}\n")) ==
        "study.yaml:11:14: kubernetes.affinity.nodeAfinity: unknown key; did you mean "
        "'nodeAffinity'?");
}

TEST_CASE("keys, values and the image: did-you-mean and required") {
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, namespce: ml}\n")) ==
        "study.yaml:9:24: kubernetes.namespce: unknown key; did you mean 'namespace'?");
  CHECK(
      KubeErrorOf(WithKube("kubernetes: {namespace: ml}\n")) ==
      "study.yaml:9:13: kubernetes: missing required key 'image' (or give a 'job_template' file)");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, on_finish: remove}\n")) ==
        "study.yaml:9:35: kubernetes.on_finish: expected one of delete, keep, got 'remove'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, image_pull_policy: always}\n")) ==
        "study.yaml:9:43: kubernetes.image_pull_policy: expected one of Always, IfNotPresent, "
        "Never, got 'always'; did you mean 'Always'?");
}

TEST_CASE("what backend: kubernetes asks of the rest of the study") {
  CHECK(KubeErrorOf(kKubeStudy) ==
        "study.yaml:8:10: backend: 'kubernetes' needs a kubernetes section with at least "
        "kubernetes.image (or kubernetes.job_template)");
  const std::string k = "kubernetes: {image: b}\n";
  std::string text = std::string(kKubeStudy) + k;
  CHECK(KubeErrorOf(text.replace(text.find("  timeout: 10m"), 14, "  result: file")) ==
        "study.yaml:7:11: trial.result: with backend: kubernetes a trial reports its metrics on "
        "stdout (result: file would write a file gdsweep cannot read from the pod)");
  text = std::string(kKubeStudy) + k;
  CHECK(KubeErrorOf(text.replace(text.find("  timeout: 10m"), 14, "  working_dir: work")) ==
        "study.yaml:7:16: trial.working_dir: is a folder on this machine; for the folder in the "
        "container use kubernetes.working_dir");
  text = std::string(kKubeStudy) + k;
  CHECK(KubeErrorOf(text.replace(text.find("\"{lr}\""), 6, "\"{trial.dir}/x\"")) ==
        "study.yaml:6:32: trial.command[2]: {trial.dir} is a folder on the machine running "
        "gdsweep, which a Kubernetes pod cannot see; parameters are in $GDSWEEP_PARAMS_FILE");
  text = std::string(kKubeStudy) + "  env: {MODE: a}\n";
  const std::string moved = "backend: kubernetes\n  env: {MODE: a}\n";
  text.replace(text.find(moved), moved.size(), "  env: {MODE: a}\nbackend: kubernetes\n");
  CHECK(KubeErrorOf(text + "kubernetes:\n  image: b\n  env: {MODE: {config_map: c, key: k}}\n") ==
        "study.yaml:12:9: kubernetes.env.MODE: is set in trial.env too; set it in one place");
  // A local study may keep a kubernetes section (switch with --set backend=kubernetes).
  std::string local = std::string(kKubeStudy) + k;
  local.replace(local.find("backend: kubernetes"), 19, "backend: local");
  CHECK(ParseKube(local).kubernetes->image == "b");
  // ... or only a part of one, such as a context set for every run.
  local.replace(local.find("kubernetes: {image: b}"), 22, "kubernetes: {context: x}");
  CHECK(ParseKube(local).kubernetes->context == "x");
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "gdsweep-parser-k8s-XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

constexpr const char* kTemplate = R"(apiVersion: batch/v1
kind: Job
metadata:
  namespace: research
  labels: {from: template}
spec:
  backoffLimit: 2
  template:
    spec:
      priorityClassName: high
      containers:
        - name: sidecar
          image: proxy
        - name: trainer
          image: train:2
          env: [{name: THREADS, value: "8"}]
)";

TEST_CASE("a Job template file, relative to the study file") {
  TempDir dir;
  dir.Write("job.yaml", kTemplate);
  const std::string study = dir.Write(
      "study.yaml", WithKube("kubernetes: {job_template: job.yaml, container: trainer}\n"));
  auto spec = ParseStudyFile(study);
  REQUIRE_MESSAGE(spec.ok(), spec.error().message);
  const KubernetesSpec& k = *spec->kubernetes;
  CHECK(k.job_template_path == (dir.path / "job.yaml").string());
  CHECK(k.container == "trainer");
  CHECK(k.namespace_ == "research");  // taken from the template
  auto j = nlohmann::json::parse(k.job_template_json);
  CHECK(j["spec"]["backoffLimit"] == 2);
  CHECK(j["spec"]["template"]["spec"]["containers"][1]["env"][0]["value"] ==
        "8");  // quoted: string

  const std::string first =
      dir.Write("s2.yaml", WithKube("kubernetes: {job_template: job.yaml}\n"));
  CHECK(ParseStudyFile(first)->kubernetes->container == "sidecar");
}

TEST_CASE("Job template errors name the template file, or the key beside it") {
  TempDir dir;
  dir.Write("job.yaml", kTemplate);
  auto error_of = [&](const std::string& section) {
    auto r = ParseStudyFile(dir.Write("study.yaml", WithKube(section)));
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  const std::string study = (dir.path / "study.yaml").string();
  const std::string job = (dir.path / "job.yaml").string();
  CHECK(error_of("kubernetes: {job_template: job.yaml, container: main}\n") ==
        job + ": no container named 'main' (containers: sidecar, trainer)");
  CHECK(error_of("kubernetes: {job_template: job.yaml, resources: {limits: {cpu: 1}}}\n") ==
        study +
            ":9:38: kubernetes.resources: with a job_template, set this in the template file "
            "instead");
  CHECK(error_of("kubernetes: {job_template: job.yaml, namespace: other}\n") ==
        job +
            ":4:14: metadata.namespace: the template says 'research' but kubernetes.namespace "
            "is 'other'");
  CHECK(error_of("kubernetes: {job_template: nope.yaml}\n") ==
        study + ":9:28: kubernetes.job_template: " + (dir.path / "nope.yaml").string() +
            ": cannot read the Job template: No such file or directory");
  dir.Write("pod.yaml", "apiVersion: v1\nkind: Pod\n");
  CHECK(error_of("kubernetes: {job_template: pod.yaml}\n") ==
        (dir.path / "pod.yaml").string() + ":1:13: apiVersion: expected batch/v1, got 'v1'");
  dir.Write("empty.yaml", "apiVersion: batch/v1\nkind: Job\nspec: {template: {spec: {}}}\n");
  CHECK(error_of("kubernetes: {job_template: empty.yaml}\n") ==
        (dir.path / "empty.yaml").string() +
            ": spec.template.spec.containers: a Job template needs at least one container");
  dir.Write("bad.yaml", "spec: [\n");
  CHECK(error_of("kubernetes: {job_template: bad.yaml}\n")
            .rfind((dir.path / "bad.yaml").string() + ":", 0) == 0);
}

TEST_CASE("kind: indexed_job with pods and metrics_from") {
  StudySpec spec =
      ParseKube(WithKube("kubernetes: {image: b, kind: indexed_job, pods: 4, metrics_from: 2}\n"));
  REQUIRE(spec.kubernetes);
  CHECK(spec.kubernetes->kind == KubernetesSpec::Kind::kIndexedJob);
  CHECK(spec.kubernetes->pods == 4);
  CHECK(spec.kubernetes->metrics_from == "2");
  StudySpec plain = ParseKube(WithKube("kubernetes: {image: b}\n"));
  CHECK(plain.kubernetes->kind == KubernetesSpec::Kind::kJob);
  CHECK(plain.kubernetes->pods == 1);
  CHECK(plain.kubernetes->metrics_from.empty());
}

TEST_CASE("kind, pods and metrics_from are checked where they are written") {
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: indexed-job, pods: 2}\n")) ==
        "study.yaml:9:30: kubernetes.kind: expected one of job, indexed_job, tfjob, pytorchjob, "
        "jobset, custom, got 'indexed-job'; did you mean 'indexed_job'?");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: indexed_job}\n")) ==
        "study.yaml:9:30: kubernetes.kind: indexed_job needs kubernetes.pods: how many pods run "
        "each trial");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, pods: 2}\n")) ==
        "study.yaml:9:24: kubernetes.pods: is for kind: indexed_job (tfjob and pytorchjob take "
        "replicas, jobset replicated_jobs)");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: indexed_job, pods: 0}\n")) ==
        "study.yaml:9:49: kubernetes.pods: expected a whole number from 1 to 10000, got '0'");
  CHECK(KubeErrorOf(
            WithKube("kubernetes: {image: b, kind: indexed_job, pods: 2, metrics_from: 2}\n")) ==
        "study.yaml:9:66: kubernetes.metrics_from: expected a pod index from 0 to 1, got '2'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, metrics_from: 0}\n")) ==
        "study.yaml:9:24: kubernetes.metrics_from: is for multi-pod kinds (this trial is one pod, "
        "whose log is read)");
}

TEST_CASE("kind: tfjob and pytorchjob take replicas per type and a replica for the metrics") {
  StudySpec tf = ParseKube(
      WithKube("kubernetes: {image: b, kind: tfjob, replicas: {worker: 4, ps: 2}, metrics_from: "
               "worker-3}\n"));
  CHECK(tf.kubernetes->kind == KubernetesSpec::Kind::kTfJob);
  CHECK(tf.kubernetes->replicas == std::map<std::string, int>{{"ps", 2}, {"worker", 4}});
  CHECK(tf.kubernetes->metrics_from == "worker-3");
  StudySpec pt = ParseKube(
      WithKube("kubernetes: {image: b, kind: pytorchjob, replicas: {master: 1, worker: 3}}\n"));
  CHECK(pt.kubernetes->kind == KubernetesSpec::Kind::kPyTorchJob);
  CHECK(pt.kubernetes->metrics_from.empty());  // the kind's own: master-0
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: pytorchjob}\n")) ==
        "study.yaml:9:30: kubernetes.kind: needs kubernetes.replicas, e.g. {master: 1, worker: 3}");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: pytorchjob, replicas: {ps: 1}}\n")) ==
        "study.yaml:9:53: kubernetes.replicas.ps: not a replica type of this kind (master, "
        "worker)");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: tfjob, replicas: {chief: 2}}\n")) ==
        "study.yaml:9:55: kubernetes.replicas.chief: expected 1 (there is one chief), got '2'");
  CHECK(KubeErrorOf(
            WithKube("kubernetes: {image: b, kind: tfjob, replicas: {worker: 2}, metrics_from: "
                     "worker-2}\n")) ==
        "study.yaml:9:74: kubernetes.metrics_from: expected a replica of this trial as "
        "<type>-<index> (such as worker-0), got 'worker-2'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, replicas: {worker: 2}}\n")) ==
        "study.yaml:9:24: kubernetes.replicas: is for kind: tfjob or pytorchjob");
}

TEST_CASE("kind: jobset takes replicated jobs in order and a pod for the metrics") {
  StudySpec js = ParseKube(
      WithKube("kubernetes:\n  image: b\n  kind: jobset\n  replicated_jobs:\n    - {name: leader}\n"
               "    - {name: workers, replicas: 2, pods: 4}\n  metrics_from: workers-1-3\n"));
  CHECK(js.kubernetes->kind == KubernetesSpec::Kind::kJobSet);
  CHECK(js.kubernetes->replicated_jobs ==
        std::vector<KubernetesReplicatedJob>{{"leader", 1, 1}, {"workers", 2, 4}});
  CHECK(js.kubernetes->metrics_from == "workers-1-3");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: jobset}\n")) ==
        "study.yaml:9:30: kubernetes.kind: jobset needs kubernetes.replicated_jobs, e.g. [{name: "
        "workers, replicas: 2, pods: 4}]");
  CHECK(KubeErrorOf(
            WithKube("kubernetes: {image: b, kind: jobset, replicated_jobs: [{name: w, pods: 0}]}"
                     "\n")) ==
        "study.yaml:9:72: kubernetes.replicated_jobs[0].pods: expected a "
        "whole number from 1 to 10000, got '0'");
  CHECK(KubeErrorOf(WithKube(
            "kubernetes: {image: b, kind: jobset, replicated_jobs: [{name: w}, {name: "
            "w}]}\n")) == "study.yaml:9:74: kubernetes.replicated_jobs[1].name: 'w' is used twice");
  CHECK(
      KubeErrorOf(WithKube("kubernetes: {image: b, kind: jobset, replicated_jobs: [{name: W}]}\n"))
          .find("kubernetes.replicated_jobs[0].name: expected a DNS-1123 label") !=
      std::string::npos);
  CHECK(KubeErrorOf(
            WithKube("kubernetes: {image: b, kind: jobset, replicated_jobs: [{name: w, pods: 2}], "
                     "metrics_from: w-0-2}\n")) ==
        "study.yaml:9:91: kubernetes.metrics_from: expected a pod of this trial as <replicated "
        "job>-<job index>-<pod index> (such as w-0-0), got 'w-0-2'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, replicated_jobs: [{name: w}]}\n")) ==
        "study.yaml:9:24: kubernetes.replicated_jobs: is for kind: jobset");
}

TEST_CASE("kind: custom reads its manifest, its end rules and its metrics pod") {
  TempDir dir;
  dir.Write("rayjob.yaml",
            "apiVersion: ray.io/v1\nkind: RayJob\nspec:\n  rayClusterSpec:\n    headGroupSpec:\n"
            "      template:\n        spec:\n          containers: [{name: head, image: r}]\n");
  const std::string study = dir.Write(
      "study.yaml",
      WithKube("kubernetes:\n  kind: custom\n  container: head\n  custom:\n    manifest: "
               "rayjob.yaml\n    success: {field: status.jobStatus, values: [SUCCEEDED]}\n"
               "    failure: {field: status.jobStatus, values: [FAILED, STOPPED]}\n"
               "    metrics_pod: {labels: {ray.io/node-type: head}}\n"));
  auto spec = ParseStudyFile(study);
  REQUIRE_MESSAGE(spec.ok(), spec.error().message);
  const KubernetesCustomResource& c = spec->kubernetes->custom;
  CHECK(spec->kubernetes->kind == KubernetesSpec::Kind::kCustom);
  CHECK(c.manifest_path == (dir.path / "rayjob.yaml").string());
  CHECK(c.api_version == "ray.io/v1");
  CHECK(c.kind == "RayJob");
  CHECK(c.plural == "rayjobs");
  CHECK(c.success == KubernetesEndRule{"", "status.jobStatus", {"SUCCEEDED"}});
  CHECK(c.failure == KubernetesEndRule{"", "status.jobStatus", {"FAILED", "STOPPED"}});
  CHECK(c.metrics_pod_labels == std::map<std::string, std::string>{{"ray.io/node-type", "head"}});
  CHECK(nlohmann::json::parse(c.manifest_json)["kind"] == "RayJob");

  auto error_of = [&](const std::string& custom, const std::string& extra = "") {
    auto r = ParseStudyFile(dir.Write("s.yaml", WithKube("kubernetes:\n  kind: custom\n" + extra +
                                                         "  custom: " + custom + "\n")));
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  const std::string s = (dir.path / "s.yaml").string();
  CHECK(error_of("{manifest: rayjob.yaml, success: {condition: Complete}}") ==
        s + ":11:11: kubernetes.custom: missing required key 'failure'");
  CHECK(error_of("{manifest: rayjob.yaml, success: {condition: A, field: status.x}, failure: "
                 "{condition: F}}") ==
        s + ":11:44: kubernetes.custom.success: expected either 'condition' (a condition type "
            "whose status is True) or 'field' and 'values' (a field under status and the values "
            "it may hold)");
  CHECK(error_of("{manifest: rayjob.yaml, success: {field: spec.x, values: [a]}, failure: "
                 "{condition: F}}") ==
        s + ":11:52: kubernetes.custom.success.field: expected a dotted path under status, such "
            "as status.phase, got 'spec.x'");
  CHECK(error_of("{manifest: rayjob.yaml, success: {condition: C}, failure: {condition: F}}",
                 "  resources: {limits: {cpu: 1}}\n") ==
        s + ":11:3: kubernetes.resources: with kind: custom, set this in the manifest "
            "(kubernetes.custom.manifest)");
  dir.Write("pod.yaml", "apiVersion: v1\nkind: Pod\n");
  CHECK(error_of("{manifest: pod.yaml, success: {condition: C}, failure: {condition: F}}") ==
        (dir.path / "pod.yaml").string() +
            ":1:13: apiVersion: expected GROUP/VERSION of a custom resource, such as ray.io/v1, "
            "got 'v1'");
  CHECK(KubeErrorOf(WithKube("kubernetes: {image: b, kind: custom}\n")) ==
        "study.yaml:9:30: kubernetes.kind: custom needs kubernetes.custom: {manifest: FILE, "
        "success: ..., failure: ...}");
}

TEST_CASE("kind: custom takes its manifest written in the study file too") {
  TempDir dir;
  const std::string study = dir.Write(
      "study.yaml",
      WithKube("kubernetes:\n  kind: custom\n  container: head\n  custom:\n    manifest:\n"
               "      apiVersion: ray.io/v1\n      kind: RayJob\n      spec:\n        template:\n"
               "          spec: {containers: [{name: head, image: r}]}\n"
               "    success: {condition: Complete}\n    failure: {condition: Failed}\n"));
  auto spec = ParseStudyFile(study);
  REQUIRE_MESSAGE(spec.ok(), spec.error().message);
  const KubernetesCustomResource& c = spec->kubernetes->custom;
  CHECK(c.manifest_path == study + ":14:7");  // where the object is, for messages
  CHECK(c.kind == "RayJob");
  CHECK(nlohmann::json::parse(
            c.manifest_json)["spec"]["template"]["spec"]["containers"][0]["name"] == "head");
  auto bad = ParseStudyFile(dir.Write(
      "s.yaml", WithKube("kubernetes:\n  kind: custom\n  custom:\n    manifest:\n      kind: X\n"
                         "    success: {condition: C}\n    failure: {condition: F}\n")));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("missing required key 'apiVersion'") != std::string::npos);
}

}  // namespace
}  // namespace gdsweep
