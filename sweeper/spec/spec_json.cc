#include "sweeper/spec/spec_json.h"

#include <nlohmann/json.hpp>

namespace gdsweep {

std::string SpecToJson(const StudySpec& spec) {
  using nlohmann::json;
  json objectives = json::array();
  for (const auto& o : spec.objectives) {
    objectives.push_back({{"metric", o.metric}, {"direction", ToString(o.direction)}});
  }
  json space = json::object();
  for (const auto& p : spec.space) space[p.name] = json::parse(ToOptunaJson(p.distribution));
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
  if (spec.sampler.seed) j["sampler"]["seed"] = *spec.sampler.seed;
  if (spec.budget.n_trials) j["budget"]["n_trials"] = *spec.budget.n_trials;
  if (spec.budget.timeout_seconds) j["budget"]["timeout"] = *spec.budget.timeout_seconds;
  if (spec.trial.timeout_seconds) j["trial"]["timeout"] = *spec.trial.timeout_seconds;
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

}  // namespace gdsweep
