// `--set key.path=value` overrides of a study file, applied to its YAML tree
// before validation. Part of the study-file parser. Pure functions;
// thread-compatible (mutates only the given tree).
#pragma once

#include <string>

#include "sweeper/model/result.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// Sets the node at a dotted key path to a YAML value (scalar or flow node:
// "5", "[0.1, 0.2]", "{type: int, low: 1, high: 4}"). Since keys may contain
// dots (parameter names such as "train.lr"), each step takes the longest
// existing key that the rest of the path starts with; a missing key takes one
// segment and is created, except under search_space and sampler.values, whose
// keys are parameter names and take the rest of the path. Every node the
// override creates is located at `origin` (default "--set TEXT"), so later
// errors name it as the user wrote it.
Status ApplyOverride(YamlNode& root, const std::string& text, const std::string& origin = "");

}  // namespace gdsweep
