// For the sampler tests: one trial asked of a sampler and told, as the engine
// does it (the attributes the sampler proposes kept with the trial, a unique
// trial id, as storage gives them). Not thread-safe.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "samplers/sampler.h"

namespace gdsweep::testing {

using ValuesFn = std::function<std::vector<double>(const Params&)>;

// Asks for trial number history.size() and appends it in `state`, with
// values f(params) when COMPLETE. Returns the new trial.
inline TrialRecord& AskAndTell(Sampler& sampler, const SearchSpace& space,
                               const std::vector<Objective>& objectives,
                               std::vector<TrialRecord>& history, const ValuesFn& f,
                               TrialState state = TrialState::kComplete) {
  const auto number = static_cast<int64_t>(history.size());
  std::map<std::string, std::string> attrs;
  auto params = sampler.Sample({space, objectives, history, number, &attrs});
  REQUIRE_MESSAGE(params.ok(), params.error().message);
  REQUIRE(params->has_value());
  TrialRecord t;
  t.trial_id = number + 1;
  t.number = number;
  t.params = **params;
  t.sampler_attrs = std::move(attrs);
  t.state = state;
  if (state == TrialState::kComplete) t.values = f(t.params);
  history.push_back(std::move(t));
  return history.back();
}

}  // namespace gdsweep::testing
