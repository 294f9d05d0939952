#include "backends/kubernetes/job_manifest.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "backends/kubernetes/kube_names.h"

namespace gdsweep {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr const char* kParamsVolume = "gdsweep-params";

// Kubernetes expands $(VAR) in command, args and env values; "$$" is a
// literal '$'. Doubling every '$' keeps the text exactly as written.
std::string EscapeDollars(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

OrderedJson IdentityLabels(const KubernetesSpec& spec, const TrialLaunch& launch) {
  OrderedJson labels = OrderedJson::object();
  for (const auto& [k, v] : spec.labels) labels[k] = v;
  labels[kLabelStudy] = LabelSafeValue(launch.study_name);
  labels[kLabelTag] = LabelSafeValue(launch.tag);
  labels[kLabelTrial] = std::to_string(launch.trial_number);
  labels[kLabelAttempt] = std::to_string(launch.attempt);
  labels["app.kubernetes.io/managed-by"] = "gdsweep";
  return labels;
}

OrderedJson IdentityAnnotations(const KubernetesSpec& spec, const TrialLaunch& launch,
                                const std::string& params_json) {
  OrderedJson annotations = OrderedJson::object();
  for (const auto& [k, v] : spec.annotations) annotations[k] = v;
  annotations[kLabelStudy] = launch.study_name;
  annotations[kLabelTag] = launch.tag;
  annotations[kLabelTrial] = std::to_string(launch.trial_number);
  annotations[kLabelAttempt] = std::to_string(launch.attempt);
  annotations[kAnnotationTrialId] = std::to_string(launch.trial_id);
  annotations[kAnnotationRun] = std::to_string(launch.run);
  annotations[kAnnotationParams] = params_json.empty() ? "{}" : params_json;
  return annotations;
}

// `base` with every key of `overlay` set (overlay wins).
void Merge(OrderedJson& base, const OrderedJson& overlay) {
  if (!base.is_object()) base = OrderedJson::object();
  for (auto it = overlay.begin(); it != overlay.end(); ++it) base[it.key()] = it.value();
}

// The trial's own variables: launch.env without the host paths, and the
// parameters file where the pod sees it.
OrderedJson TrialEnv(const TrialLaunch& launch) {
  OrderedJson env = OrderedJson::array();
  for (const auto& [name, value] : launch.env) {
    if (name == "GDSWEEP_TRIAL_DIR" || name == "GDSWEEP_RESULT_FILE" ||
        name == "GDSWEEP_PRUNE_FILE") {
      continue;
    }
    const std::string v = name == "GDSWEEP_PARAMS_FILE" ? kPodParamsFile : value;
    env.push_back({{"name", name}, {"value", EscapeDollars(v)}});
  }
  return env;
}

OrderedJson EnvVar(const KubernetesEnvVar& e) {
  OrderedJson out = {{"name", e.name}};
  switch (e.source) {
    case KubernetesEnvVar::Source::kValue:
      out["value"] = EscapeDollars(e.value);
      break;
    case KubernetesEnvVar::Source::kSecret:
    case KubernetesEnvVar::Source::kConfigMap: {
      OrderedJson ref = {{"name", e.ref_name}, {"key", e.ref_key}};
      if (e.optional) ref["optional"] = true;
      const char* kind =
          e.source == KubernetesEnvVar::Source::kSecret ? "secretKeyRef" : "configMapKeyRef";
      out["valueFrom"] = {{kind, ref}};
      break;
    }
    case KubernetesEnvVar::Source::kField:
      out["valueFrom"] = {{"fieldRef", {{"fieldPath", e.value}}}};
      break;
  }
  return out;
}

OrderedJson EnvFrom(const KubernetesEnvFrom& e) {
  OrderedJson ref = {{"name", e.name}};
  if (e.optional) ref["optional"] = true;
  OrderedJson out = OrderedJson::object();
  if (!e.prefix.empty()) out["prefix"] = e.prefix;
  out[e.source == KubernetesEnvFrom::Source::kSecret ? "secretRef" : "configMapRef"] = ref;
  return out;
}

OrderedJson Volume(const KubernetesVolume& v) {
  OrderedJson out = {{"name", v.name}};
  switch (v.kind) {
    case KubernetesVolume::Kind::kPvc:
      out["persistentVolumeClaim"] = {{"claimName", v.source}};
      if (v.read_only) out["persistentVolumeClaim"]["readOnly"] = true;
      break;
    case KubernetesVolume::Kind::kNfs:
      out["nfs"] = {{"server", v.server}, {"path", v.source}};
      if (v.read_only) out["nfs"]["readOnly"] = true;
      break;
    case KubernetesVolume::Kind::kEmptyDir: {
      OrderedJson dir = OrderedJson::object();
      if (!v.medium.empty()) dir["medium"] = v.medium;
      if (!v.size_limit.empty()) dir["sizeLimit"] = v.size_limit;
      out["emptyDir"] = dir;
      break;
    }
    case KubernetesVolume::Kind::kSecret:
      out["secret"] = {{"secretName", v.source}};
      break;
    case KubernetesVolume::Kind::kConfigMap:
      out["configMap"] = {{"name", v.source}};
      break;
    case KubernetesVolume::Kind::kHostPath:
      out["hostPath"] = {{"path", v.source}};
      break;
  }
  return out;
}

OrderedJson VolumeMount(const KubernetesVolume& v) {
  OrderedJson out = {{"name", v.name}, {"mountPath", v.mount_path}};
  if (!v.sub_path.empty()) out["subPath"] = v.sub_path;
  if (v.read_only) out["readOnly"] = true;
  return out;
}

OrderedJson ParamsVolume() {
  return {{"name", kParamsVolume},
          {"downwardAPI",
           {{"items", OrderedJson::array({{{"path", "params.json"},
                                           {"fieldRef",
                                            {{"fieldPath", std::string("metadata.annotations['") +
                                                               kAnnotationParams + "']"}}}}})}}}};
}

OrderedJson ParamsMount() {
  return {{"name", kParamsVolume}, {"mountPath", "/etc/gdsweep"}, {"readOnly", true}};
}

OrderedJson Toleration(const KubernetesToleration& t) {
  OrderedJson out = OrderedJson::object();
  if (!t.key.empty()) out["key"] = t.key;
  out["operator"] = t.op;
  if (!t.value.empty()) out["value"] = t.value;
  if (!t.effect.empty()) out["effect"] = t.effect;
  if (t.toleration_seconds) out["tolerationSeconds"] = *t.toleration_seconds;
  return out;
}

OrderedJson Resources(const KubernetesResources& r) {
  OrderedJson out = OrderedJson::object();
  if (!r.requests.empty()) out["requests"] = r.requests;
  if (!r.limits.empty()) out["limits"] = r.limits;
  return out;
}

// The pod spec built from the section's own keys (no template).
OrderedJson PodSpecFromKeys(const KubernetesSpec& spec, const TrialLaunch& launch) {
  OrderedJson container = OrderedJson::object();
  container["name"] = TrialContainer(spec);
  container["image"] = spec.image;
  if (!spec.image_pull_policy.empty()) container["imagePullPolicy"] = spec.image_pull_policy;
  OrderedJson command = OrderedJson::array();
  for (const auto& a : launch.argv) command.push_back(EscapeDollars(a));
  container["command"] = command;
  if (!spec.working_dir.empty()) container["workingDir"] = spec.working_dir;
  OrderedJson env = TrialEnv(launch);
  for (const auto& e : spec.env) env.push_back(EnvVar(e));
  container["env"] = env;
  if (!spec.env_from.empty()) {
    OrderedJson env_from = OrderedJson::array();
    for (const auto& e : spec.env_from) env_from.push_back(EnvFrom(e));
    container["envFrom"] = env_from;
  }
  OrderedJson resources = Resources(spec.resources);
  if (!resources.empty()) container["resources"] = resources;
  OrderedJson mounts = OrderedJson::array();
  for (const auto& v : spec.volumes) mounts.push_back(VolumeMount(v));
  mounts.push_back(ParamsMount());
  container["volumeMounts"] = mounts;

  OrderedJson pod = OrderedJson::object();
  pod["restartPolicy"] = "Never";
  if (!spec.service_account.empty()) pod["serviceAccountName"] = spec.service_account;
  if (!spec.image_pull_secrets.empty()) {
    OrderedJson secrets = OrderedJson::array();
    for (const auto& s : spec.image_pull_secrets) secrets.push_back({{"name", s}});
    pod["imagePullSecrets"] = secrets;
  }
  if (!spec.priority_class.empty()) pod["priorityClassName"] = spec.priority_class;
  if (!spec.node_selector.empty()) pod["nodeSelector"] = spec.node_selector;
  if (!spec.tolerations.empty()) {
    OrderedJson tolerations = OrderedJson::array();
    for (const auto& t : spec.tolerations) tolerations.push_back(Toleration(t));
    pod["tolerations"] = tolerations;
  }
  if (!spec.affinity_json.empty()) pod["affinity"] = OrderedJson::parse(spec.affinity_json);
  pod["containers"] = OrderedJson::array({container});
  OrderedJson volumes = OrderedJson::array();
  for (const auto& v : spec.volumes) volumes.push_back(Volume(v));
  volumes.push_back(ParamsVolume());
  pod["volumes"] = volumes;
  return pod;
}

// Puts the trial into the template's pod spec: command, environment, the
// parameters volume. Errors name what the template lacks.
Status FillTemplatePod(OrderedJson& pod, const KubernetesSpec& spec, const TrialLaunch& launch,
                       const std::string& where, bool job = true) {
  if (job && !pod.contains("restartPolicy")) pod["restartPolicy"] = "Never";
  if (!pod.contains("containers") || !pod["containers"].is_array()) {
    return Error::Invalid(where + ": spec.template.spec.containers is missing");
  }
  const std::string name = TrialContainer(spec);
  OrderedJson* container = nullptr;
  for (auto& c : pod["containers"]) {
    if (c.is_object() && c.value("name", "") == name) container = &c;
  }
  if (!container) return Error::Invalid(where + ": no container named '" + name + "'");
  if (!spec.image.empty()) (*container)["image"] = spec.image;
  OrderedJson command = OrderedJson::array();
  for (const auto& a : launch.argv) command.push_back(EscapeDollars(a));
  (*container)["command"] = command;
  container->erase("args");
  OrderedJson ours = TrialEnv(launch);
  OrderedJson env = OrderedJson::array();
  if (container->contains("env") && (*container)["env"].is_array()) {
    for (const auto& e : (*container)["env"]) {
      const std::string n = e.is_object() ? e.value("name", "") : "";
      bool replaced = false;
      for (const auto& o : ours) replaced = replaced || o["name"] == n;
      if (!replaced) env.push_back(e);
    }
  }
  for (const auto& o : ours) env.push_back(o);
  (*container)["env"] = env;
  if (!container->contains("volumeMounts") || !(*container)["volumeMounts"].is_array()) {
    (*container)["volumeMounts"] = OrderedJson::array();
  }
  (*container)["volumeMounts"].push_back(ParamsMount());
  if (!pod.contains("volumes") || !pod["volumes"].is_array()) pod["volumes"] = OrderedJson::array();
  pod["volumes"].push_back(ParamsVolume());
  return {};
}

}  // namespace

std::string JobName(const std::string& study, int64_t number, int64_t trial_id, int run,
                    size_t max_length) {
  const std::string identity = "gdsweep\n" + study + "\n" + std::to_string(number) + "\n" +
                               std::to_string(trial_id) + "\n" + std::to_string(run);
  const std::string suffix =
      "-t" + std::to_string(number) + "-r" + std::to_string(run) + "-" + ShortHash(identity, 10);
  std::string prefix;
  for (char c : study) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) {
      prefix += l;
    } else if (!prefix.empty() && prefix.back() != '-') {
      prefix += '-';
    }
  }
  const size_t room = std::min<size_t>(max_length, 63) - suffix.size();
  if (prefix.size() > room) prefix.resize(room);
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  if (prefix.empty()) prefix = "gdsweep";
  return prefix + suffix;
}

Result<std::string> FillPodTemplate(const KubernetesSpec& spec, const TrialLaunch& launch,
                                    const std::string& params_json,
                                    const std::string& template_json,
                                    const std::map<std::string, std::string>& extra_labels,
                                    const std::string& where, bool* filled) {
  OrderedJson tmpl = OrderedJson::parse(template_json, nullptr, false);
  if (!tmpl.is_object()) return Error::Invalid(where + ": a pod template is not an object");
  OrderedJson& meta = tmpl["metadata"];
  if (!meta.is_object()) meta = OrderedJson::object();
  OrderedJson labels = IdentityLabels(spec, launch);
  for (const auto& [k, v] : extra_labels) labels[k] = v;
  Merge(meta["labels"], labels);
  Merge(meta["annotations"], IdentityAnnotations(spec, launch, params_json));
  OrderedJson& pod = tmpl["spec"];
  *filled = false;
  if (pod.is_object() && pod.contains("containers") && pod["containers"].is_array()) {
    for (const auto& c : pod["containers"]) {
      *filled = *filled || (c.is_object() && c.value("name", "") == TrialContainer(spec));
    }
  }
  if (*filled) {
    if (auto s = FillTemplatePod(pod, spec, launch, where, false); !s) return s.error();
  }
  return tmpl.dump();
}

std::string LetterFirstName(const std::string& name) {
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') return name;
  return "j" + name;
}

std::string WithContainerEnv(const std::string& job_json, const std::string& container,
                             const std::vector<std::pair<std::string, std::string>>& vars) {
  OrderedJson job = OrderedJson::parse(job_json);
  for (auto& c : job["spec"]["template"]["spec"]["containers"]) {
    if (c.value("name", "") != container) continue;
    OrderedJson& env = c["env"];
    if (!env.is_array()) env = OrderedJson::array();
    for (const auto& [name, value] : vars) env.push_back({{"name", name}, {"value", value}});
  }
  return job.dump();
}

std::string StudySelector(const std::string& study) {
  return std::string(kLabelStudy) + "=" + LabelSafeValue(study);
}

std::string TrialContainer(const KubernetesSpec& spec) {
  if (!spec.container.empty()) return spec.container;
  // The training operator finds its containers by these names.
  switch (spec.kind) {
    case KubernetesSpec::Kind::kTfJob:
      return "tensorflow";
    case KubernetesSpec::Kind::kPyTorchJob:
      return "pytorch";
    default:
      return "trial";
  }
}

Result<std::string> RenderJobManifest(const KubernetesSpec& spec, const TrialLaunch& launch,
                                      const std::string& params_json,
                                      const std::string& namespace_) {
  if (launch.argv.empty()) return Error::Internal("the trial has an empty command");
  const std::string name =
      JobName(launch.study_name, launch.trial_number, launch.trial_id, launch.run);
  const OrderedJson labels = IdentityLabels(spec, launch);
  const OrderedJson annotations = IdentityAnnotations(spec, launch, params_json);
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    if (!IsLabelKey(it.key()) || !IsLabelValue(it.value().get<std::string>())) {
      return Error::Invalid("invalid label " + it.key() + "=" + it.value().get<std::string>());
    }
  }

  OrderedJson job;
  OrderedJson pod;
  if (!spec.job_template_json.empty()) {
    job = OrderedJson::parse(spec.job_template_json, nullptr, false);
    if (!job.is_object()) return Error::Invalid(spec.job_template_path + ": not a Job object");
    pod = job["spec"]["template"]["spec"];
    if (auto s = FillTemplatePod(pod, spec, launch, spec.job_template_path); !s) return s.error();
  } else {
    job = OrderedJson::object();
    pod = PodSpecFromKeys(spec, launch);
  }
  job["apiVersion"] = "batch/v1";
  job["kind"] = "Job";
  // The name (and namespace) first, then what the template had.
  OrderedJson meta = {{"name", name}};
  if (!namespace_.empty()) meta["namespace"] = namespace_;
  if (job.contains("metadata") && job["metadata"].is_object()) {
    for (auto it = job["metadata"].begin(); it != job["metadata"].end(); ++it) {
      if (it.key() != "name" && it.key() != "generateName" && it.key() != "namespace") {
        meta[it.key()] = it.value();
      }
    }
  }
  Merge(meta["labels"], labels);
  Merge(meta["annotations"], annotations);
  job["metadata"] = meta;

  OrderedJson& jspec = job["spec"];
  if (!jspec.is_object()) jspec = OrderedJson::object();
  if (spec.backoff_limit) {
    jspec["backoffLimit"] = *spec.backoff_limit;
  } else if (!jspec.contains("backoffLimit")) {
    jspec["backoffLimit"] = 0;  // retries are gdsweep's (trial.retries)
  }
  if (launch.timeout_seconds) {
    jspec["activeDeadlineSeconds"] =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(*launch.timeout_seconds)));
  }
  if (spec.ttl_seconds_after_finished) {
    jspec["ttlSecondsAfterFinished"] = *spec.ttl_seconds_after_finished;
  }
  OrderedJson& tmeta = jspec["template"]["metadata"];
  if (!tmeta.is_object()) tmeta = OrderedJson::object();
  Merge(tmeta["labels"], labels);
  Merge(tmeta["annotations"], annotations);
  jspec["template"]["spec"] = pod;
  return job.dump();
}

}  // namespace gdsweep
