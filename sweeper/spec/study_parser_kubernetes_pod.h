// The pod-shaping keys of the kubernetes section (resources, env, env_from,
// volumes, node_selector, tolerations, affinity), and the readers of
// Kubernetes names, label maps and raw Kubernetes objects the whole section
// shares. Part of the study-file parser (study_parser_kubernetes.h). Pure
// functions; thread-safe.
#pragma once

#include <map>
#include <string>

#include "sweeper/model/kubernetes_spec.h"
#include "sweeper/model/result.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// "namespace" -> "kubernetes.namespace".
std::string KubePath(const std::string& key);

// The Kubernetes naming rule a value follows.
enum class KubeNameRule {
  kDnsLabel,      // namespaces, containers, volumes
  kDnsSubdomain,  // Secrets, ConfigMaps, claims, service accounts, priority classes
};

// A scalar that follows `rule`; the error says what the rule is.
Result<std::string> ReadKubeName(const YamlNode& node, const std::string& path, KubeNameRule rule);

// A mapping with label keys (the gdsweep.io/ prefix reserved) to label values
// (`label_values`) or to any strings (annotations).
Result<std::map<std::string, std::string>> ReadKubeStringMap(const YamlNode& node,
                                                             const std::string& path,
                                                             bool label_values);

// A YAML tree as JSON text (plain scalars by YAML 1.2's core schema), for
// Kubernetes' own objects given as they are (affinity, Job templates).
Result<std::string> YamlNodeToJson(const YamlNode& node, const std::string& path);

// Reads the pod-shaping keys of `section` (the kubernetes mapping) into `spec`.
Status ParseKubernetesPodKeys(const YamlNode& section, KubernetesSpec& spec);

}  // namespace gdsweep
