// The options of the tpe sampler in a study file's sampler section (Optuna's
// TPESampler names), validated with the file's line and column. Part of the
// study-file parser (study_parser.h). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

extern const std::vector<std::string> kTpeKeys;

// One `sampler.KEY: value` entry, KEY one of kTpeKeys.
Status ParseTpeOption(const YamlEntry& e, TpeOptions& tpe);

// What needs several options: group only with multivariate. `sampler` is
// the sampler mapping.
Status CheckTpeOptions(const YamlNode& sampler, const TpeOptions& tpe);

}  // namespace gdsweep
