#include "sweeper/spec/study_parser_gp_qmc.h"

#include <algorithm>
#include <climits>

#include "sweeper/spec/yaml_values.h"

namespace gdsweep {

const std::vector<std::string> kGpKeys = {"n_startup_trials", "deterministic_objective"};
const std::vector<std::string> kQmcKeys = {"qmc_type", "scramble"};

Status ParseGpOption(const YamlEntry& e, GpOptions& gp) {
  const std::string path = "sampler." + e.key;
  if (e.key == "n_startup_trials") {
    auto n = ReadIntIn(e.value, path, 0, INT_MAX, "a non-negative whole number");
    if (!n) return n.error();
    gp.n_startup_trials = static_cast<int>(*n);
    return {};
  }
  return ReadBoolInto(e.value, path, gp.deterministic_objective);
}

Status ParseQmcOption(const YamlEntry& e, QmcOptions& qmc) {
  const std::string path = "sampler." + e.key;
  if (e.key == "scramble") return ReadBoolInto(e.value, path, qmc.scramble);
  auto kind = ReadEnum(e.value, path, {"sobol", "halton"});
  if (!kind) return kind.error();
  qmc.qmc_type = *kind;
  return {};
}

Status CheckGpSpace(const YamlLocation& type, const SearchSpace& space) {
  const bool numeric = std::any_of(space.begin(), space.end(), [](const Parameter& p) {
    return !std::holds_alternative<CategoricalDistribution>(p.distribution);
  });
  if (!numeric) {
    return ErrorAt(type, "sampler.type",
                   "the gp sampler needs at least one float or int parameter; every parameter "
                   "here is categorical: use tpe");
  }
  return {};
}

}  // namespace gdsweep
