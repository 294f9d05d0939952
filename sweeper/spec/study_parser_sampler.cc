#include "sweeper/spec/study_parser_sampler.h"

#include <algorithm>

#include "sweeper/spec/study_parser_evo_sampler.h"
#include "sweeper/spec/study_parser_gp_qmc.h"
#include "sweeper/spec/study_parser_space.h"
#include "sweeper/spec/study_parser_tpe.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

std::vector<SamplerType> MakeTypes() {
  std::vector<SamplerType> types;
  types.push_back({"tpe", "a TPE option", kTpeKeys,
                   [](const YamlEntry& e, const SearchSpace&, SamplerSpec& spec) {
                     return ParseTpeOption(e, spec.tpe);
                   },
                   [](const SamplerSection& s, const SamplerSpec& spec) {
                     return CheckTpeOptions(s.sampler, spec.tpe);
                   }});
  types.push_back({"random", "", {}});
  types.push_back({"grid",
                   "explicit grid values",
                   {"values"},
                   [](const YamlEntry& e, const SearchSpace& space, SamplerSpec& spec) {
                     return ParseGridValues(e.value, space, spec);
                   },
                   [](const SamplerSection& s, const SamplerSpec& spec) {
                     return CheckGridCovers(s.space, s.space_node, spec);
                   }});
  types.push_back({"cmaes", "a cmaes option", kCmaesKeys,
                   [](const YamlEntry& e, const SearchSpace& space, SamplerSpec& spec) {
                     return ParseCmaesOption(e, space, spec.cmaes);
                   },
                   [](const SamplerSection& s, const SamplerSpec& spec) {
                     return CheckCmaes(s.sampler, s.type, s.space, spec.cmaes);
                   },
                   /*conditional=*/false, /*multi_objective=*/false});
  types.push_back({"nsga2", "an nsga2 option", kNsga2Keys,
                   [](const YamlEntry& e, const SearchSpace&, SamplerSpec& spec) {
                     return ParseNsga2Option(e, spec.nsga2);
                   },
                   [](const SamplerSection& s, const SamplerSpec& spec) {
                     return CheckNsga2(s.sampler, s.type, spec.nsga2);
                   },
                   /*conditional=*/false});
  types.push_back({"qmc", "a qmc option", kQmcKeys,
                   [](const YamlEntry& e, const SearchSpace&, SamplerSpec& spec) {
                     return ParseQmcOption(e, spec.qmc);
                   },
                   nullptr, /*conditional=*/false});
  types.push_back(
      {"gp", "a gp option", kGpKeys,
       [](const YamlEntry& e, const SearchSpace&, SamplerSpec& spec) {
         return ParseGpOption(e, spec.gp);
       },
       [](const SamplerSection& s, const SamplerSpec&) { return CheckGpSpace(s.type, s.space); },
       /*conditional=*/false, /*multi_objective=*/false});
  types.push_back({"auto", "", {}});
  return types;
}

bool Has(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The first type that reads `key` (n_startup_trials: TPE's before gp's).
const SamplerType* OwnerOf(const std::string& key) {
  for (const auto& t : SamplerTypes()) {
    if (Has(t.keys, key)) return &t;
  }
  return nullptr;
}

// What the type cannot serve: a conditional space, several objectives.
Status CheckCapabilities(const SamplerType& type, const SamplerSection& s) {
  if (!type.conditional && IsConditional(s.space)) {
    std::vector<std::string> able;
    for (const auto& t : SamplerTypes()) {
      if (t.conditional && t.name != "auto") able.push_back(t.name);
    }
    std::string list;
    for (size_t i = 0; i < able.size(); ++i) {
      list += (i == 0 ? "" : i + 1 == able.size() ? " or " : ", ") + able[i];
    }
    return ErrorAt(s.type, "sampler.type",
                   type.name +
                       " proposes every parameter of a fixed space; this one has conditional "
                       "parameters (when:): use " +
                       list);
  }
  if (!type.multi_objective && s.objectives.size() > 1) {
    return ErrorAt(s.type, "sampler.type",
                   type.name + " optimises one objective; this study has " +
                       std::to_string(s.objectives.size()) + " (use nsga2 or tpe)");
  }
  return {};
}

}  // namespace

const std::vector<SamplerType>& SamplerTypes() {
  static const std::vector<SamplerType> types = MakeTypes();
  return types;
}

const SamplerType* FindSamplerType(const std::string& name) {
  for (const auto& t : SamplerTypes()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<SamplerSpec> ParseSampler(const YamlNode* node, const SearchSpace& space,
                                 const YamlNode& space_node,
                                 const std::vector<Objective>& objectives) {
  SamplerSpec spec;
  spec.type = kDefaultSamplerType;
  if (!node || node->IsNull()) return spec;
  const std::string path = "sampler";
  if (auto s = ExpectMapping(*node, path); !s) return s.error();
  std::vector<std::string> keys = {"type", "seed"};
  std::vector<std::string> names;
  for (const auto& t : SamplerTypes()) {
    names.push_back(t.name);
    for (const auto& k : t.keys) {
      if (!Has(keys, k)) keys.push_back(k);
    }
  }
  if (auto s = CheckKeys(*node, path, keys); !s) return s.error();

  const YamlEntry* type_entry = node->Find("type");
  if (const YamlNode* v = FindValue(*node, "type")) {
    auto type = ReadEnum(*v, "sampler.type", names);
    if (!type) return type.error();
    spec.type = *type;
    spec.type_given = true;
  } else if (std::any_of(node->entries.begin(), node->entries.end(), [](const YamlEntry& e) {
               return !e.value.IsNull() && Has(FindSamplerType("tpe")->keys, e.key);
             })) {
    spec.type = "tpe";  // TPE's options without a type: TPE, as before auto was the default
    spec.type_given = true;
  }
  if (const YamlNode* v = FindValue(*node, "seed")) {
    auto seed = ReadUint64(*v, "sampler.seed");
    if (!seed) return seed.error();
    spec.seed = *seed;
  }
  const SamplerType& type = *FindSamplerType(spec.type);
  for (const auto& e : node->entries) {
    if (e.value.IsNull() || e.key == "type" || e.key == "seed") continue;
    if (!Has(type.keys, e.key)) {
      return ErrorAt(e.key_location, JoinPath(path, e.key),
                     OwnerOf(e.key)->option_owner + ", but sampler.type is '" + spec.type + "'" +
                         (spec.type_given ? "" : " (the default; set sampler.type)"));
    }
    if (auto s = type.parse(e, space, spec); !s) return s.error();
  }
  const SamplerSection section{*node, type_entry ? type_entry->value.location : node->location,
                               space, space_node, objectives};
  if (type_entry) {  // the default (auto) and tpe serve every study
    if (auto s = CheckCapabilities(type, section); !s) return s.error();
  }
  if (type.check) {
    if (auto s = type.check(section, spec); !s) return s.error();
  }
  return spec;
}

}  // namespace gdsweep
