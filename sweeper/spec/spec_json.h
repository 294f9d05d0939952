// The study spec as JSON, stored with the study for reference and shown by
// `gdsweep studies --format json`. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/study_spec.h"

namespace gdsweep {

std::string SpecToJson(const StudySpec& spec);

// The sampler type recorded in a SpecToJson string; empty when it has none
// or is not JSON.
std::string SamplerTypeOf(const std::string& spec_json);

// The constraint names recorded in a SpecToJson string (the study file's
// `constraints`); empty when it has none or is not JSON.
std::vector<std::string> ConstraintsOf(const std::string& spec_json);

}  // namespace gdsweep
