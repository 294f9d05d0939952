// Replays the studies replay_optuna.py recorded with Optuna 3.1 through
// gdsweep's pruners and checks every decision, every rung value and every
// Hyperband bracket against Optuna's. Each study's pruner comes from its
// study-file section through the real parser (ParseStudyText) and
// MakePruner. Usage: pruner_replay FILE.json; exit 0 when all agree, 1 when
// any differs (each difference printed), 2 on unreadable input.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pruners/hyperband_pruner.h"
#include "pruners/pruner.h"
#include "sweeper/spec/study_parser.h"

namespace gdsweep {
namespace {

using nlohmann::json;

double Decode(const json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();
  if (s == "NaN") return std::nan("");
  return s == "Infinity" ? HUGE_VAL : -HUGE_VAL;
}

bool SameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

struct Tally {
  int64_t decisions = 0;
  int64_t prunes = 0;
  int64_t mismatches = 0;
};

std::unique_ptr<Pruner> PrunerFor(const json& study) {
  const std::string text =
      "study_name: " + study["study_name"].get<std::string>() +
      "\nobjective: {metric: loss, direction: " + study["direction"].get<std::string>() +
      "}\nsearch_space: {x: {type: float, low: 0, high: 1}}\n"
      "trial: {command: [\"true\"]}\npruner: " +
      study["pruner"].dump() + "\n";
  auto spec = ParseStudyText(text, "replay.yaml");
  if (!spec) {
    std::cerr << "parse: " << spec.error().message << "\n";
    return nullptr;
  }
  auto pruner = MakePruner(spec->pruner);
  if (!pruner) {
    std::cerr << "pruner: " << pruner.error().message << "\n";
    return nullptr;
  }
  return std::move(*pruner);
}

// Replays one study; returns false when the input is unusable.
bool Replay(const json& study, Tally& tally) {
  const std::string name = study["study_name"];
  const std::string where =
      name + " (" + study["pruner"].dump() + ", " + study["direction"].get<std::string>() + ")";
  auto pruner = PrunerFor(study);
  if (!pruner) return false;
  const Direction direction =
      study["direction"] == "maximize" ? Direction::kMaximize : Direction::kMinimize;
  std::vector<TrialRecord> history;
  auto mismatch = [&](const std::string& what) {
    ++tally.mismatches;
    std::cout << "MISMATCH " << where << ": " << what << "\n";
  };
  for (const auto& e : study["events"]) {
    if (e.contains("ask")) {
      TrialRecord t;
      t.number = e["ask"];
      t.trial_id = t.number + 1;
      history.push_back(t);
    } else if (e.contains("report")) {
      TrialRecord& t = history.at(e["report"].get<size_t>());
      const int64_t step = e["step"];
      t.intermediate[step] = Decode(e["value"]);
      const PruneDecision d = pruner->Prune({name, direction, history, t});
      for (const auto& [rung, value] : d.completed_rungs) t.completed_rungs[rung] = value;
      ++tally.decisions;
      tally.prunes += e["prune"].get<bool>();
      if (d.prune != e["prune"].get<bool>()) {
        mismatch("trial " + std::to_string(t.number) + " step " + std::to_string(step) +
                 ": Optuna " + (e["prune"].get<bool>() ? "prunes" : "continues") + ", gdsweep " +
                 (d.prune ? "prunes" : "continues"));
      }
    } else {
      TrialRecord& t = history.at(e["tell"].get<size_t>());
      t.state = *TrialStateFromString(e["state"].get<std::string>());
      if (e.contains("value")) t.values = {e["value"].get<double>()};
    }
  }
  for (const auto& t : history) {
    std::map<int, double> expected;
    if (auto it = study["rungs"].find(std::to_string(t.number)); it != study["rungs"].end()) {
      for (const auto& [rung, value] : it->items()) expected[std::stoi(rung)] = Decode(value);
    }
    bool same = expected.size() == t.completed_rungs.size();
    for (const auto& [rung, value] : expected) {
      same = same && t.completed_rungs.count(rung) && SameValue(t.completed_rungs.at(rung), value);
    }
    if (!same) mismatch("trial " + std::to_string(t.number) + ": rung values differ");
  }
  if (auto* hyperband = dynamic_cast<HyperbandPruner*>(pruner.get())) {
    for (const auto& [number, bracket] : study["brackets"].items()) {
      const int ours = hyperband->BracketOf(name, std::stoll(number));
      if (ours != bracket.get<int>()) {
        mismatch("trial " + number + ": bracket " + std::to_string(ours) + ", Optuna's " +
                 bracket.dump());
      }
    }
  }
  return true;
}

int Main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pruner_replay FILE.json (from replay_optuna.py)\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("studies")) {
    std::cerr << argv[1] << ": not a replay document\n";
    return 2;
  }
  std::map<std::string, Tally> by_type;
  for (const auto& study : doc["studies"]) {
    if (!Replay(study, by_type[study["pruner"]["type"].get<std::string>()])) return 2;
  }
  int64_t total = 0;
  int64_t mismatches = 0;
  for (const auto& [type, t] : by_type) {
    std::printf("%-20s %6lld decisions (%5lld prunes), %lld differ\n", type.c_str(),
                static_cast<long long>(t.decisions), static_cast<long long>(t.prunes),
                static_cast<long long>(t.mismatches));
    total += t.decisions;
    mismatches += t.mismatches;
  }
  std::printf("%lld decisions compared with Optuna %s, %lld differ\n",
              static_cast<long long>(total), doc["optuna"].get<std::string>().c_str(),
              static_cast<long long>(mismatches));
  // Each type must be exercised both ways, or agreement would prove little.
  for (const auto& [type, t] : by_type) {
    if (t.decisions < 1000 || (type != "none" && (t.prunes == 0 || t.prunes == t.decisions))) {
      std::printf("too few decisions of %s to compare\n", type.c_str());
      return 1;
    }
  }
  return mismatches == 0 && by_type.size() == 7 ? 0 : 1;
}

}  // namespace
}  // namespace gdsweep

int main(int argc, char** argv) { return gdsweep::Main(argc, argv); }
