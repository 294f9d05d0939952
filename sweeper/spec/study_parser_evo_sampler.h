// The options of the cmaes and nsga2 samplers in a study file's sampler
// section (Optuna's CmaEsSampler and NSGAIISampler names), validated with the
// file's line and column. Part of the study-file parser (study_parser.h).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

extern const std::vector<std::string> kCmaesKeys;
extern const std::vector<std::string> kNsga2Keys;

// One `sampler.KEY: value` entry, KEY one of kCmaesKeys (kNsga2Keys).
Status ParseCmaesOption(const YamlEntry& e, const SearchSpace& space, CmaEsOptions& cmaes);
Status ParseNsga2Option(const YamlEntry& e, Nsga2Options& nsga2);

// What needs several options or the space, checked once the whole sampler
// section is read: `sampler` is the sampler mapping, `type` where
// sampler.type is. cmaes: use_separable_cma and with_margin not together; a
// space with fewer than two numeric parameters is allowed (random search, as
// Optuna) with a warning in the log. nsga2: population_size at least the
// crossover's parents.
Status CheckCmaes(const YamlNode& sampler, const YamlLocation& type, const SearchSpace& space,
                  const CmaEsOptions& cmaes);
Status CheckNsga2(const YamlNode& sampler, const YamlLocation& type, const Nsga2Options& nsga2);

}  // namespace gdsweep
