#include "sweeper/model/trial.h"

#include "sweeper/model/search_space.h"

namespace gdsweep {

const char* ToString(TrialState s) {
  switch (s) {
    case TrialState::kRunning: return "RUNNING";
    case TrialState::kComplete: return "COMPLETE";
    case TrialState::kPruned: return "PRUNED";
    case TrialState::kFail: return "FAIL";
    case TrialState::kWaiting: return "WAITING";
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

}  // namespace gdsweep
