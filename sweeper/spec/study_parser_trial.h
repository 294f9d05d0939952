// The trial section of a study file: the command (a list, never a shell
// line), Hydra-style overrides, environment, working directory, timeout,
// retries and where results come from; placeholders checked against the
// search space. Part of the study-file parser (study_parser.h). Pure
// functions; thread-safe.
#pragma once

#include "sweeper/model/result.h"
#include "sweeper/model/search_space.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// `node` is the value of the top-level trial key.
Result<TrialSpec> ParseTrial(const YamlNode& node, const SearchSpace& space);

}  // namespace gdsweep
