// The JobSet kind (kubernetes.kind: jobset): one trial is a
// jobset.x-k8s.io/v1alpha2 JobSet whose replicated Jobs (kubernetes.
// replicated_jobs: a name, how many Jobs, how many pods each) run the
// trial's pod template as Indexed Jobs; the JobSet controller makes the Jobs
// and a headless Service named after the JobSet, so pod i of Job j of
// replicated Job r is "<jobset>-<r>-<j>-<i>.<jobset>". Each pod is replica
// "<r>-<j>-<i>". Pure functions; thread-safe.
#pragma once

#include <memory>

#include "backends/kubernetes/workload_kind.h"

namespace gdsweep {

std::unique_ptr<WorkloadKind> MakeJobSetWorkload(const KubernetesSpec& spec);

}  // namespace gdsweep
