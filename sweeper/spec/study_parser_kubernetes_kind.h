// The keys of the kubernetes section that say what one trial is (kind, pods,
// replicas, replicated_jobs, custom) and whose log holds its metrics
// (metrics_from). Part of the study-file parser (study_parser_kubernetes.h).
// Pure functions (a custom manifest file is read); thread-safe.
#pragma once

#include <string>

#include "sweeper/model/kubernetes_spec.h"
#include "sweeper/model/result.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// Reads kind and the keys that go with it from `node` (the kubernetes
// mapping) into `k`.
Status ReadWorkloadKind(const YamlNode& node, KubernetesSpec& k);

}  // namespace gdsweep
