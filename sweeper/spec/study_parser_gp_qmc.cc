#include "sweeper/spec/study_parser_gp_qmc.h"

#include <algorithm>
#include <climits>

#include "sweeper/spec/yaml_values.h"

namespace gdsweep {

const std::vector<std::string> kGpQmcKeys = {"deterministic_objective", "qmc_type", "scramble"};

namespace {

const std::vector<std::string> kGpKeys = {"n_startup_trials", "deterministic_objective"};
const std::vector<std::string> kQmcKeys = {"qmc_type", "scramble"};

bool In(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

bool GpQmcOwns(const std::string& type, const std::string& key) {
  return (type == "gp" && In(kGpKeys, key)) || (type == "qmc" && In(kQmcKeys, key));
}

Status ParseGpQmcOptions(const YamlNode& node, SamplerSpec& spec) {
  for (const auto& e : node.entries) {
    if (e.value.IsNull()) continue;
    const std::string path = "sampler." + e.key;
    const bool gp_key = e.key == "deterministic_objective";
    const bool qmc_key = In(kQmcKeys, e.key);
    if ((gp_key && spec.type != "gp") || (qmc_key && spec.type != "qmc")) {
      return ErrorAt(e.key_location, path,
                     std::string(gp_key ? "a gp" : "a qmc") + " option, but sampler.type is '" +
                         spec.type + "'");
    }
    if (!GpQmcOwns(spec.type, e.key)) continue;
    if (e.key == "n_startup_trials") {
      auto n = ReadIntIn(e.value, path, 0, INT_MAX, "a non-negative whole number");
      if (!n) return n.error();
      spec.gp.n_startup_trials = static_cast<int>(*n);
    } else if (e.key == "deterministic_objective" || e.key == "scramble") {
      auto b = ReadBool(e.value, path);
      if (!b) return b.error();
      (e.key == "scramble" ? spec.qmc.scramble : spec.gp.deterministic_objective) = *b;
    } else {
      auto kind = ReadEnum(e.value, path, {"sobol", "halton"});
      if (!kind) return kind.error();
      spec.qmc.qmc_type = *kind;
    }
  }
  return {};
}

Status CheckGpStudy(const YamlNode* sampler_node, const SamplerSpec& sampler,
                    const std::vector<Objective>& objectives, const SearchSpace& space) {
  if (sampler.type != "gp") return {};
  const YamlEntry* type = sampler_node ? sampler_node->Find("type") : nullptr;
  if (!type) return {};  // gp is never the default
  if (objectives.size() > 1) {
    return ErrorAt(type->value.location, "sampler.type",
                   "the gp sampler optimises one objective, this study has " +
                       std::to_string(objectives.size()) +
                       "; use tpe (multi-objective TPE) for several");
  }
  const bool numeric = std::any_of(space.begin(), space.end(), [](const Parameter& p) {
    return !std::holds_alternative<CategoricalDistribution>(p.distribution);
  });
  if (!numeric) {
    return ErrorAt(type->value.location, "sampler.type",
                   "the gp sampler needs at least one float or int parameter; every parameter "
                   "here is categorical: use tpe");
  }
  return {};
}

}  // namespace gdsweep
