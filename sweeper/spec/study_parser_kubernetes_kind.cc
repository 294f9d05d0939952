#include "sweeper/spec/study_parser_kubernetes_kind.h"

#include <algorithm>

#include "sweeper/spec/study_parser_kubernetes_pod.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

std::string P(const std::string& key) { return KubePath(key); }

// The replica types of each Kubeflow kind, as the study file writes them.
const std::vector<std::string> kTfJobRoles = {"chief", "ps", "worker", "evaluator", "master"};
const std::vector<std::string> kPyTorchJobRoles = {"master", "worker"};

// kubernetes.replicas of a Kubeflow kind: role -> how many.
Status ReadReplicas(const YamlEntry& e, const std::vector<std::string>& roles, KubernetesSpec& k) {
  const std::string path = P("replicas");
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

// kind, pods, replicas and metrics_from: what one trial is, and whose log
// has its metrics.
}  // namespace

Status ReadWorkloadKind(const YamlNode& node, KubernetesSpec& k) {
  using Kind = KubernetesSpec::Kind;
  const YamlNode* kind = FindValue(node, "kind");
  if (kind) {
    auto e = ReadEnum(*kind, P("kind"), {"job", "indexed_job", "tfjob", "pytorchjob"});
    if (!e) return e.error();
    k.kind = *e == "indexed_job"  ? Kind::kIndexedJob
             : *e == "tfjob"      ? Kind::kTfJob
             : *e == "pytorchjob" ? Kind::kPyTorchJob
                                  : Kind::kJob;
  }
  const bool indexed = k.kind == Kind::kIndexedJob;
  const bool kubeflow = k.kind == Kind::kTfJob || k.kind == Kind::kPyTorchJob;
  if (const YamlEntry* e = node.Find("pods")) {
    if (!indexed) {
      return ErrorAt(e->key_location, P("pods"),
                     "is for kind: indexed_job (tfjob and pytorchjob take replicas)");
    }
    // Kubernetes allows up to 100000 indexes; one trial of more pods than
    // this is a mistake rather than a plan.
    auto n = ReadIntIn(e->value, P("pods"), 1, 10000, "a whole number from 1 to 10000");
    if (!n) return n.error();
    k.pods = static_cast<int>(*n);
  } else if (indexed) {
    return ErrorAt(kind->location, P("kind"),
                   "indexed_job needs kubernetes.pods: how many pods run each trial");
  }
  if (const YamlEntry* e = node.Find("replicas")) {
    if (!kubeflow) {
      return ErrorAt(e->key_location, P("replicas"), "is for kind: tfjob or pytorchjob");
    }
    const auto& roles = k.kind == Kind::kTfJob ? kTfJobRoles : kPyTorchJobRoles;
    if (auto s = ReadReplicas(*e, roles, k); !s) return s;
  } else if (kubeflow) {
    return ErrorAt(
        kind->location, P("kind"),
        "needs kubernetes.replicas, e.g. {" +
            std::string(k.kind == Kind::kTfJob ? "worker: 4, ps: 2" : "master: 1, worker: 3") +
            "}");
  }
  if (const YamlEntry* e = node.Find("metrics_from")) {
    if (indexed) {
      auto n = ReadIntIn(e->value, P("metrics_from"), 0, k.pods - 1,
                         "a pod index from 0 to " + std::to_string(k.pods - 1));
      if (!n) return n.error();
      k.metrics_from = std::to_string(*n);
    } else if (kubeflow) {
      auto s = ReadString(e->value, P("metrics_from"));
      if (!s) return s.error();
      // "<type>-<index>": a replica the trial has.
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
        return ErrorAt(e->value.location, P("metrics_from"),
                       "expected a replica of this trial as <type>-<index> (such as " + all +
                           "), got " + Describe(e->value));
      }
      k.metrics_from = *s;
    } else {
      return ErrorAt(e->key_location, P("metrics_from"),
                     "is for multi-pod kinds (this trial is one pod, whose log is read)");
    }
  }
  return {};
}

}  // namespace gdsweep
