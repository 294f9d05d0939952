#include "samplers/cmaes/state_json.h"

#include <nlohmann/json.hpp>

namespace gdsweep::cmaes {
namespace {

using json = nlohmann::json;
constexpr int kVersion = 1;

}  // namespace

std::string ToJson(const OptimizerState& s) {
  const CmaState& c = s.cma;
  json cma = {{"separable", c.separable},
              {"dim", c.dim},
              {"popsize", c.popsize},
              {"generation", c.generation},
              {"sigma", c.sigma},
              {"mean", c.mean},
              {"p_sigma", c.p_sigma},
              {"p_c", c.p_c},
              {"cov", c.cov},
              {"lower", c.lower},
              {"upper", c.upper},
              {"funhist", c.funhist},
              {"tolx", c.tolx}};
  const RestartState& r = s.restart;
  json j = {{"version", kVersion},
            {"names", s.names},
            {"cma", std::move(cma)},
            {"restart",
             {{"run", r.run},
              {"large_runs", r.large_runs},
              {"small_evals", r.small_evals},
              {"large_evals", r.large_evals},
              {"small", r.small},
              {"last_large_popsize", r.last_large_popsize}}}};
  if (s.margin) j["margin"] = {{"a", s.margin->a}, {"margin", s.margin->margin}};
  return j.dump();
}

Result<OptimizerState> StateFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    if (j.at("version").get<int>() != kVersion) {
      return Error::Invalid("CMA-ES state of another version");
    }
    OptimizerState s;
    s.names = j.at("names").get<std::vector<std::string>>();
    const json& c = j.at("cma");
    CmaState& m = s.cma;
    m.separable = c.at("separable").get<bool>();
    m.dim = c.at("dim").get<int>();
    m.popsize = c.at("popsize").get<int>();
    m.generation = c.at("generation").get<int>();
    m.sigma = c.at("sigma").get<double>();
    m.mean = c.at("mean").get<std::vector<double>>();
    m.p_sigma = c.at("p_sigma").get<std::vector<double>>();
    m.p_c = c.at("p_c").get<std::vector<double>>();
    m.cov = c.at("cov").get<std::vector<double>>();
    m.lower = c.at("lower").get<std::vector<double>>();
    m.upper = c.at("upper").get<std::vector<double>>();
    m.funhist = c.at("funhist").get<std::vector<double>>();
    m.tolx = c.at("tolx").get<double>();
    const json& r = j.at("restart");
    s.restart.run = r.at("run").get<int>();
    s.restart.large_runs = r.at("large_runs").get<int>();
    s.restart.small_evals = r.at("small_evals").get<int64_t>();
    s.restart.large_evals = r.at("large_evals").get<int64_t>();
    s.restart.small = r.at("small").get<bool>();
    s.restart.last_large_popsize = r.at("last_large_popsize").get<int>();
    if (j.contains("margin")) {
      s.margin = MarginState{j["margin"].at("a").get<std::vector<double>>(),
                             j["margin"].at("margin").get<double>()};
    }
    const auto n = static_cast<size_t>(m.dim);
    const bool shapes = m.dim >= 1 && m.popsize >= 2 && s.names.size() == n && m.mean.size() == n &&
                        m.p_sigma.size() == n && m.p_c.size() == n &&
                        m.cov.size() == (m.separable ? n : n * n) && m.lower.size() == n &&
                        m.upper.size() == n && !m.funhist.empty() && m.funhist.size() % 2 == 0 &&
                        (!s.margin || s.margin->a.size() == n);
    if (!shapes) return Error::Invalid("CMA-ES state with inconsistent sizes");
    return s;
  } catch (const json::exception& e) {
    return Error::Invalid(std::string("CMA-ES state is not valid JSON: ") + e.what());
  }
}

}  // namespace gdsweep::cmaes
