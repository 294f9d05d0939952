// The options of the gp and qmc samplers in the sampler section of a study
// file, and the check that a study suits gp (a numeric parameter). Part of
// the study-file parser (study_parser.h). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

extern const std::vector<std::string> kGpKeys;
extern const std::vector<std::string> kQmcKeys;

// One `sampler.KEY: value` entry, KEY one of kGpKeys (kQmcKeys).
Status ParseGpOption(const YamlEntry& e, GpOptions& gp);
Status ParseQmcOption(const YamlEntry& e, QmcOptions& qmc);

// gp on a space it cannot serve: no float or int parameter. `type` is where
// sampler.type is.
Status CheckGpSpace(const YamlLocation& type, const SearchSpace& space);

}  // namespace gdsweep
