// Kubeflow training-operator kinds (kubeflow.org/v1 TFJob and PyTorchJob):
// one resource whose replica types (chief, ps, worker, master, ...) each run
// the trial's pod template; the operator makes the pods, their Services and
// the TF_CONFIG / MASTER_ADDR, WORLD_SIZE, RANK they need. gdsweep keeps the
// pods after the end (cleanPodPolicy: None) to read their logs, and deletes
// the resource itself.
#include "backends/kubernetes/workload_kubeflow.h"

#include <nlohmann/json.hpp>

#include "backends/kubernetes/job_manifest.h"
#include "backends/kubernetes/workload_kind.h"

namespace gdsweep {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr const char* kReplicaType = "training.kubeflow.org/replica-type";
constexpr const char* kReplicaIndex = "training.kubeflow.org/replica-index";

// "ps" -> "PS", "worker" -> "Worker": the operator's spelling of a type.
std::string TypeName(const std::string& role) {
  if (role == "ps") return "PS";
  std::string out = role;
  if (!out.empty()) out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

class KubeflowWorkload final : public WorkloadKind {
 public:
  KubeflowWorkload(const KubernetesSpec& spec, std::string kind, std::string plural,
                   std::string specs_key)
      : spec_(spec),
        kind_(std::move(kind)),
        plural_(std::move(plural)),
        specs_key_(std::move(specs_key)) {}

  std::string Name(const TrialLaunch& l) const override {
    // The operator names pods and Services "<name>-<type>-<index>"
    // ("-evaluator-" and five digits at most), and its webhook wants a
    // DNS-1035 label (a letter first).
    return LetterFirstName(JobName(l.study_name, l.trial_number, l.trial_id, l.run, 63 - 17));
  }

  ResourceType Resource() const override {
    return {"/apis/kubeflow.org/v1", plural_, kind_, "kubeflow.org/v1"};
  }

  Result<std::string> Render(const TrialLaunch& launch, const std::string& params_json,
                             const std::string& namespace_) const override {
    auto base = RenderJobManifest(spec_, launch, params_json, namespace_);
    if (!base) return base.error();
    OrderedJson job = OrderedJson::parse(*base);
    OrderedJson out = OrderedJson::object();
    out["apiVersion"] = "kubeflow.org/v1";
    out["kind"] = kind_;
    out["metadata"] = job["metadata"];
    out["metadata"]["name"] = Name(launch);
    OrderedJson run_policy = {{"cleanPodPolicy", "None"},
                              {"backoffLimit", job["spec"].value("backoffLimit", 0)}};
    if (job["spec"].contains("activeDeadlineSeconds")) {
      run_policy["activeDeadlineSeconds"] = job["spec"]["activeDeadlineSeconds"];
    }
    if (job["spec"].contains("ttlSecondsAfterFinished")) {
      run_policy["ttlSecondsAfterFinished"] = job["spec"]["ttlSecondsAfterFinished"];
    }
    OrderedJson specs = OrderedJson::object();
    for (const auto& [role, count] : spec_.replicas) {
      specs[TypeName(role)] = {
          {"replicas", count}, {"restartPolicy", "Never"}, {"template", job["spec"]["template"]}};
    }
    out["spec"] = {{"runPolicy", run_policy}, {specs_key_, specs}};
    return out.dump();
  }

  std::string PodSelector(const std::string& name) const override {
    return "training.kubeflow.org/job-name=" + name;
  }

  std::string Provider() const override { return "the Kubeflow training operator"; }

  bool MultiPod() const override { return true; }

  std::string ReplicaOf(const PodInfo& pod) const override {
    auto type = pod.meta.labels.find(kReplicaType);
    auto index = pod.meta.labels.find(kReplicaIndex);
    if (type == pod.meta.labels.end() || index == pod.meta.labels.end()) return "";
    return type->second + "-" + index->second;
  }

  std::string MetricsReplica() const override {
    if (!spec_.metrics_from.empty()) return spec_.metrics_from;
    for (const char* role : {"chief", "master"}) {
      if (spec_.replicas.count(role)) return std::string(role) + "-0";
    }
    return "worker-0";
  }

 private:
  const KubernetesSpec spec_;
  const std::string kind_;
  const std::string plural_;
  const std::string specs_key_;
};

}  // namespace

std::unique_ptr<WorkloadKind> MakeTfJobWorkload(const KubernetesSpec& spec) {
  return std::make_unique<KubeflowWorkload>(spec, "TFJob", "tfjobs", "tfReplicaSpecs");
}

std::unique_ptr<WorkloadKind> MakePyTorchJobWorkload(const KubernetesSpec& spec) {
  return std::make_unique<KubeflowWorkload>(spec, "PyTorchJob", "pytorchjobs",
                                            "pytorchReplicaSpecs");
}

}  // namespace gdsweep
