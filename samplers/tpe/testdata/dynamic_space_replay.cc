// Checks that gdsweep's TPE treats dynamic search spaces and constraints as
// Optuna 3.1's does: reads the cases dynamic_space_optuna.py recorded from
// Debian's python3-optuna and compares, per case, the intersection search
// space and the group decomposition (search_space_groups.h) and the
// constrained good/bad split (ObservationCache::Intern per COMPLETE or PRUNED
// trial in history order, then tpe::SplitConstrained with gamma of the number
// taking part, as TpeSampler::Split does). Usage: tpe_dynamic_space
// FILE.json; exit 0 when every case agrees, 1 when one does not, 2 on a bad
// file.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "samplers/tpe/observation_cache.h"
#include "samplers/tpe/parzen_estimator.h"
#include "samplers/tpe/search_space_groups.h"
#include "samplers/tpe/tpe_split.h"

namespace gdsweep {
namespace {

using nlohmann::json;

TrialState StateOf(const std::string& s) {
  if (s == "COMPLETE") return TrialState::kComplete;
  if (s == "PRUNED") return TrialState::kPruned;
  if (s == "FAIL") return TrialState::kFail;
  return TrialState::kRunning;
}

template <typename T>
std::string Show(const std::vector<T>& v) {
  return json(v).dump();
}

bool Check(const json& c, size_t index) {
  std::vector<Objective> objectives;
  for (const auto& d : c["directions"]) {
    objectives.push_back({"v", d == "maximize" ? Direction::kMaximize : Direction::kMinimize});
  }
  SearchSpace space;
  for (const char* name : {"a", "b", "c", "d"}) {
    space.push_back({name, FloatDistribution{0.0, 1.0, false, std::nullopt}});
  }
  std::vector<tpe::ParamDomain> domains;
  for (const auto& p : space) domains.push_back(tpe::MakeDomain(p.distribution));
  tpe::ObservationCache cache;
  cache.Reset(space, domains, objectives);

  std::vector<TrialRecord> history;
  for (const json& t : c["trials"]) {
    TrialRecord r;
    r.number = t["number"].get<int64_t>();
    r.trial_id = 1000 + r.number;
    r.state = StateOf(t["state"]);
    for (const auto& [name, value] : t["params"].items()) r.params[name] = value.get<double>();
    if (!t["values"].is_null()) r.values = t["values"].get<std::vector<double>>();
    for (const json& p : t["intermediate"])
      r.intermediate[p[0].get<int64_t>()] = p[1].get<double>();
    if (!t["constraints"].is_null()) r.constraints = t["constraints"].get<std::vector<double>>();
    history.push_back(std::move(r));
  }
  bool ok = true;
  const auto intersection = tpe::IntersectionSpace(history);
  if (intersection != c["intersection"].get<std::vector<std::string>>()) {
    std::cerr << "case " << index << ": intersection " << Show(intersection) << ", Optuna "
              << c["intersection"].dump() << "\n";
    ok = false;
  }
  auto groups = tpe::GroupDecomposition(history);
  std::sort(groups.begin(), groups.end());
  if (groups != c["groups"].get<std::vector<std::vector<std::string>>>()) {
    std::cerr << "case " << index << ": groups " << json(groups).dump() << ", Optuna "
              << c["groups"].dump() << "\n";
    ok = false;
  }

  const size_t m = objectives.size();
  std::vector<int64_t> numbers;
  std::vector<tpe::RankKey> keys;
  std::vector<double> values, violations;
  for (size_t i = 0; i < history.size(); ++i) {
    const TrialRecord& t = history[i];
    if (t.state != TrialState::kComplete && t.state != TrialState::kPruned) continue;
    const uint32_t e = cache.Intern(t, i);
    if (e == tpe::ObservationCache::kNone) continue;
    numbers.push_back(t.number);
    keys.push_back(cache.entry(e).key);
    if (m > 1) values.insert(values.end(), cache.objectives(e), cache.objectives(e) + m);
    violations.push_back(cache.entry(e).violation);
  }
  const auto fraction = c["gamma"]["fraction"].get<double>();
  const int cap = c["gamma"]["cap"].get<int>();
  const size_t n_below = std::min(tpe::Gamma(numbers.size(), fraction, cap), numbers.size());
  std::vector<uint8_t> flags;
  tpe::SplitConstrained(keys, values, m, violations, n_below, &flags);
  std::vector<int64_t> below, above;
  for (size_t i = 0; i < numbers.size(); ++i) (flags[i] ? below : above).push_back(numbers[i]);
  const auto want_below = c["below"].get<std::vector<int64_t>>();
  const auto want_above = c["above"].get<std::vector<int64_t>>();
  if (numbers.size() != c["n_finished"].get<size_t>() || below != want_below ||
      above != want_above) {
    std::cerr << "case " << index << ": below " << Show(below) << ", Optuna " << Show(want_below)
              << "; above " << Show(above) << ", Optuna " << Show(want_above) << "\n";
    ok = false;
  }
  return ok;
}

int Main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: tpe_dynamic_space FILE.json (from dynamic_space_optuna.py)\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("cases") || doc["cases"].empty()) {
    std::cerr << argv[1] << ": not a document of dynamic_space_optuna.py\n";
    return 2;
  }
  size_t failed = 0, infeasible = 0, missing = 0;
  for (size_t i = 0; i < doc["cases"].size(); ++i) {
    const json& c = doc["cases"][i];
    for (const json& t : c["trials"]) {
      if (t["constraints"].is_null()) {
        ++missing;
      } else {
        for (const json& v : t["constraints"]) {
          if (v.get<double>() > 0) {
            ++infeasible;
            break;
          }
        }
      }
    }
    if (!Check(c, i)) ++failed;
  }
  std::cout << doc["cases"].size() - failed << " of " << doc["cases"].size()
            << " cases (spaces and constrained splits) as Optuna "
            << doc["optuna"].get<std::string>() << " makes them (" << infeasible
            << " infeasible trials, " << missing << " without constraint values)\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gdsweep

int main(int argc, char** argv) { return gdsweep::Main(argc, argv); }
