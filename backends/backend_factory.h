// Building the Backend a study file names (`backend: local` or
// `backend: kubernetes`), so the CLI needs no knowledge of either. The one
// place that knows every backend. Thread-safe (no shared state).
#pragma once

#include <memory>

#include "backends/backend.h"
#include "backends/kubernetes/kubernetes_backend.h"
#include "backends/local/local_backend.h"
#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"

namespace gdsweep {

struct BackendOptions {
  LocalBackendOptions local;
  KubernetesBackendOptions kubernetes;
};

// The study's backend. For Kubernetes this finds the cluster (kubeconfig,
// context, in-cluster) and checks the credentials and namespace, so a bad
// kubeconfig or a refused token is an error here, before any trial starts.
Result<std::unique_ptr<Backend>> MakeBackend(const StudySpec& spec,
                                             const BackendOptions& options = {});

}  // namespace gdsweep
