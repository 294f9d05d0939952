// The search_space section of a study file (parameters and their
// distributions, validated) and the grid sampler's explicit values over it.
// Part of the study-file parser (study_parser.h). Pure functions; thread-safe.
#pragma once

#include "sweeper/model/result.h"
#include "sweeper/model/search_space.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// `node` is the value of the top-level search_space key.
Result<SearchSpace> ParseSearchSpace(const YamlNode& node);

// `sampler.values` (the grid's explicit values per parameter) into
// spec.grid_values, each value checked against its parameter.
Status ParseGridValues(const YamlNode& values, const SearchSpace& space, SamplerSpec& spec);

// A grid must enumerate every parameter: its own grid or explicit values.
// `space_node` is the search_space mapping `space` was parsed from.
Status CheckGridCovers(const SearchSpace& space, const YamlNode& space_node,
                       const SamplerSpec& spec);

}  // namespace gdsweep
