#include "backends/backend_factory.h"

#include "backends/local/gpu_pool.h"

namespace gdsweep {

Result<std::unique_ptr<Backend>> MakeBackend(const StudySpec& spec, const BackendOptions& options) {
  if (spec.backend == "kubernetes") {
    if (!spec.kubernetes) {
      return Error::Invalid(spec.source_path + ": backend: kubernetes needs a kubernetes section");
    }
    return MakeKubernetesBackend(*spec.kubernetes, options.kubernetes);
  }
  if (spec.backend != "local") {
    return Error::Invalid(spec.source_path + ": unknown backend '" + spec.backend + "'");
  }
  LocalBackendOptions local = options.local;
  if (spec.local && spec.trial.gpus) {
    local.gpus_per_trial = spec.trial.gpus;
    local.gpus = spec.local->gpus;
    if (spec.local->gpus_auto) {
      auto found = ListNvidiaGpus();
      if (!found) {
        return Error::Invalid(spec.source_path + ": local.gpus: auto: " + found.error().message);
      }
      local.gpus = std::move(*found);
    }
    if (static_cast<size_t>(*spec.trial.gpus) > local.gpus.size()) {
      return Error::Invalid(spec.source_path + ": trial.resources.gpus: each trial needs " +
                            std::to_string(*spec.trial.gpus) + " GPUs but this machine has " +
                            std::to_string(local.gpus.size()));
    }
  }
  return MakeLocalBackend(local);
}

}  // namespace gdsweep
