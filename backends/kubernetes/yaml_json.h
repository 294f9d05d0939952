// YAML <-> JSON for the Kubernetes backend: a kubeconfig (YAML or JSON) is
// read as JSON, and a rendered Job manifest (JSON) is printed as YAML for
// `gdsweep render`. The only file of the backend that includes yaml-cpp.
// Plain YAML scalars follow YAML 1.2's core schema (true, null, 12, 1.5e3);
// quoted scalars are strings. Pure functions; thread-safe.
#pragma once

#include <string>

#include "sweeper/model/result.h"

namespace gdsweep {

// One YAML document as JSON text. Errors are Error::Invalid
// "SOURCE:LINE:COLUMN: what".
Result<std::string> YamlToJson(const std::string& yaml, const std::string& source_name);

// A JSON document as block-style YAML, keys in the JSON's order; strings that
// YAML would read as another type ("1", "true", "null", "") are quoted.
Result<std::string> JsonToYaml(const std::string& json);

}  // namespace gdsweep
