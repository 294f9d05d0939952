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
// mapping) into `k`; a custom manifest file is resolved against the folder
// of `study_file` and read.
Status ReadWorkloadKind(const YamlNode& node, const std::string& study_file, KubernetesSpec& k);

}  // namespace gdsweep
