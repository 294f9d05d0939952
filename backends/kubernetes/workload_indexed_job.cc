#include "backends/kubernetes/workload_indexed_job.h"

#include <nlohmann/json.hpp>

#include "backends/kubernetes/job_manifest.h"

namespace gdsweep {
namespace {

using OrderedJson = nlohmann::ordered_json;

size_t Digits(int n) { return std::to_string(n).size(); }

class IndexedJobWorkload final : public WorkloadKind {
 public:
  explicit IndexedJobWorkload(const KubernetesSpec& spec) : spec_(spec) {}

  // Pod i's hostname is "<job>-i", a DNS-1123 label too: the Job's name
  // leaves room for "-" and the largest index.
  std::string Name(const TrialLaunch& l) const override {
    return JobName(l.study_name, l.trial_number, l.trial_id, l.run,
                   63 - 1 - Digits(spec_.pods - 1));
  }

  Result<std::string> Render(const TrialLaunch& launch, const std::string& params_json,
                             const std::string& namespace_) const override {
    auto base = RenderJobManifest(spec_, launch, params_json, namespace_);
    if (!base) return base.error();
    const std::string name = Name(launch);
    const std::string service = IndexedJobServiceName(name);
    OrderedJson job =
        OrderedJson::parse(WithContainerEnv(*base, TrialContainer(spec_),
                                            {{"GDSWEEP_RENDEZVOUS_HOST", name + "-0." + service},
                                             {"GDSWEEP_WORLD_SIZE", std::to_string(spec_.pods)}}));
    job["metadata"]["name"] = name;
    OrderedJson& js = job["spec"];
    js["completions"] = spec_.pods;
    js["parallelism"] = spec_.pods;
    js["completionMode"] = "Indexed";
    js["template"]["spec"]["subdomain"] = service;
    return job.dump();
  }

  std::vector<CompanionObject> Companions(const TrialLaunch& launch, const std::string& namespace_,
                                          const std::string& owner_uid) const override {
    const std::string job = Name(launch);
    const std::string service = IndexedJobServiceName(job);
    OrderedJson labels = OrderedJson::object();
    if (auto rendered = Render(launch, "{}", namespace_)) {
      labels = OrderedJson::parse(*rendered)["metadata"]["labels"];
    }
    OrderedJson meta = {{"name", service}};
    if (!namespace_.empty()) meta["namespace"] = namespace_;
    meta["labels"] = labels;
    if (!owner_uid.empty()) {
      meta["ownerReferences"] = OrderedJson::array({{{"apiVersion", "batch/v1"},
                                                     {"kind", "Job"},
                                                     {"name", job},
                                                     {"uid", owner_uid},
                                                     {"blockOwnerDeletion", true}}});
    }
    // Headless, and naming pods before they are ready: pod 0 is the
    // rendezvous of the others while they all start.
    OrderedJson svc = {{"apiVersion", "v1"},
                       {"kind", "Service"},
                       {"metadata", meta},
                       {"spec",
                        {{"clusterIP", "None"},
                         {"publishNotReadyAddresses", true},
                         {"selector", {{"batch.kubernetes.io/job-name", job}}}}}};
    return {CompanionObject{"/api/v1/namespaces/" + namespace_ + "/services", "Service", service,
                            svc.dump()}};
  }

  bool MultiPod() const override { return true; }

  std::string ReplicaOf(const PodInfo& pod) const override {
    for (const auto* m : {&pod.meta.labels, &pod.meta.annotations}) {
      auto it = m->find(kCompletionIndexKey);
      if (it != m->end()) return it->second;
    }
    return "";
  }

  std::string MetricsReplica() const override {
    return spec_.metrics_from.empty() ? "0" : spec_.metrics_from;
  }

 private:
  const KubernetesSpec spec_;
};

}  // namespace

std::string IndexedJobServiceName(const std::string& job) { return LetterFirstName(job); }

std::unique_ptr<WorkloadKind> MakeIndexedJobWorkload(const KubernetesSpec& spec) {
  return std::make_unique<IndexedJobWorkload>(spec);
}

}  // namespace gdsweep
