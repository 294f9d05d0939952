#include "backends/backend_factory.h"

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
  return MakeLocalBackend(options.local);
}

}  // namespace gdsweep
