// Checks that gdsweep's TPE divides a history with PRUNED trials into good
// and bad trials as Optuna 3.1's does: reads the cases pruned_split_optuna.py
// recorded from Debian's python3-optuna, and passes each history through what
// TpeSampler does with it (ObservationCache::Intern per COMPLETE or PRUNED
// trial in history order, then SplitSingleObjective with gamma of the number
// taking part). Usage: tpe_pruned_split FILE.json; exit 0 when every case
// agrees, 1 when one does not, 2 on a bad file.
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "samplers/tpe/observation_cache.h"
#include "samplers/tpe/parzen_estimator.h"
#include "samplers/tpe/tpe_split.h"

namespace gdsweep {
namespace {

using nlohmann::json;

// The recorder writes every value as Python's repr ("0.25", "nan", "-inf").
double Decode(const json& v) { return std::stod(v.get<std::string>()); }

TrialState StateOf(const std::string& s) {
  if (s == "COMPLETE") return TrialState::kComplete;
  if (s == "PRUNED") return TrialState::kPruned;
  if (s == "FAIL") return TrialState::kFail;
  return TrialState::kRunning;
}

std::string Numbers(const std::vector<int64_t>& v) {
  std::string out;
  for (int64_t n : v) out += (out.empty() ? "" : " ") + std::to_string(n);
  return "[" + out + "]";
}

// The split gdsweep makes of one recorded case; false (and why, on stderr)
// when it is not Optuna's.
bool Check(const json& c, size_t index) {
  const Direction direction =
      c["direction"] == "maximize" ? Direction::kMaximize : Direction::kMinimize;
  const std::vector<Objective> objectives{{"value", direction}};
  const SearchSpace space{{"x", FloatDistribution{0.0, 1.0, false, std::nullopt}}};
  const std::vector<tpe::ParamDomain> domains{tpe::MakeDomain(space[0].distribution)};
  tpe::ObservationCache cache;
  cache.Reset(space, domains, objectives);

  std::vector<TrialRecord> history;
  for (const json& t : c["trials"]) {
    TrialRecord r;
    r.number = t["number"].get<int64_t>();
    r.trial_id = 1000 + r.number;
    r.state = StateOf(t["state"]);
    r.params["x"] = 0.5;
    if (!t["value"].is_null()) r.values.push_back(Decode(t["value"]));
    for (const json& p : t["intermediate"]) r.intermediate[p[0].get<int64_t>()] = Decode(p[1]);
    history.push_back(std::move(r));
  }
  std::vector<int64_t> numbers;
  std::vector<tpe::RankKey> keys;
  for (size_t i = 0; i < history.size(); ++i) {
    const TrialRecord& t = history[i];
    if (t.state != TrialState::kComplete && t.state != TrialState::kPruned) continue;
    const uint32_t e = cache.Intern(t, i);
    if (e == tpe::ObservationCache::kNone) continue;
    numbers.push_back(t.number);
    keys.push_back(cache.entry(e).key);
  }
  const auto fraction = c["gamma"]["fraction"].get<double>();
  const int cap = c["gamma"]["cap"].get<int>();
  const size_t n_below = std::min(tpe::Gamma(keys.size(), fraction, cap), keys.size());
  std::vector<uint8_t> flags;
  tpe::SplitSingleObjective(keys, n_below, &flags);
  std::vector<int64_t> below, above;
  for (size_t i = 0; i < numbers.size(); ++i) (flags[i] ? below : above).push_back(numbers[i]);

  const auto want_below = c["below"].get<std::vector<int64_t>>();
  const auto want_above = c["above"].get<std::vector<int64_t>>();
  if (keys.size() == c["n_finished"].get<size_t>() && below == want_below && above == want_above) {
    return true;
  }
  std::cerr << "case " << index << " (" << c["direction"].get<std::string>() << ", " << keys.size()
            << " taking part, Optuna " << c["n_finished"].get<size_t>() << "): below "
            << Numbers(below) << ", Optuna " << Numbers(want_below) << "; above " << Numbers(above)
            << ", Optuna " << Numbers(want_above) << "\n";
  return false;
}

int Main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: tpe_pruned_split FILE.json (from pruned_split_optuna.py)\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("cases") || doc["cases"].empty()) {
    std::cerr << argv[1] << ": not a document of pruned_split_optuna.py\n";
    return 2;
  }
  size_t failed = 0, pruned = 0;
  for (size_t i = 0; i < doc["cases"].size(); ++i) {
    const json& c = doc["cases"][i];
    for (const json& t : c["trials"]) pruned += t["state"] == "PRUNED";
    if (!Check(c, i)) ++failed;
  }
  std::cout << doc["cases"].size() - failed << " of " << doc["cases"].size() << " splits as Optuna "
            << doc["optuna"].get<std::string>() << " makes them (" << pruned << " PRUNED trials)\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gdsweep

int main(int argc, char** argv) { return gdsweep::Main(argc, argv); }
