#include "samplers/tpe/search_space_groups.h"

#include <algorithm>
#include <set>

namespace gdsweep::tpe {
namespace {

bool Counts(const TrialRecord& t) {
  return t.state == TrialState::kComplete || t.state == TrialState::kPruned;
}

}  // namespace

std::vector<std::string> IntersectionSpace(const std::vector<TrialRecord>& history) {
  const TrialRecord* last = nullptr;
  for (auto it = history.rbegin(); it != history.rend() && !last; ++it) {
    if (Counts(*it)) last = &*it;
  }
  if (!last) return {};
  std::vector<std::string> names;
  for (const auto& [name, value] : last->params) names.push_back(name);
  for (const TrialRecord& t : history) {
    if (!Counts(t)) continue;
    std::erase_if(names, [&](const std::string& n) { return !t.params.count(n); });
  }
  return names;
}

std::vector<std::vector<std::string>> GroupDecomposition(const std::vector<TrialRecord>& history) {
  std::vector<std::set<std::string>> groups;
  std::vector<std::set<std::string>> next;
  for (const TrialRecord& t : history) {
    if (!Counts(t)) continue;
    std::set<std::string> keys;
    for (const auto& [name, value] : t.params) keys.insert(name);
    next.clear();
    for (const auto& group : groups) {
      std::set<std::string> in, out;
      for (const auto& name : group) (keys.count(name) ? in : out).insert(name);
      next.push_back(std::move(in));
      next.push_back(std::move(out));
      for (const auto& name : group) keys.erase(name);
    }
    next.push_back(std::move(keys));
    groups.clear();
    for (auto& g : next) {
      if (!g.empty()) groups.push_back(std::move(g));
    }
  }
  std::vector<std::vector<std::string>> out;
  for (const auto& g : groups) out.emplace_back(g.begin(), g.end());
  return out;
}

}  // namespace gdsweep::tpe
