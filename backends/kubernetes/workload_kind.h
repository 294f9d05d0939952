// WorkloadKind: what Kubernetes resource one trial is (kubernetes.kind: a
// batch/v1 Job with one pod, an Indexed Job of N pods with its headless
// Service, ...): its deterministic name, its manifest and the objects made
// beside it, which replica each of its pods plays, and whose log holds the
// trial's metrics. One implementation per kind (workload_*.cc); watching,
// following, judging and deleting are the backend's, the same for all.
// Pure functions of the spec and the launch; immutable, thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/kubernetes/kube_objects.h"
#include "sweeper/model/kubernetes_spec.h"
#include "sweeper/model/result.h"

namespace gdsweep {

// An object made once the trial's resource exists, and owned by it (so that
// Kubernetes' garbage collector deletes it with the resource).
struct CompanionObject {
  std::string collection_path;  // under the namespace: "/api/v1/namespaces/NS/services"
  std::string kind;             // "Service", for messages
  std::string name;
  std::string manifest_json;
};

class WorkloadKind {
 public:
  virtual ~WorkloadKind() = default;

  // The resource of this launch: the same launch always gets the same name,
  // a rerun (launch.run) another.
  virtual std::string Name(const TrialLaunch& launch) const = 0;

  // The API resource (batch/v1 Job unless said otherwise).
  virtual ResourceType Resource() const { return {}; }

  // The resource as JSON text (see RenderJobManifest for what a pod gets).
  virtual Result<std::string> Render(const TrialLaunch& launch, const std::string& params_json,
                                     const std::string& namespace_) const = 0;

  // The objects made beside the resource, owned by the resource of uid
  // `owner_uid` (empty: rendered for review, without an owner).
  virtual std::vector<CompanionObject> Companions(const TrialLaunch& launch,
                                                  const std::string& namespace_,
                                                  const std::string& owner_uid) const {
    (void)launch;
    (void)namespace_;
    (void)owner_uid;
    return {};
  }

  // The label selector of the pods of resource `name`.
  virtual std::string PodSelector(const std::string& name) const { return "job-name=" + name; }
  // The name of the trial resource `pod` belongs to ("" when none).
  virtual std::string ResourceOfPod(const PodInfo& pod) const { return pod.job_name; }

  // Turns what the resource's status says into the conditions the judge
  // reads (Complete or Succeeded or Completed, and Failed, with status
  // "True"); a kind whose resource has them already leaves it alone.
  virtual void Observe(JobInfo& job) const { (void)job; }

  // Who provides the resource, for the error of a cluster that lacks it.
  virtual std::string Provider() const { return "the operator that provides it"; }
  // Non-empty: before any trial, a dry-run create of a rendered resource is
  // to check it against the schema the server publishes; errors name this
  // key of the study file ("kubernetes.custom.manifest (FILE)").
  virtual std::string DryRunKey() const { return ""; }

  // True when a trial is several pods at once (each a replica).
  virtual bool MultiPod() const { return false; }
  // The replica a pod plays ("0", "1", ... for an Indexed Job); "" when the
  // trial is one pod.
  virtual std::string ReplicaOf(const PodInfo& pod) const {
    (void)pod;
    return "";
  }
  // The replica whose log holds the trial's metrics ("" for one pod).
  virtual std::string MetricsReplica() const { return ""; }
};

// The kind spec.kind asks for.
std::unique_ptr<WorkloadKind> MakeWorkloadKind(const KubernetesSpec& spec);

}  // namespace gdsweep
