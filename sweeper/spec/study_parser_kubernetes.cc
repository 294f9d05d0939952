#include "sweeper/spec/study_parser_kubernetes.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sweeper/spec/placeholders.h"
#include "sweeper/spec/study_parser_kubernetes_kind.h"
#include "sweeper/spec/study_parser_kubernetes_pod.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kKeys = {"kind",
                                        "pods",
                                        "replicas",
                                        "replicated_jobs",
                                        "custom",
                                        "metrics_from",
                                        "kubeconfig",
                                        "context",
                                        "namespace",
                                        "image",
                                        "image_pull_policy",
                                        "image_pull_secrets",
                                        "service_account",
                                        "working_dir",
                                        "resources",
                                        "env",
                                        "env_from",
                                        "volumes",
                                        "node_selector",
                                        "tolerations",
                                        "affinity",
                                        "priority_class",
                                        "job_template",
                                        "container",
                                        "labels",
                                        "annotations",
                                        "backoff_limit",
                                        "ttl_after_finished",
                                        "on_finish",
                                        "on_interrupt",
                                        "image_pull_timeout",
                                        "api_patience"};

// Keys that shape the pod: with a job_template they belong in the template.
const std::vector<std::string> kPodKeys = {"image_pull_policy", "image_pull_secrets",
                                           "service_account",   "working_dir",
                                           "resources",         "env",
                                           "env_from",          "volumes",
                                           "node_selector",     "tolerations",
                                           "affinity",          "priority_class"};

constexpr const char* kPath = "kubernetes";

std::string P(const std::string& key) { return KubePath(key); }

Status ReadJobTemplate(const YamlNode& value, const std::string& study_file, KubernetesSpec& spec) {
  const std::string path = P("job_template");
  auto rel = ReadString(value, path);
  if (!rel) return rel.error();
  fs::path file(*rel);
  if (file.is_relative()) file = fs::path(study_file).parent_path() / file;
  spec.job_template_path = file.lexically_normal().string();
  auto text = ReadYamlFile(spec.job_template_path, "Job template");
  if (!text) return ErrorAt(value.location, path, text.error().message);
  auto root = ReadYaml(*text, spec.job_template_path);
  if (!root) return root.error();
  const std::string& src = spec.job_template_path;
  if (!root->IsMapping()) return ErrorAt(root->location, "", "a Job template is a batch/v1 Job");
  if (const YamlNode* v = FindValue(*root, "apiVersion"); v && v->scalar != "batch/v1") {
    return ErrorAt(v->location, "apiVersion", "expected batch/v1, got " + Describe(*v));
  }
  if (const YamlNode* v = FindValue(*root, "kind"); v && v->scalar != "Job") {
    return ErrorAt(v->location, "kind", "expected Job, got " + Describe(*v));
  }
  const YamlNode* job_spec = FindValue(*root, "spec");
  const YamlNode* tmpl =
      job_spec && job_spec->IsMapping() ? FindValue(*job_spec, "template") : nullptr;
  const YamlNode* pod = tmpl && tmpl->IsMapping() ? FindValue(*tmpl, "spec") : nullptr;
  const YamlNode* containers = pod && pod->IsMapping() ? FindValue(*pod, "containers") : nullptr;
  if (!containers || !containers->IsSequence() || containers->items.empty()) {
    return Error::Invalid(src +
                          ": spec.template.spec.containers: a Job template needs at least "
                          "one container");
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < containers->items.size(); ++i) {
    const YamlNode& c = containers->items[i];
    const YamlNode* n = c.IsMapping() ? FindValue(c, "name") : nullptr;
    if (!n) {
      return ErrorAt(c.location, IndexPath("spec.template.spec.containers", i),
                     "a container needs a name");
    }
    names.push_back(n->scalar);
  }
  if (spec.container.empty()) spec.container = names[0];
  if (std::find(names.begin(), names.end(), spec.container) == names.end()) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    return Error::Invalid(src + ": no container named '" + spec.container +
                          "' (containers: " + all + ")");
  }
  const YamlNode* meta = FindValue(*root, "metadata");
  if (const YamlNode* ns = meta && meta->IsMapping() ? FindValue(*meta, "namespace") : nullptr) {
    if (spec.namespace_.empty()) {
      spec.namespace_ = ns->scalar;
    } else if (spec.namespace_ != ns->scalar) {
      return ErrorAt(ns->location, "metadata.namespace",
                     "the template says '" + ns->scalar + "' but kubernetes.namespace is '" +
                         spec.namespace_ + "'");
    }
  }
  auto json = YamlNodeToJson(*root, "");
  if (!json) return json.error();
  spec.job_template_json = *json;
  return {};
}

// A duration that may be 0 (ttl_after_finished: 0 deletes at once).
Result<int64_t> ReadSecondsOrZero(const YamlNode& node, const std::string& path) {
  if (node.IsScalar() && !node.quoted && node.scalar == "0") return int64_t{0};
  auto d = ReadDuration(node, path);
  if (!d) return d.error();
  return static_cast<int64_t>(std::ceil(*d));
}

Status ReadSimpleKeys(const YamlNode& node, KubernetesSpec& k) {
  for (const auto& [key, target] :
       {std::pair<const char*, std::string*>{"kubeconfig", &k.kubeconfig},
        {"context", &k.context},
        {"image", &k.image},
        {"working_dir", &k.working_dir}}) {
    if (const YamlNode* v = FindValue(node, key)) {
      auto s = ReadString(*v, P(key));
      if (!s) return s.error();
      if (s->empty()) return ErrorAt(v->location, P(key), "must not be empty");
      *target = *s;
    }
  }
  if (const YamlNode* v = FindValue(node, "namespace")) {
    auto ns = ReadKubeName(*v, P("namespace"), KubeNameRule::kDnsLabel);
    if (!ns) return ns.error();
    k.namespace_ = *ns;
  }
  if (const YamlNode* v = FindValue(node, "container")) {
    auto c = ReadKubeName(*v, P("container"), KubeNameRule::kDnsLabel);
    if (!c) return c.error();
    k.container = *c;
  }
  for (const auto& [key, target] :
       {std::pair<const char*, std::string*>{"service_account", &k.service_account},
        {"priority_class", &k.priority_class}}) {
    if (const YamlNode* v = FindValue(node, key)) {
      auto s = ReadKubeName(*v, P(key), KubeNameRule::kDnsSubdomain);
      if (!s) return s.error();
      *target = *s;
    }
  }
  if (const YamlNode* v = FindValue(node, "image_pull_policy")) {
    auto p = ReadEnum(*v, P("image_pull_policy"), {"Always", "IfNotPresent", "Never"});
    if (!p) return p.error();
    k.image_pull_policy = *p;
  }
  if (const YamlNode* v = FindValue(node, "image_pull_secrets")) {
    if (auto s = ExpectList(*v, P("image_pull_secrets")); !s) return s.error();
    for (size_t i = 0; i < v->items.size(); ++i) {
      auto s = ReadKubeName(v->items[i], IndexPath(P("image_pull_secrets"), i),
                            KubeNameRule::kDnsSubdomain);
      if (!s) return s.error();
      k.image_pull_secrets.push_back(*s);
    }
  }
  if (const YamlNode* v = FindValue(node, "backoff_limit")) {
    auto n = ReadIntIn(*v, P("backoff_limit"), 0, 1000000, "a non-negative whole number");
    if (!n) return n.error();
    k.backoff_limit = static_cast<int>(*n);
  }
  if (const YamlNode* v = FindValue(node, "ttl_after_finished")) {
    auto t = ReadSecondsOrZero(*v, P("ttl_after_finished"));
    if (!t) return t.error();
    k.ttl_seconds_after_finished = *t;
  }
  if (const YamlNode* v = FindValue(node, "image_pull_timeout")) {
    auto t = ReadDuration(*v, P("image_pull_timeout"));
    if (!t) return t.error();
    k.image_pull_timeout_seconds = *t;
  }
  if (const YamlNode* v = FindValue(node, "api_patience")) {
    auto t = ReadDuration(*v, P("api_patience"));
    if (!t) return t.error();
    k.api_patience_seconds = *t;
  }
  for (const auto& [key, target] : {std::pair<const char*, bool*>{"on_finish", &k.delete_finished},
                                    {"on_interrupt", &k.delete_on_interrupt}}) {
    if (const YamlNode* v = FindValue(node, key)) {
      auto e = ReadEnum(*v, P(key), {"delete", "keep"});
      if (!e) return e.error();
      *target = *e == "delete";
    }
  }
  return {};
}

const YamlNode* TrialValue(const YamlNode& root, const char* key) {
  const YamlNode* trial = FindValue(root, "trial");
  return trial && trial->IsMapping() ? FindValue(*trial, key) : nullptr;
}

Status CheckNoTrialDir(const YamlNode& node, const std::string& path) {
  if (node.IsScalar()) {
    for (const auto& p : ScanPlaceholders(node.scalar).placeholders) {
      if (p.name == "trial.dir") {
        return ErrorAt(node.location, path,
                       "{trial.dir} is a folder on the machine running gdsweep, which a "
                       "Kubernetes pod cannot see; parameters are in $GDSWEEP_PARAMS_FILE");
      }
    }
  }
  return {};
}

Status CheckStudyForKubernetes(const YamlNode& root, const StudySpec& spec) {
  if (!spec.kubernetes) {
    const YamlNode* backend = FindValue(root, "backend");
    return ErrorAt(backend ? backend->location : root.location, "backend",
                   "'kubernetes' needs a kubernetes section with at least kubernetes.image (or "
                   "kubernetes.job_template)");
  }
  const YamlNode* section = FindValue(root, "kubernetes");
  if (spec.kubernetes->image.empty() && spec.kubernetes->job_template_path.empty() &&
      spec.kubernetes->kind != KubernetesSpec::Kind::kCustom) {
    return ErrorAt(section ? section->location : root.location, kPath,
                   "missing required key 'image' (or give a 'job_template' file)");
  }
  if (spec.trial.result_source == ResultSource::kFile) {
    const YamlNode* v = TrialValue(root, "result");
    return ErrorAt(v ? v->location : root.location, "trial.result",
                   "with backend: kubernetes a trial reports its metrics on stdout (result: file "
                   "would write a file gdsweep cannot read from the pod)");
  }
  if (!spec.trial.working_dir.empty()) {
    const YamlNode* v = TrialValue(root, "working_dir");
    return ErrorAt(v ? v->location : root.location, "trial.working_dir",
                   "is a folder on this machine; for the folder in the container use "
                   "kubernetes.working_dir");
  }
  if (const YamlNode* command = TrialValue(root, "command"); command && command->IsSequence()) {
    for (size_t i = 0; i < command->items.size(); ++i) {
      if (auto s = CheckNoTrialDir(command->items[i], IndexPath("trial.command", i)); !s) return s;
    }
  }
  if (const YamlNode* env = TrialValue(root, "env"); env && env->IsMapping()) {
    for (const auto& e : env->entries) {
      if (auto s = CheckNoTrialDir(e.value, JoinPath("trial.env", e.key)); !s) return s;
    }
  }
  const YamlNode* env = section ? FindValue(*section, "env") : nullptr;
  for (const auto& v : spec.kubernetes->env) {
    if (spec.trial.env.count(v.name)) {
      const YamlEntry* e = env ? env->Find(v.name) : nullptr;
      return ErrorAt(e ? e->key_location : root.location, JoinPath(P("env"), v.name),
                     "is set in trial.env too; set it in one place");
    }
  }
  return {};
}

}  // namespace

Result<KubernetesSpec> ParseKubernetes(const YamlNode& node, const std::string& study_file) {
  if (auto s = ExpectMapping(node, kPath); !s) return s.error();
  if (auto s = CheckKeys(node, kPath, kKeys); !s) return s.error();
  KubernetesSpec k;
  if (auto s = ReadWorkloadKind(node, study_file, k); !s) return s.error();
  if (auto s = ReadSimpleKeys(node, k); !s) return s.error();
  if (const YamlNode* v = FindValue(node, "labels")) {
    auto m = ReadKubeStringMap(*v, P("labels"), true);
    if (!m) return m.error();
    k.labels = *m;
  }
  if (const YamlNode* v = FindValue(node, "annotations")) {
    auto m = ReadKubeStringMap(*v, P("annotations"), false);
    if (!m) return m.error();
    k.annotations = *m;
  }
  if (k.kind == KubernetesSpec::Kind::kCustom) {
    // The manifest is the template: its pod templates carry the rest.
    for (const auto& key : kPodKeys) {
      if (const YamlEntry* e = node.Find(key)) {
        return ErrorAt(e->key_location, P(key),
                       "with kind: custom, set this in the manifest (kubernetes.custom.manifest)");
      }
    }
    if (const YamlEntry* e = node.Find("job_template")) {
      return ErrorAt(e->key_location, P("job_template"),
                     "with kind: custom, the manifest is the template");
    }
    return k;
  }
  if (const YamlNode* tmpl = FindValue(node, "job_template")) {
    for (const auto& key : kPodKeys) {
      if (const YamlEntry* e = node.Find(key)) {
        return ErrorAt(e->key_location, P(key),
                       "with a job_template, set this in the template file instead");
      }
    }
    if (auto s = ReadJobTemplate(*tmpl, study_file, k); !s) return s.error();
    return k;
  }
  if (auto s = ParseKubernetesPodKeys(node, k); !s) return s.error();
  return k;
}

Status ParseKubernetesSection(const YamlNode& root, StudySpec& spec) {
  if (const YamlNode* v = FindValue(root, "kubernetes")) {
    auto k = ParseKubernetes(*v, spec.source_path);
    if (!k) return k.error();
    spec.kubernetes = std::move(*k);
  }
  if (spec.backend != "kubernetes") return {};
  return CheckStudyForKubernetes(root, spec);
}

}  // namespace gdsweep