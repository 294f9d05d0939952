// The search_space and sampler sections of a study file: parameters and their
// distributions, sampler options and explicit grid values, all validated.
// Part of the study-file parser (study_parser.h). Pure functions; thread-safe.
#pragma once

#include "sweeper/model/result.h"
#include "sweeper/model/search_space.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// `node` is the value of the top-level search_space key.
Result<SearchSpace> ParseSearchSpace(const YamlNode& node);

// `node` is the value of the top-level sampler key, or nullptr when absent;
// `space_node` the search_space mapping that `space` was parsed from (for
// pointing at a parameter that a grid cannot enumerate).
Result<SamplerSpec> ParseSampler(const YamlNode* node, const SearchSpace& space,
                                 const YamlNode& space_node);

}  // namespace gdsweep
