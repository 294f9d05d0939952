// The pruner section of a study file (docs/study-file.md, "Pruner"):
// `pruner: {type: median | percentile | successive_halving | hyperband |
// threshold | patient | none, ...}` with Optuna 3.1's setting names and
// defaults, every error at its FILE:LINE:COLUMN. Part of the study-file
// parser (study_parser.h). Pure functions; thread-safe.
#pragma once

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// Parses the top-level pruner key into spec.pruner when it is present and not
// null (absent: type none). Reads spec.objectives, which must be parsed
// already: a pruner other than none on a multi-objective study is refused.
Status ParsePrunerSection(const YamlNode& root, StudySpec& spec);

}  // namespace gdsweep
