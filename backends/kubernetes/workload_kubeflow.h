// The Kubeflow training-operator kinds (kubernetes.kind: tfjob, pytorchjob):
// one kubeflow.org/v1 TFJob or PyTorchJob whose replica types (chief, ps,
// worker, evaluator, master) each run the trial's pod template, as many as
// kubernetes.replicas says. The operator makes the pods and tells them who
// they are (TF_CONFIG; MASTER_ADDR, WORLD_SIZE, RANK). Pure functions;
// thread-safe.
#pragma once

#include <memory>

#include "backends/kubernetes/workload_kind.h"

namespace gdsweep {

std::unique_ptr<WorkloadKind> MakeTfJobWorkload(const KubernetesSpec& spec);
std::unique_ptr<WorkloadKind> MakePyTorchJobWorkload(const KubernetesSpec& spec);

}  // namespace gdsweep
