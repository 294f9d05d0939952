// KubernetesSpec: the `kubernetes` section of a study file after parsing and
// validation (docs/kubernetes.md): where the cluster is, what each trial's Job
// looks like (image, resources, env, volumes, scheduling), or a Job template
// file to fill in, and what happens to finished and interrupted Jobs. Plain
// values with their defaults; only the parser sees YAML. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gdsweep {

// One environment variable of the trial's container beyond trial.env: a
// literal value, or a key of a Secret or ConfigMap, or a field of the pod.
struct KubernetesEnvVar {
  enum class Source { kValue, kSecret, kConfigMap, kField };
  std::string name;
  Source source = Source::kValue;
  std::string value;      // kValue: the value; kField: the fieldPath (metadata.name, ...)
  std::string ref_name;   // kSecret/kConfigMap: the object's name
  std::string ref_key;    // kSecret/kConfigMap: the key in it
  bool optional = false;  // kSecret/kConfigMap: a missing object or key is not an error
  friend bool operator==(const KubernetesEnvVar&, const KubernetesEnvVar&) = default;
};

// Every key of a Secret or ConfigMap as environment variables (envFrom).
struct KubernetesEnvFrom {
  enum class Source { kSecret, kConfigMap };
  Source source = Source::kSecret;
  std::string name;
  std::string prefix;  // prepended to every variable name
  bool optional = false;
  friend bool operator==(const KubernetesEnvFrom&, const KubernetesEnvFrom&) = default;
};

// A volume of the pod and where the trial's container mounts it.
struct KubernetesVolume {
  enum class Kind { kPvc, kNfs, kEmptyDir, kSecret, kConfigMap, kHostPath };
  std::string name;  // DNS-1123 label
  Kind kind = Kind::kEmptyDir;
  std::string source;      // kPvc: claim; kSecret/kConfigMap: object; kHostPath/kNfs: path
  std::string server;      // kNfs: the NFS server
  std::string medium;      // kEmptyDir: "" (node disk) or "Memory"
  std::string size_limit;  // kEmptyDir: a quantity, empty for none
  std::string mount_path;  // absolute path in the container
  std::string sub_path;    // mount only this path of the volume
  bool read_only = false;
  friend bool operator==(const KubernetesVolume&, const KubernetesVolume&) = default;
};

// A toleration of node taints, as Kubernetes spells it.
struct KubernetesToleration {
  std::string key;
  std::string op = "Equal";  // "Equal" or "Exists"
  std::string value;
  std::string effect;  // "", "NoSchedule", "PreferNoSchedule" or "NoExecute"
  std::optional<int64_t> toleration_seconds;
  friend bool operator==(const KubernetesToleration&, const KubernetesToleration&) = default;
};

struct KubernetesResources {
  // resource name -> quantity as Kubernetes writes it ("500m", "16Gi", "1").
  std::map<std::string, std::string> requests;
  std::map<std::string, std::string> limits;  // "nvidia.com/gpu": "1" asks for a GPU
  friend bool operator==(const KubernetesResources&, const KubernetesResources&) = default;
};

// One replicated Job of a JobSet: `replicas` Indexed Jobs of `pods` pods.
struct KubernetesReplicatedJob {
  std::string name;  // DNS-1123 label
  int replicas = 1;
  int pods = 1;
  friend bool operator==(const KubernetesReplicatedJob&, const KubernetesReplicatedJob&) = default;
};

// When a custom resource has ended well or badly: a condition of
// status.conditions with status "True", or a field (a dotted path under
// status) holding one of `values`.
struct KubernetesEndRule {
  std::string condition;  // a condition type, or empty when `field` is used
  std::string field;      // "status.phase"
  std::vector<std::string> values;
  friend bool operator==(const KubernetesEndRule&, const KubernetesEndRule&) = default;
};

// kind: custom: any resource, from a manifest template.
struct KubernetesCustomResource {
  std::string manifest_path;  // as resolved from the study file's folder
  std::string manifest_json;  // the file's object as JSON text
  std::string api_version;    // "group/version" of the manifest
  std::string kind;           // its kind
  std::string plural;         // the resource; empty in the file: kind lower-cased + "s"
  KubernetesEndRule success;
  KubernetesEndRule failure;
  // Labels (besides the trial's) of the pod whose log holds the metrics.
  std::map<std::string, std::string> metrics_pod_labels;
  // Where the study file said it, for messages ("study.yaml:12:5").
  std::string location;
  friend bool operator==(const KubernetesCustomResource&,
                         const KubernetesCustomResource&) = default;
};

struct KubernetesSpec {
  // What one trial is (docs/kubernetes.md, "Multi-pod trials"): a batch/v1
  // Job with one pod; an Indexed Job of `pods` pods (completions =
  // parallelism = pods) with a headless Service so they find each other; a
  // Kubeflow TFJob or PyTorchJob (kubeflow.org/v1) of `replicas`; a JobSet
  // (jobset.x-k8s.io/v1alpha2) of `replicated_jobs`; or any custom resource.
  enum class Kind { kJob, kIndexedJob, kTfJob, kPyTorchJob, kJobSet, kCustom };
  Kind kind = Kind::kJob;
  int pods = 1;  // kIndexedJob: how many pods run the trial together
  // kTfJob/kPyTorchJob: replica type as the study file writes it (lower
  // case: chief, ps, worker, evaluator, master) -> how many.
  std::map<std::string, int> replicas;
  // kJobSet: in the study file's order.
  std::vector<KubernetesReplicatedJob> replicated_jobs;
  KubernetesCustomResource custom;  // kCustom
  // The replica whose log holds the trial's metrics; empty: the kind's own
  // (pod index "0" of an Indexed Job, "chief-0", "master-0" or "worker-0" of
  // a TFJob, "master-0" of a PyTorchJob, "<first replicated job>-0-0" of a
  // JobSet). Every replica's log is kept.
  std::string metrics_from;

  // Where the cluster is. Empty kubeconfig: $KUBECONFIG, else ~/.kube/config,
  // else the in-cluster service account. Empty context: current-context.
  std::string kubeconfig;
  std::string context;
  std::string namespace_;  // empty: the context's namespace, else "default"

  // The trial's container, when no job_template is given.
  std::string image;              // required without job_template
  std::string image_pull_policy;  // "", "Always", "IfNotPresent" or "Never"
  std::vector<std::string> image_pull_secrets;
  std::string service_account;
  std::string working_dir;  // in the container; empty: the image's
  KubernetesResources resources;
  std::vector<KubernetesEnvVar> env;
  std::vector<KubernetesEnvFrom> env_from;
  std::vector<KubernetesVolume> volumes;
  std::map<std::string, std::string> node_selector;
  std::vector<KubernetesToleration> tolerations;
  std::string affinity_json;  // Kubernetes' Affinity object as JSON text; empty: none
  std::string priority_class;

  // Instead of the keys above: a batch/v1 Job (YAML file) into which gdsweep
  // puts the trial's name, labels, annotations, command and environment.
  std::string job_template_path;  // as resolved from the study file's folder
  std::string job_template_json;  // the file's Job as JSON text
  std::string container;          // the template's container that runs the trial; empty: the first

  // Added to the Job and its pods (besides gdsweep.io/*).
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  std::optional<int> backoff_limit;                   // none: 0 (gdsweep retries: trial.retries)
  std::optional<int64_t> ttl_seconds_after_finished;  // none: unset

  // A finished trial's Job: deleted once its result is read (pods and logs
  // too), or kept for `kubectl logs` (until ttl_seconds_after_finished).
  bool delete_finished = true;
  // Ctrl-C: delete the running Jobs (and requeue their trials), or keep them
  // running for a later `gdsweep run` to re-attach.
  bool delete_on_interrupt = true;
  // A pod whose image cannot be pulled (ErrImagePull, ImagePullBackOff, ...)
  // for this long fails its trial.
  double image_pull_timeout_seconds = 300;
  // How long the API may stay unreachable (or answer only 429/5xx) before
  // gdsweep gives up: meanwhile requests are retried with capped exponential
  // back-off and running trials are left alone; after it, the trials it
  // follows end as interrupted and the run stops. As long as a control-plane
  // upgrade may take.
  double api_patience_seconds = 600;

  friend bool operator==(const KubernetesSpec&, const KubernetesSpec&) = default;
};

}  // namespace gdsweep
