// The kinds of trial resource, by spec.kind, and the plain batch/v1 Job.
#include "backends/kubernetes/workload_kind.h"

#include "backends/kubernetes/job_manifest.h"
#include "backends/kubernetes/workload_custom.h"
#include "backends/kubernetes/workload_indexed_job.h"
#include "backends/kubernetes/workload_jobset.h"
#include "backends/kubernetes/workload_kubeflow.h"

namespace gdsweep {
namespace {

// One pod: a batch/v1 Job whose pod runs the trial (retried only as a
// Job's backoffLimit says).
class JobWorkload final : public WorkloadKind {
 public:
  explicit JobWorkload(const KubernetesSpec& spec) : spec_(spec) {}
  std::string Name(const TrialLaunch& l) const override {
    return JobName(l.study_name, l.trial_number, l.trial_id, l.run);
  }
  Result<std::string> Render(const TrialLaunch& launch, const std::string& params_json,
                             const std::string& namespace_) const override {
    return RenderJobManifest(spec_, launch, params_json, namespace_);
  }

 private:
  const KubernetesSpec spec_;
};

}  // namespace

std::unique_ptr<WorkloadKind> MakeWorkloadKind(const KubernetesSpec& spec) {
  switch (spec.kind) {
    case KubernetesSpec::Kind::kJob:
      break;
    case KubernetesSpec::Kind::kIndexedJob:
      return MakeIndexedJobWorkload(spec);
    case KubernetesSpec::Kind::kTfJob:
      return MakeTfJobWorkload(spec);
    case KubernetesSpec::Kind::kPyTorchJob:
      return MakePyTorchJobWorkload(spec);
    case KubernetesSpec::Kind::kJobSet:
      return MakeJobSetWorkload(spec);
    case KubernetesSpec::Kind::kCustom:
      return MakeCustomWorkload(spec);
  }
  return std::make_unique<JobWorkload>(spec);
}

}  // namespace gdsweep
