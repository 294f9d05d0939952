// The enqueue section of a study file (docs/study-file.md, "Enqueue"): a list
// of points, each a mapping of some or all of the search space's parameters
// to values, run before sampled trials. Every key must be a parameter and
// every value fit its distribution; errors at FILE:LINE:COLUMN. Part of the
// study-file parser (study_parser.h). Pure functions; thread-safe.
#pragma once

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// Parses the top-level `enqueue` key into spec.enqueue when it is present and
// not null. Reads spec.space, which must be parsed already.
Status ParseEnqueueSection(const YamlNode& root, StudySpec& spec);

}  // namespace gdsweep
