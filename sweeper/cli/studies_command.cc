// gdsweep studies: the studies in a database, with trial counts and tags.
#include <nlohmann/json.hpp>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/trial_table.h"

namespace gdsweep::cli {

int StudiesCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep studies [--format table|csv|json] [--db PATH]\n"
      "Lists every study in the database with its objectives, trial counts and sweep tags.";
  po::options_description options("Options");
  options.add_options()("format", po::value<std::string>()->default_value("table"),
                        "table, csv or json")("db", po::value<std::string>()->default_value(""),
                                              DbHelp().c_str());
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;
  auto format = ParseFormat(vm["format"].as<std::string>());
  if (!format) return Fail(format.error());
  auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>()));
  if (!storage) return Fail(storage.error());
  auto studies = (*storage)->ListStudies();
  if (!studies) return Fail(studies.error());

  nlohmann::json all = nlohmann::json::array();
  Table table;
  table.header = {"name", "objectives", "trials", "complete", "failed", "tags"};
  for (const auto& s : *studies) {
    const auto names = ObjectiveNames(s.info);
    nlohmann::json objectives = nlohmann::json::array();
    std::string objectives_text, tags_text;
    for (size_t k = 0; k < s.info.directions.size(); ++k) {
      objectives.push_back({{"metric", names[k]}, {"direction", ToString(s.info.directions[k])}});
      objectives_text += (k ? " " : "") + names[k] + ":" +
                         (s.info.directions[k] == Direction::kMinimize ? "min" : "max");
    }
    nlohmann::json counts = nlohmann::json::object();
    int64_t total = 0;
    for (const auto& [state, n] : s.trials_by_state) {
      counts[ToString(state)] = n;
      total += n;
    }
    for (const auto& t : s.tags) tags_text += (tags_text.empty() ? "" : " ") + t;
    auto count = [&](TrialState state) {
      auto it = s.trials_by_state.find(state);
      return std::to_string(it == s.trials_by_state.end() ? 0 : it->second);
    };
    table.rows.push_back({s.info.name, objectives_text, std::to_string(total),
                          count(TrialState::kComplete), count(TrialState::kFail), tags_text});
    all.push_back({{"name", s.info.name},
                   {"objectives", objectives},
                   {"trials", total},
                   {"by_state", counts},
                   {"tags", s.tags}});
  }
  if (*format == Format::kJson) {
    std::printf("%s\n", JsonText(all).c_str());
  } else {
    PrintTable(stdout, table, *format);
  }
  return kExitOk;
}

}  // namespace gdsweep::cli
