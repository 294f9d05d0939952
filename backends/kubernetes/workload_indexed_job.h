// The Indexed Job kind (kubernetes.kind: indexed_job): one trial is a
// batch/v1 Job of N pods (completions = parallelism = N, completionMode
// Indexed) and a headless Service that gives pod i the stable name
// "<job>-i.<service>", so pod 0's name is the trial's rendezvous address
// (GDSWEEP_RENDEZVOUS_HOST; the pod's index is Kubernetes'
// JOB_COMPLETION_INDEX). backoffLimit 0 makes the first failing pod fail the
// Job, which then stops the others. Pure functions; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "backends/kubernetes/workload_kind.h"

namespace gdsweep {

// The label and annotation Kubernetes puts the pod's index in.
inline constexpr const char* kCompletionIndexKey = "batch.kubernetes.io/job-completion-index";

// The headless Service of the Indexed Job `job`: its name when that starts
// with a letter (Services are DNS-1035 labels), else "j" + it.
std::string IndexedJobServiceName(const std::string& job);

std::unique_ptr<WorkloadKind> MakeIndexedJobWorkload(const KubernetesSpec& spec);

}  // namespace gdsweep
