// The sampler section of a study file, read through one table of sampler
// types: each type's option keys and their parser, its whole-section check,
// and what it can serve (a conditional space, several objectives). A type a
// study does not suit is an error at sampler.type naming file:line:col. Part
// of the study-file parser (study_parser.h). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// What a sampler type's checks see once its section is read.
struct SamplerSection {
  const YamlNode& sampler;  // the sampler mapping
  YamlLocation type;        // where sampler.type is (the mapping when absent)
  const SearchSpace& space;
  const YamlNode& space_node;  // the search_space mapping `space` came from
  const std::vector<Objective>& objectives;
};

struct SamplerType {
  std::string name;  // sampler.type
  // What its options are called in "X option, but sampler.type is 'T'".
  std::string option_owner;
  std::vector<std::string> keys;  // its options, beside type and seed
  // Reads one entry whose key is in `keys` (the study's type is this one).
  Status (*parse)(const YamlEntry& e, const SearchSpace& space, SamplerSpec& spec) = nullptr;
  // What needs several options, the space or the objectives; nullptr: none.
  Status (*check)(const SamplerSection& section, const SamplerSpec& spec) = nullptr;
  bool conditional = true;      // serves a space with `when:` (else refused)
  bool multi_objective = true;  // serves several objectives (else refused)
};

// The sampler of a new study whose file names no sampler.type (nor TPE's
// options): auto, which the benchmark of docs/benchmarks.md ("Samplers")
// found never significantly worse than TPE. A resumed study keeps the one
// recorded with it (Study::Open).
inline constexpr const char* kDefaultSamplerType = "auto";

// Every type, in the order sampler.type lists them.
const std::vector<SamplerType>& SamplerTypes();
// The type named `name`, or nullptr.
const SamplerType* FindSamplerType(const std::string& name);

// `node` is the value of the top-level sampler key, or nullptr when absent;
// `space_node` the search_space mapping that `space` was parsed from.
Result<SamplerSpec> ParseSampler(const YamlNode* node, const SearchSpace& space,
                                 const YamlNode& space_node,
                                 const std::vector<Objective>& objectives);

}  // namespace gdsweep
