// The custom kind (kubernetes.kind: custom): one trial is any resource,
// rendered from the manifest kubernetes.custom.manifest gives. Every pod
// template in it (an object under a "template" key with spec.containers)
// gets the trial's labels (gdsweep.io/study|tag|trial|attempt and
// gdsweep.io/workload: the resource's name) and annotations, and the one
// with the container `kubernetes.container` runs the trial there. Success
// and failure are the rules of kubernetes.custom (a condition type with
// status True, or a field under status and its values), turned into the
// judge's Succeeded/Failed conditions. The metrics come from the pods of the
// resource that carry kubernetes.custom.metrics_pod.labels. Pure functions;
// thread-safe.
#pragma once

#include <memory>

#include "backends/kubernetes/workload_kind.h"

namespace gdsweep {

// The label that ties a pod to its trial's resource (its value: the name).
inline constexpr const char* kLabelWorkload = "gdsweep.io/workload";

std::unique_ptr<WorkloadKind> MakeCustomWorkload(const KubernetesSpec& spec);

}  // namespace gdsweep
