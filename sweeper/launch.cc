#include "sweeper/launch.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "sweeper/spec/placeholders.h"

namespace gdsweep {

std::string ParamEnvName(const std::string& param) {
  std::string out = kEnvParamPrefix;
  for (char c : param) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  }
  return out;
}

std::string PruneFilePath(const std::string& trial_dir) { return trial_dir + "/prune"; }

std::string ParamsJson(const SearchSpace& space, const Params& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& p : space) {
    auto it = params.find(p.name);
    if (it == params.end()) continue;
    const double v = it->second;
    if (std::holds_alternative<FloatDistribution>(p.distribution)) {
      j[p.name] = v;
    } else if (std::holds_alternative<IntDistribution>(p.distribution)) {
      j[p.name] = static_cast<int64_t>(std::llround(v));
    } else {
      const auto& choices = std::get<CategoricalDistribution>(p.distribution).choices;
      const auto idx = static_cast<size_t>(std::llround(v));
      if (idx >= choices.size()) continue;
      std::visit(
          [&](const auto& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              j[p.name] = nullptr;
            } else {
              j[p.name] = c;
            }
          },
          choices[idx]);
    }
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string WorkingDir(const StudySpec& spec) {
  if (spec.backend != "local" || spec.source_path.empty()) return spec.trial.working_dir;
  const std::filesystem::path base =
      std::filesystem::absolute(spec.source_path).lexically_normal().parent_path();
  return (base / spec.trial.working_dir).lexically_normal().string();
}

Result<TrialLaunch> RenderLaunch(const StudySpec& spec, const TrialRecord& trial,
                                 const std::string& trial_dir) {
  TrialLaunch launch;
  launch.trial_id = trial.trial_id;
  launch.trial_number = trial.number;
  launch.attempt = trial.attempt;
  launch.run = std::max(1, trial.runs);
  launch.study_name = spec.name;
  launch.tag = spec.tag;
  launch.working_dir = WorkingDir(spec);
  launch.timeout_seconds = spec.trial.timeout_seconds;
  launch.log_dir = trial_dir;

  std::set<std::string> inactive;  // conditional parameters this trial does not have
  for (const auto& p : spec.space) {
    auto it = trial.params.find(p.name);
    if (it == trial.params.end()) {
      if (!p.when.empty() && !IsActive(p, trial.params)) {
        inactive.insert(p.name);
        continue;
      }
      return Error::Internal("trial " + std::to_string(trial.number) + " has no value for '" +
                             p.name + "'");
    }
    launch.params[p.name] = FormatValue(p.distribution, it->second);
  }
  // An argv entry or environment value naming an inactive parameter is left out.
  auto names_inactive = [&](const std::string& text) {
    if (inactive.empty()) return false;
    for (const auto& ph : ScanPlaceholders(text).placeholders) {
      if (inactive.count(ph.name)) return true;
    }
    return false;
  };

  const std::string number = std::to_string(trial.number);
  const std::string id = std::to_string(trial.trial_id);
  const std::string attempt = std::to_string(trial.attempt);
  auto lookup = [&](std::string_view key) -> std::optional<std::string> {
    if (key == "trial.number") return number;
    if (key == "trial.id") return id;
    if (key == "trial.attempt") return attempt;
    if (key == "trial.dir") return trial_dir;
    if (key == "study.name") return spec.name;
    if (key == "tag") return spec.tag;
    auto it = launch.params.find(std::string(key));
    if (it != launch.params.end()) return it->second;
    return std::nullopt;
  };

  for (const auto& arg : spec.trial.command) {
    if (names_inactive(arg)) continue;
    auto expanded = ExpandPlaceholders(arg, lookup);
    if (!expanded) return expanded.error().Wrap("trial.command");
    launch.argv.push_back(std::move(*expanded));
  }
  if (spec.trial.hydra_overrides) {
    for (const auto& p : spec.space) {
      if (!inactive.count(p.name)) launch.argv.push_back(p.name + "=" + launch.params[p.name]);
    }
  }

  for (const auto& [key, value] : spec.trial.env) {
    if (names_inactive(value)) continue;
    auto expanded = ExpandPlaceholders(value, lookup);
    if (!expanded) return expanded.error().Wrap("trial.env." + key);
    launch.env[key] = std::move(*expanded);
  }
  launch.env[kEnvStudy] = spec.name;
  launch.env[kEnvTag] = spec.tag;
  launch.env[kEnvTrialNumber] = number;
  launch.env[kEnvTrialId] = id;
  launch.env[kEnvAttempt] = attempt;
  launch.env[kEnvTrialDir] = trial_dir;
  launch.env[kEnvParamsFile] = trial_dir + "/params.json";
  launch.env[kEnvResultFile] = trial_dir + "/result.json";
  launch.env[kEnvPruneFile] = PruneFilePath(trial_dir);
  for (const auto& [name, value] : launch.params) launch.env[ParamEnvName(name)] = value;
  return launch;
}

}  // namespace gdsweep
