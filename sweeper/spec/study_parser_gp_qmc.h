// The options of the gp and qmc samplers in the sampler section of a study
// file, and the checks that the study suits gp (one objective, a numeric
// parameter). Part of the study-file parser (study_parser.h). Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// The keys of the sampler section only gp or qmc read.
extern const std::vector<std::string> kGpQmcKeys;

// True when `key` is an option of sampler `type` that ParseGpQmcOptions reads
// (n_startup_trials is TPE's key too).
bool GpQmcOwns(const std::string& type, const std::string& key);

// Reads the gp/qmc options of the sampler mapping `node` into spec.gp /
// spec.qmc; spec.type is already set. An option of the other sampler is an
// error at its key.
Status ParseGpQmcOptions(const YamlNode& node, SamplerSpec& spec);

// gp on a study it cannot serve: several objectives, or no float or int
// parameter. `sampler_node` is the sampler mapping (nullptr when absent).
Status CheckGpStudy(const YamlNode* sampler_node, const SamplerSpec& sampler,
                    const std::vector<Objective>& objectives, const SearchSpace& space);

}  // namespace gdsweep
