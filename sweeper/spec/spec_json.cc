#include "sweeper/spec/spec_json.h"

#include <nlohmann/json.hpp>

namespace gdsweep {
namespace {

// The pruner section as the study file spells it, every setting of its type
// given (defaults included), "auto" for an automatic resource.
nlohmann::json PrunerToJson(const PrunerSpec& p) {
  using nlohmann::json;
  json j = {{"type", ToString(p.type)}};
  auto resource = [](const std::optional<int64_t>& r) { return r ? json(*r) : json("auto"); };
  switch (p.type) {
    case PrunerType::kNone:
      break;
    case PrunerType::kPercentile:
      j["percentile"] = p.percentile.percentile;
      [[fallthrough]];
    case PrunerType::kMedian:
      j["n_startup_trials"] = p.percentile.n_startup_trials;
      j["n_warmup_steps"] = p.percentile.n_warmup_steps;
      j["interval_steps"] = p.percentile.interval_steps;
      j["n_min_trials"] = p.percentile.n_min_trials;
      break;
    case PrunerType::kSuccessiveHalving:
      j["min_resource"] = resource(p.successive_halving.min_resource);
      j["reduction_factor"] = p.successive_halving.reduction_factor;
      j["min_early_stopping_rate"] = p.successive_halving.min_early_stopping_rate;
      j["bootstrap_count"] = p.successive_halving.bootstrap_count;
      break;
    case PrunerType::kHyperband:
      j["min_resource"] = p.hyperband.min_resource;
      j["max_resource"] = resource(p.hyperband.max_resource);
      j["reduction_factor"] = p.hyperband.reduction_factor;
      j["bootstrap_count"] = p.hyperband.bootstrap_count;
      break;
    case PrunerType::kThreshold:
      if (p.threshold.lower) j["lower"] = *p.threshold.lower;
      if (p.threshold.upper) j["upper"] = *p.threshold.upper;
      j["n_warmup_steps"] = p.threshold.n_warmup_steps;
      j["interval_steps"] = p.threshold.interval_steps;
      break;
    case PrunerType::kPatient:
      j["patience"] = p.patient.patience;
      j["min_delta"] = p.patient.min_delta;
      if (p.patient.wrapped_pruner) j["wrapped_pruner"] = PrunerToJson(*p.patient.wrapped_pruner);
      break;
  }
  return j;
}

}  // namespace

std::string SpecToJson(const StudySpec& spec) {
  using nlohmann::json;
  json objectives = json::array();
  for (const auto& o : spec.objectives) {
    objectives.push_back({{"metric", o.metric}, {"direction", ToString(o.direction)}});
  }
  json space = json::object();
  json conditions = json::object();
  for (const auto& p : spec.space) {
    space[p.name] = json::parse(ToOptunaJson(p.distribution));
    for (const auto& c : p.when) conditions[p.name][c.parent] = c.values;  // internal values
  }
  json j = {{"study_name", spec.name},
            {"tag", spec.tag},
            {"objectives", objectives},
            {"search_space", space},
            {"sampler", {{"type", spec.sampler.type}}},
            {"budget", {{"parallelism", spec.budget.parallelism}}},
            {"trial",
             {{"command", spec.trial.command},
              {"hydra_overrides", spec.trial.hydra_overrides},
              {"retries", spec.trial.retries}}},
            {"backend", spec.backend}};
  if (!conditions.empty()) j["conditions"] = conditions;
  if (!spec.constraints.empty()) j["constraints"] = spec.constraints;
  if (spec.sampler.seed) j["sampler"]["seed"] = *spec.sampler.seed;
  if (spec.budget.n_trials) j["budget"]["n_trials"] = *spec.budget.n_trials;
  if (spec.budget.timeout_seconds) j["budget"]["timeout"] = *spec.budget.timeout_seconds;
  if (spec.trial.timeout_seconds) j["trial"]["timeout"] = *spec.trial.timeout_seconds;
  if (spec.pruner.type != PrunerType::kNone) {
    j["pruner"] = PrunerToJson(spec.pruner);
    j["trial"]["prune_grace"] = spec.trial.prune_grace_seconds;
  }
  if (const auto& t = spec.tracking) {
    j["tracking"] = {{"uri", t->uri},
                     {"experiment", t->experiment},
                     {"tag_key", t->tag_key},
                     {"objective_source",
                      t->objective_source == ObjectiveSource::kTracking ? "tracking" : "output"}};
    if (!t->artifact_location.empty()) j["tracking"]["artifact_location"] = t->artifact_location;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SamplerTypeOf(const std::string& spec_json) {
  auto j = nlohmann::json::parse(spec_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("sampler") || !j["sampler"].is_object()) return "";
  const auto& type = j["sampler"]["type"];
  return type.is_string() ? type.get<std::string>() : "";
}

std::vector<std::string> ConstraintsOf(const std::string& spec_json) {
  auto j = nlohmann::json::parse(spec_json, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains("constraints") || !j["constraints"].is_array()) return out;
  for (const auto& name : j["constraints"]) {
    if (name.is_string()) out.push_back(name.get<std::string>());
  }
  return out;
}

}  // namespace gdsweep
