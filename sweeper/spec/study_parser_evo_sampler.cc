#include "sweeper/spec/study_parser_evo_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <unordered_map>

#include "sweeper/spec/suggest.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {

const std::vector<std::string> kCmaesKeys = {
    "sigma0",  "n_startup_trials",  "restart_strategy", "inc_popsize",
    "popsize", "use_separable_cma", "with_margin",      "x0"};
const std::vector<std::string> kNsga2Keys = {"population_size", "mutation_prob", "crossover",
                                             "crossover_prob", "swapping_prob"};

namespace {

// Float and int parameters with more than one value: what CMA-ES and the
// crossovers work on (samplers/numeric_space.h).
bool IsNumericParam(const Distribution& d) {
  return !std::holds_alternative<CategoricalDistribution>(d) && !IsSingle(d);
}

// Parents a crossover takes (samplers/nsga2/crossover.h).
int ParentsOf(const std::string& crossover) {
  return crossover == "spx" || crossover == "undx" ? 3 : 2;
}

Result<double> ReadProbability(const YamlNode& node, const std::string& path) {
  auto p = ReadNumber(node, path);
  if (!p) return p.error();
  if (*p < 0 || *p > 1) {
    return ErrorAt(node.location, path, "expected a probability in [0, 1], got " + Describe(node));
  }
  return *p;
}

Status ParseX0(const YamlNode& node, const SearchSpace& space, CmaEsOptions& cmaes) {
  const std::string path = "sampler.x0";
  if (auto s = ExpectMapping(node, path); !s) return s;
  std::vector<std::string> names;
  for (const auto& p : space) names.push_back(p.name);
  for (const auto& e : node.entries) {
    const std::string item = JoinPath(path, e.key);
    const Parameter* p = FindParameter(space, e.key);
    if (!p) {
      return ErrorAt(e.key_location, item,
                     "not a parameter of search_space" + DidYouMean(e.key, names));
    }
    if (!IsNumericParam(p->distribution)) {
      return ErrorAt(
          e.key_location, item,
          "x0 is for numeric parameters with more than one value; '" + e.key + "' is not one");
    }
    auto v = ReadNumber(e.value, item);
    if (!v) return v.error();
    double low = 0, high = 0;
    if (const auto* f = std::get_if<FloatDistribution>(&p->distribution)) {
      low = f->low;
      high = f->high;
    } else {
      const auto& i = std::get<IntDistribution>(p->distribution);
      low = static_cast<double>(i.low);
      high = static_cast<double>(i.high);
    }
    if (*v < low || *v > high) {
      return ErrorAt(e.value.location, item,
                     "x0 " + FormatDouble(*v) + " is outside [" + FormatDouble(low) + ", " +
                         FormatDouble(high) + "]");
    }
    cmaes.x0[e.key] = *v;
  }
  return {};
}

}  // namespace

Status ParseCmaesOption(const YamlEntry& e, const SearchSpace& space, CmaEsOptions& cmaes) {
  const std::string path = JoinPath("sampler", e.key);
  auto set_bool = [&](bool& field) { return ReadBoolInto(e.value, path, field); };
  if (e.key == "sigma0") {
    auto v = ReadNumber(e.value, path);
    if (!v) return v.error();
    if (!(*v > 0)) {
      return ErrorAt(e.value.location, path,
                     "expected a positive number, got " + Describe(e.value));
    }
    cmaes.sigma0 = *v;
    return {};
  }
  if (e.key == "n_startup_trials" || e.key == "inc_popsize" || e.key == "popsize") {
    const int64_t low = e.key == "n_startup_trials" ? 0 : e.key == "inc_popsize" ? 1 : 2;
    const std::string what = low == 0   ? "a non-negative whole number"
                             : low == 1 ? "a positive whole number"
                                        : "a whole number of at least 2";
    auto n = ReadIntIn(e.value, path, low, 1000000, what);
    if (!n) return n.error();
    if (e.key == "n_startup_trials") cmaes.n_startup_trials = static_cast<int>(*n);
    if (e.key == "inc_popsize") cmaes.inc_popsize = static_cast<int>(*n);
    if (e.key == "popsize") cmaes.popsize = static_cast<int>(*n);
    return {};
  }
  if (e.key == "restart_strategy") {
    auto v = ReadEnum(e.value, path, {"none", "ipop", "bipop"});
    if (!v) return v.error();
    cmaes.restart_strategy = *v == "none" ? "" : *v;
    return {};
  }
  if (e.key == "use_separable_cma") return set_bool(cmaes.use_separable_cma);
  if (e.key == "with_margin") return set_bool(cmaes.with_margin);
  return ParseX0(e.value, space, cmaes);
}

Status ParseNsga2Option(const YamlEntry& e, Nsga2Options& nsga2) {
  const std::string path = JoinPath("sampler", e.key);
  if (e.key == "population_size") {
    auto n = ReadIntIn(e.value, path, 2, 1000000, "a whole number of at least 2");
    if (!n) return n.error();
    nsga2.population_size = static_cast<int>(*n);
    return {};
  }
  if (e.key == "crossover") {
    auto v = ReadEnum(e.value, path, {"uniform", "sbx", "blxalpha", "spx", "undx", "vsbx"});
    if (!v) return v.error();
    nsga2.crossover = *v;
    return {};
  }
  auto p = ReadProbability(e.value, path);
  if (!p) return p.error();
  if (e.key == "mutation_prob") nsga2.mutation_prob = *p;
  if (e.key == "crossover_prob") nsga2.crossover_prob = *p;
  if (e.key == "swapping_prob") nsga2.swapping_prob = *p;
  return {};
}

Status CheckCmaes(const YamlNode& sampler, const YamlLocation& type, const SearchSpace& space,
                  const CmaEsOptions& cmaes) {
  const auto numeric = std::count_if(space.begin(), space.end(), [](const Parameter& p) {
    return IsNumericParam(p.distribution);
  });
  if (numeric < 2) {
    spdlog::warn("{}", ErrorAt(type, "sampler.type",
                               "CMA-ES needs two or more numeric parameters and this space has " +
                                   std::to_string(numeric) +
                                   ": every parameter will be drawn at random (as Optuna does)")
                           .message);
  }
  if (cmaes.use_separable_cma && cmaes.with_margin) {
    const YamlEntry* e = sampler.Find("with_margin");
    return ErrorAt(e->value.location, "sampler.with_margin",
                   "with_margin cannot be combined with use_separable_cma (as in Optuna)");
  }
  return {};
}

Status CheckNsga2(const YamlNode& sampler, const YamlLocation& type, const Nsga2Options& nsga2) {
  const int parents = ParentsOf(nsga2.crossover);
  if (nsga2.population_size < parents) {
    const YamlEntry* e = sampler.Find("population_size");
    return ErrorAt(e ? e->value.location : type, "sampler.population_size",
                   "crossover " + nsga2.crossover + " takes " + std::to_string(parents) +
                       " parents: population_size must be at least " + std::to_string(parents));
  }
  return {};
}

}  // namespace gdsweep
