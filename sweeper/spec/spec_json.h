// The study spec as JSON, stored with the study for reference and shown by
// `gdsweep studies --format json`. Thread-compatible.
#pragma once

#include <string>

#include "sweeper/model/study_spec.h"

namespace gdsweep {

std::string SpecToJson(const StudySpec& spec);

}  // namespace gdsweep
