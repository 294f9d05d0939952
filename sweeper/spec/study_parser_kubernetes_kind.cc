#include "sweeper/spec/study_parser_kubernetes_kind.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sweeper/spec/study_parser_kubernetes_pod.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

// The replica types of each Kubeflow kind, as the study file writes them.
const std::vector<std::string> kTfJobRoles = {"chief", "ps", "worker", "evaluator", "master"};
const std::vector<std::string> kPyTorchJobRoles = {"master", "worker"};

// kubernetes.replicas of a Kubeflow kind: role -> how many.
Status ReadReplicas(const YamlEntry& e, const std::vector<std::string>& roles, KubernetesSpec& k) {
  const std::string path = KubePath("replicas");
  if (auto s = ExpectMapping(e.value, path); !s) return s.error();
  if (e.value.entries.empty()) return ErrorAt(e.value.location, path, "needs at least one replica");
  for (const auto& r : e.value.entries) {
    const std::string p = JoinPath(path, r.key);
    if (std::find(roles.begin(), roles.end(), r.key) == roles.end()) {
      std::string all;
      for (const auto& x : roles) all += (all.empty() ? "" : ", ") + x;
      return ErrorAt(r.key_location, p, "not a replica type of this kind (" + all + ")");
    }
    // The operator allows one chief and one master.
    const int64_t most = r.key == "chief" || r.key == "master" ? 1 : 10000;
    auto n =
        ReadIntIn(r.value, p, 1, most,
                  most == 1 ? "1 (there is one " + r.key + ")" : "a whole number from 1 to 10000");
    if (!n) return n.error();
    k.replicas[r.key] = static_cast<int>(*n);
  }
  return {};
}

// kubernetes.replicated_jobs of a JobSet: a list of {name, replicas, pods}.
Status ReadReplicatedJobs(const YamlEntry& e, KubernetesSpec& k) {
  const std::string path = KubePath("replicated_jobs");
  if (auto s = ExpectList(e.value, path); !s) return s.error();
  if (e.value.items.empty()) return ErrorAt(e.value.location, path, "needs at least one");
  for (size_t i = 0; i < e.value.items.size(); ++i) {
    const YamlNode& item = e.value.items[i];
    const std::string p = IndexPath(path, i);
    if (auto s = ExpectMapping(item, p); !s) return s.error();
    if (auto s = CheckKeys(item, p, {"name", "replicas", "pods"}); !s) return s.error();
    KubernetesReplicatedJob rj;
    const YamlNode* name = FindValue(item, "name");
    if (!name) return MissingKey(item, p, "name");
    auto n = ReadKubeName(*name, JoinPath(p, "name"), KubeNameRule::kDnsLabel);
    if (!n) return n.error();
    rj.name = *n;
    for (const auto& other : k.replicated_jobs) {
      if (other.name == rj.name) {
        return ErrorAt(name->location, JoinPath(p, "name"), "'" + rj.name + "' is used twice");
      }
    }
    for (const auto& [key, target] :
         {std::pair<const char*, int*>{"replicas", &rj.replicas}, {"pods", &rj.pods}}) {
      if (const YamlNode* v = FindValue(item, key)) {
        auto count = ReadIntIn(*v, JoinPath(p, key), 1, 10000, "a whole number from 1 to 10000");
        if (!count) return count.error();
        *target = static_cast<int>(*count);
      }
    }
    k.replicated_jobs.push_back(rj);
  }
  return {};
}

// A success or failure rule of a custom resource: {condition: TYPE} or
// {field: status.x, values: [...]}.
Status ReadEndRule(const YamlNode& node, const std::string& path, KubernetesEndRule& rule) {
  if (auto s = ExpectMapping(node, path); !s) return s;
  if (auto s = CheckKeys(node, path, {"condition", "field", "values"}); !s) return s;
  const YamlNode* condition = FindValue(node, "condition");
  const YamlNode* field = FindValue(node, "field");
  const YamlNode* values = FindValue(node, "values");
  if (!condition == !field) {
    return ErrorAt(node.location, path,
                   "expected either 'condition' (a condition type whose status is True) or "
                   "'field' and 'values' (a field under status and the values it may hold)");
  }
  if (condition) {
    if (values) return ErrorAt(values->location, JoinPath(path, "values"), "goes with 'field'");
    auto c = ReadString(*condition, JoinPath(path, "condition"));
    if (!c) return c.error();
    if (c->empty()) return ErrorAt(condition->location, JoinPath(path, "condition"), "is empty");
    rule.condition = *c;
    return {};
  }
  auto f = ReadString(*field, JoinPath(path, "field"));
  if (!f) return f.error();
  if (f->rfind("status.", 0) != 0 || f->size() <= 7 || f->back() == '.') {
    return ErrorAt(
        field->location, JoinPath(path, "field"),
        "expected a dotted path under status, such as status.phase, got " + Describe(*field));
  }
  rule.field = *f;
  if (!values) return MissingKey(node, path, "values");
  const std::string vp = JoinPath(path, "values");
  if (values->IsScalar()) {
    auto v = ReadString(*values, vp);
    if (!v) return v.error();
    rule.values.push_back(*v);
    return {};
  }
  if (auto s = ExpectList(*values, vp); !s) return s;
  if (values->items.empty()) return ErrorAt(values->location, vp, "needs at least one value");
  for (size_t i = 0; i < values->items.size(); ++i) {
    auto v = ReadString(values->items[i], IndexPath(vp, i));
    if (!v) return v.error();
    rule.values.push_back(*v);
  }
  return {};
}

// kubernetes.custom: the manifest file and the rules of a custom resource.
Status ReadCustom(const YamlNode& node, const std::string& study_file, KubernetesSpec& k) {
  const std::string path = KubePath("custom");
  if (auto s = ExpectMapping(node, path); !s) return s;
  if (auto s = CheckKeys(node, path, {"manifest", "plural", "success", "failure", "metrics_pod"});
      !s) {
    return s;
  }
  KubernetesCustomResource& c = k.custom;
  c.location = ToString(node.location);
  const YamlNode* manifest = FindValue(node, "manifest");
  if (!manifest) return MissingKey(node, path, "manifest");
  // A file, or the object itself written in the study file (as a converted
  // Katib Experiment has it).
  Result<YamlNode> root = *manifest;
  if (manifest->IsMapping()) {
    c.manifest_path = ToString(manifest->location);
  } else {
    auto rel = ReadString(*manifest, JoinPath(path, "manifest"));
    if (!rel) return rel.error();
    std::filesystem::path file(*rel);
    if (file.is_relative()) file = std::filesystem::path(study_file).parent_path() / file;
    c.manifest_path = file.lexically_normal().string();
    auto text = ReadYamlFile(c.manifest_path, "custom resource manifest");
    if (!text) return ErrorAt(manifest->location, JoinPath(path, "manifest"), text.error().message);
    root = ReadYaml(*text, c.manifest_path);
    if (!root) return root.error();
  }
  if (!root->IsMapping()) {
    return ErrorAt(root->location, "", "a custom resource manifest is one Kubernetes object");
  }
  for (const auto& [key, target] :
       {std::pair<const char*, std::string*>{"apiVersion", &c.api_version}, {"kind", &c.kind}}) {
    const YamlNode* v = FindValue(*root, key);
    if (!v) return MissingKey(*root, "", key);
    auto s = ReadString(*v, key);
    if (!s) return s.error();
    *target = *s;
  }
  // A group/version (the core group's kinds are not trials), and a kind.
  const size_t slash = c.api_version.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == c.api_version.size() ||
      c.api_version.find('/', slash + 1) != std::string::npos) {
    return ErrorAt(FindValue(*root, "apiVersion")->location, "apiVersion",
                   "expected GROUP/VERSION of a custom resource, such as ray.io/v1, got '" +
                       c.api_version + "'");
  }
  if (c.kind.empty() || !(c.kind[0] >= 'A' && c.kind[0] <= 'Z')) {
    return ErrorAt(FindValue(*root, "kind")->location, "kind",
                   "expected a Kind such as RayJob, got '" + c.kind + "'");
  }
  auto json = YamlNodeToJson(*root, "");
  if (!json) return json.error();
  c.manifest_json = *json;
  if (const YamlNode* v = FindValue(node, "plural")) {
    auto pl = ReadKubeName(*v, JoinPath(path, "plural"), KubeNameRule::kDnsLabel);
    if (!pl) return pl.error();
    c.plural = *pl;
  } else {
    for (char ch : c.kind)
      c.plural += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    c.plural += "s";
  }
  for (const auto& [key, rule] : {std::pair<const char*, KubernetesEndRule*>{"success", &c.success},
                                  {"failure", &c.failure}}) {
    const YamlNode* v = FindValue(node, key);
    if (!v) return MissingKey(node, path, key);
    if (auto s = ReadEndRule(*v, JoinPath(path, key), *rule); !s) return s;
  }
  if (const YamlNode* v = FindValue(node, "metrics_pod")) {
    const std::string mp = JoinPath(path, "metrics_pod");
    if (auto s = ExpectMapping(*v, mp); !s) return s;
    if (auto s = CheckKeys(*v, mp, {"labels"}); !s) return s;
    if (const YamlNode* l = FindValue(*v, "labels")) {
      auto m = ReadKubeStringMap(*l, JoinPath(mp, "labels"), true);
      if (!m) return m.error();
      c.metrics_pod_labels = *m;
    }
  }
  return {};
}

// metrics_from of a Kubeflow kind: "<type>-<index>", a replica the trial has.
Status ReadKubeflowMetricsFrom(const YamlNode& value, KubernetesSpec& k) {
  auto s = ReadString(value, KubePath("metrics_from"));
  if (!s) return s.error();
  const size_t dash = s->rfind('-');
  const std::string role = dash == std::string::npos ? "" : s->substr(0, dash);
  const std::string index = dash == std::string::npos ? "" : s->substr(dash + 1);
  auto it = k.replicas.find(role);
  bool ok = it != k.replicas.end() && !index.empty() && index.size() < 6 &&
            index.find_first_not_of("0123456789") == std::string::npos &&
            std::stoi(index) < it->second;
  if (!ok) {
    std::string all;
    for (const auto& [r, n] : k.replicas) all += (all.empty() ? "" : ", ") + r + "-0";
    return ErrorAt(value.location, KubePath("metrics_from"),
                   "expected a replica of this trial as <type>-<index> (such as " + all +
                       "), got " + Describe(value));
  }
  k.metrics_from = *s;
  return {};
}

// metrics_from of a JobSet: "<replicated job>-<job index>-<pod index>".
Status ReadJobSetMetricsFrom(const YamlNode& value, KubernetesSpec& k) {
  auto s = ReadString(value, KubePath("metrics_from"));
  if (!s) return s.error();
  auto number = [](const std::string& t) {
    return !t.empty() && t.size() < 6 && t.find_first_not_of("0123456789") == std::string::npos
               ? std::stoi(t)
               : -1;
  };
  const size_t last = s->rfind('-');
  const size_t mid =
      last == std::string::npos || last == 0 ? std::string::npos : s->rfind('-', last - 1);
  if (mid != std::string::npos) {
    const std::string name = s->substr(0, mid);
    const int job = number(s->substr(mid + 1, last - mid - 1));
    const int pod = number(s->substr(last + 1));
    for (const auto& rj : k.replicated_jobs) {
      if (rj.name == name && job >= 0 && job < rj.replicas && pod >= 0 && pod < rj.pods) {
        k.metrics_from = *s;
        return {};
      }
    }
  }
  return ErrorAt(value.location, KubePath("metrics_from"),
                 "expected a pod of this trial as <replicated job>-<job index>-<pod index> (such "
                 "as " +
                     k.replicated_jobs[0].name + "-0-0), got " + Describe(value));
}

}  // namespace

Status ReadWorkloadKind(const YamlNode& node, const std::string& study_file, KubernetesSpec& k) {
  using Kind = KubernetesSpec::Kind;
  const YamlNode* kind = FindValue(node, "kind");
  if (kind) {
    auto e = ReadEnum(*kind, KubePath("kind"),
                      {"job", "indexed_job", "tfjob", "pytorchjob", "jobset", "custom"});
    if (!e) return e.error();
    k.kind = *e == "indexed_job"  ? Kind::kIndexedJob
             : *e == "tfjob"      ? Kind::kTfJob
             : *e == "pytorchjob" ? Kind::kPyTorchJob
             : *e == "jobset"     ? Kind::kJobSet
             : *e == "custom"     ? Kind::kCustom
                                  : Kind::kJob;
  }
  const bool indexed = k.kind == Kind::kIndexedJob;
  const bool kubeflow = k.kind == Kind::kTfJob || k.kind == Kind::kPyTorchJob;
  const bool jobset = k.kind == Kind::kJobSet;
  const bool custom = k.kind == Kind::kCustom;
  if (const YamlEntry* e = node.Find("pods")) {
    if (!indexed) {
      return ErrorAt(e->key_location, KubePath("pods"),
                     "is for kind: indexed_job (tfjob and pytorchjob take replicas, jobset "
                     "replicated_jobs)");
    }
    // Kubernetes allows up to 100000 indexes; one trial of more pods than
    // this is a mistake rather than a plan.
    auto n = ReadIntIn(e->value, KubePath("pods"), 1, 10000, "a whole number from 1 to 10000");
    if (!n) return n.error();
    k.pods = static_cast<int>(*n);
  } else if (indexed) {
    return ErrorAt(kind->location, KubePath("kind"),
                   "indexed_job needs kubernetes.pods: how many pods run each trial");
  }
  if (const YamlEntry* e = node.Find("replicas")) {
    if (!kubeflow) {
      return ErrorAt(e->key_location, KubePath("replicas"), "is for kind: tfjob or pytorchjob");
    }
    const auto& roles = k.kind == Kind::kTfJob ? kTfJobRoles : kPyTorchJobRoles;
    if (auto s = ReadReplicas(*e, roles, k); !s) return s;
  } else if (kubeflow) {
    return ErrorAt(
        kind->location, KubePath("kind"),
        "needs kubernetes.replicas, e.g. {" +
            std::string(k.kind == Kind::kTfJob ? "worker: 4, ps: 2" : "master: 1, worker: 3") +
            "}");
  }
  if (const YamlEntry* e = node.Find("replicated_jobs")) {
    if (!jobset)
      return ErrorAt(e->key_location, KubePath("replicated_jobs"), "is for kind: jobset");
    if (auto s = ReadReplicatedJobs(*e, k); !s) return s;
  } else if (jobset) {
    return ErrorAt(kind->location, KubePath("kind"),
                   "jobset needs kubernetes.replicated_jobs, e.g. [{name: workers, replicas: 2, "
                   "pods: 4}]");
  }
  if (const YamlEntry* e = node.Find("custom")) {
    if (!custom) return ErrorAt(e->key_location, KubePath("custom"), "is for kind: custom");
    if (auto s = ReadCustom(e->value, study_file, k); !s) return s;
  } else if (custom) {
    return ErrorAt(kind->location, KubePath("kind"),
                   "custom needs kubernetes.custom: {manifest: FILE, success: ..., failure: ...}");
  }
  if (const YamlEntry* e = node.Find("metrics_from")) {
    if (indexed) {
      auto n = ReadIntIn(e->value, KubePath("metrics_from"), 0, k.pods - 1,
                         "a pod index from 0 to " + std::to_string(k.pods - 1));
      if (!n) return n.error();
      k.metrics_from = std::to_string(*n);
    } else if (kubeflow) {
      if (auto s = ReadKubeflowMetricsFrom(e->value, k); !s) return s;
    } else if (jobset) {
      if (auto s = ReadJobSetMetricsFrom(e->value, k); !s) return s;
    } else if (custom) {
      return ErrorAt(e->key_location, KubePath("metrics_from"),
                     "is not for kind: custom (use kubernetes.custom.metrics_pod.labels)");
    } else {
      return ErrorAt(e->key_location, KubePath("metrics_from"),
                     "is for multi-pod kinds (this trial is one pod, whose log is read)");
    }
  }
  return {};
}

}  // namespace gdsweep
