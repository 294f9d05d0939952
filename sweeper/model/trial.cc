#include "sweeper/model/trial.h"

#include <algorithm>
#include <limits>

#include "sweeper/model/search_space.h"

namespace gdsweep {

const char* ToString(TrialState s) {
  switch (s) {
    case TrialState::kRunning:
      return "RUNNING";
    case TrialState::kComplete:
      return "COMPLETE";
    case TrialState::kPruned:
      return "PRUNED";
    case TrialState::kFail:
      return "FAIL";
    case TrialState::kWaiting:
      return "WAITING";
  }
  return "?";
}

std::optional<TrialState> TrialStateFromString(const std::string& s) {
  for (auto st : {TrialState::kRunning, TrialState::kComplete, TrialState::kPruned,
                  TrialState::kFail, TrialState::kWaiting}) {
    if (s == ToString(st)) return st;
  }
  return std::nullopt;
}

const char* ToString(Direction d) { return d == Direction::kMinimize ? "MINIMIZE" : "MAXIMIZE"; }

const Parameter* FindParameter(const SearchSpace& space, const std::string& name) {
  for (const auto& p : space) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

double Violation(const TrialRecord& t) {
  if (!t.constraints) return std::numeric_limits<double>::infinity();
  double sum = 0;
  for (double v : *t.constraints) {
    if (v > 0) sum += v;
  }
  return sum;
}

bool IsActive(const Parameter& p, const Params& chosen) {
  for (const auto& c : p.when) {
    auto it = chosen.find(c.parent);
    if (it == chosen.end()) return false;
    if (std::find(c.values.begin(), c.values.end(), it->second) == c.values.end()) return false;
  }
  return true;
}

bool IsConditional(const SearchSpace& space) {
  return std::any_of(space.begin(), space.end(),
                     [](const Parameter& p) { return !p.when.empty(); });
}

bool HasExactlyActive(const SearchSpace& space, const Params& params) {
  size_t active = 0;
  for (const auto& p : space) {
    if (!IsActive(p, params)) continue;
    if (!params.count(p.name)) return false;
    ++active;
  }
  return active == params.size();
}

Params KeepActive(const SearchSpace& space, const Params& params,
                  std::vector<std::string>* dropped) {
  Params kept;
  for (const auto& p : space) {
    auto it = params.find(p.name);
    if (it == params.end()) continue;
    if (IsActive(p, kept)) {
      kept.insert(*it);
    } else if (dropped) {
      dropped->push_back(p.name);
    }
  }
  return kept;
}

bool LacksActive(const SearchSpace& space, const Params& params) {
  return std::any_of(space.begin(), space.end(), [&](const Parameter& p) {
    return IsActive(p, params) && !params.count(p.name);
  });
}

}  // namespace gdsweep
