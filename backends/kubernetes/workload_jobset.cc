// JobSet trials (jobset.x-k8s.io/v1alpha2): the trial's Job, as
// RenderJobManifest makes it, becomes the template of every replicated Job
// (Indexed, completions = parallelism = pods, backoffLimit 0: the first pod
// that fails fails its Job, and with no failurePolicy the JobSet fails at
// once and deletes the others). The trial succeeds or fails as the JobSet's
// Completed/Failed condition says.
#include "backends/kubernetes/workload_jobset.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "backends/kubernetes/job_manifest.h"
#include "backends/kubernetes/workload_indexed_job.h"

namespace gdsweep {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr const char* kJobSetName = "jobset.sigs.k8s.io/jobset-name";
constexpr const char* kReplicatedJobName = "jobset.sigs.k8s.io/replicatedjob-name";
constexpr const char* kJobIndex = "jobset.sigs.k8s.io/job-index";

size_t JobSetDigits(int n) { return std::to_string(n).size(); }

std::string Label(const PodInfo& pod, const char* key) {
  for (const auto* m : {&pod.meta.labels, &pod.meta.annotations}) {
    auto it = m->find(key);
    if (it != m->end()) return it->second;
  }
  return "";
}

class JobSetWorkload final : public WorkloadKind {
 public:
  explicit JobSetWorkload(const KubernetesSpec& spec) : spec_(spec) {}

  // The JobSet's webhook wants each pod's hostname "<jobset>-<r>-<j>-<i>"
  // to be a DNS-1123 label, and its Service (named after it) a DNS-1035 one.
  std::string Name(const TrialLaunch& l) const override {
    size_t longest = 0;
    for (const auto& rj : spec_.replicated_jobs) {
      longest = std::max(
          longest, 3 + rj.name.size() + JobSetDigits(rj.replicas - 1) + JobSetDigits(rj.pods - 1));
    }
    return LetterFirstName(
        JobName(l.study_name, l.trial_number, l.trial_id, l.run, 63 - 1 - longest));
  }

  ResourceType Resource() const override {
    return {"/apis/jobset.x-k8s.io/v1alpha2", "jobsets", "JobSet", "jobset.x-k8s.io/v1alpha2"};
  }

  Result<std::string> Render(const TrialLaunch& launch, const std::string& params_json,
                             const std::string& namespace_) const override {
    auto base = RenderJobManifest(spec_, launch, params_json, namespace_);
    if (!base) return base.error();
    const std::string name = Name(launch);
    int world = 0;
    for (const auto& rj : spec_.replicated_jobs) world += rj.replicas * rj.pods;
    OrderedJson job = OrderedJson::parse(WithContainerEnv(
        *base, TrialContainer(spec_),
        {{"GDSWEEP_RENDEZVOUS_HOST", name + "-" + spec_.replicated_jobs[0].name + "-0-0." + name},
         {"GDSWEEP_WORLD_SIZE", std::to_string(world)}}));
    OrderedJson out = OrderedJson::object();
    out["apiVersion"] = "jobset.x-k8s.io/v1alpha2";
    out["kind"] = "JobSet";
    out["metadata"] = job["metadata"];
    out["metadata"]["name"] = name;
    const OrderedJson& js = job["spec"];
    OrderedJson replicated = OrderedJson::array();
    for (const auto& rj : spec_.replicated_jobs) {
      OrderedJson spec = {{"completionMode", "Indexed"},
                          {"completions", rj.pods},
                          {"parallelism", rj.pods},
                          {"backoffLimit", js.value("backoffLimit", 0)}};
      if (js.contains("activeDeadlineSeconds")) {
        spec["activeDeadlineSeconds"] = js["activeDeadlineSeconds"];
      }
      spec["template"] = js["template"];
      replicated.push_back(
          {{"name", rj.name},
           {"replicas", rj.replicas},
           {"template", {{"metadata", {{"labels", job["metadata"]["labels"]}}}, {"spec", spec}}}});
    }
    out["spec"] = {{"replicatedJobs", replicated}};
    if (js.contains("ttlSecondsAfterFinished")) {
      out["spec"]["ttlSecondsAfterFinished"] = js["ttlSecondsAfterFinished"];
    }
    return out.dump();
  }

  std::string PodSelector(const std::string& name) const override {
    return std::string(kJobSetName) + "=" + name;
  }
  std::string ResourceOfPod(const PodInfo& pod) const override { return Label(pod, kJobSetName); }
  std::string Provider() const override {
    return "the JobSet controller (https://jobset.sigs.k8s.io)";
  }

  bool MultiPod() const override { return true; }

  std::string ReplicaOf(const PodInfo& pod) const override {
    const std::string rj = Label(pod, kReplicatedJobName);
    const std::string job = Label(pod, kJobIndex);
    const std::string index = Label(pod, kCompletionIndexKey);
    if (rj.empty() || job.empty() || index.empty()) return "";
    return rj + "-" + job + "-" + index;
  }

  std::string MetricsReplica() const override {
    if (!spec_.metrics_from.empty()) return spec_.metrics_from;
    return spec_.replicated_jobs.empty() ? "" : spec_.replicated_jobs[0].name + "-0-0";
  }

 private:
  const KubernetesSpec spec_;
};

}  // namespace

std::unique_ptr<WorkloadKind> MakeJobSetWorkload(const KubernetesSpec& spec) {
  return std::make_unique<JobSetWorkload>(spec);
}

}  // namespace gdsweep
