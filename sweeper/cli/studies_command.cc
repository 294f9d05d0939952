// gdsweep studies: the studies in a database, with trial counts and tags.
#include <nlohmann/json.hpp>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/trial_table.h"

namespace gdsweep::cli {

int StudiesCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep studies [--format table|json] [--db PATH]\n"
      "Lists every study in the database with its objectives, trial counts and sweep tags.";
  po::options_description options("Options");
  options.add_options()("format", po::value<std::string>()->default_value("table"),
                        "table, csv or json")("db", po::value<std::string>()->default_value(""),
                                              "database path (default ./gdsweep.db)");
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;
  auto format = ParseFormat(vm["format"].as<std::string>());
  if (!format) return Fail(format.error());
  auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>()));
  if (!storage) return Fail(storage.error());
  auto studies = (*storage)->ListStudies();
  if (!studies) return Fail(studies.error());

  nlohmann::json all = nlohmann::json::array();
  for (const auto& s : *studies) {
    nlohmann::json objectives = nlohmann::json::array();
    for (size_t k = 0; k < s.info.directions.size(); ++k) {
      objectives.push_back(
          {{"metric", k < s.info.metric_names.size() ? s.info.metric_names[k] : ""},
           {"direction", ToString(s.info.directions[k])}});
    }
    nlohmann::json counts = nlohmann::json::object();
    int64_t total = 0;
    for (const auto& [state, n] : s.trials_by_state) {
      counts[ToString(state)] = n;
      total += n;
    }
    all.push_back({{"name", s.info.name},
                   {"objectives", objectives},
                   {"trials", total},
                   {"by_state", counts},
                   {"tags", s.tags}});
  }
  if (*format == Format::kJson) {
    std::printf("%s\n", all.dump(2).c_str());
    return kExitOk;
  }
  const char* sep = *format == Format::kCsv ? "," : "  ";
  std::printf("name%sobjectives%strials%scomplete%sfailed%stags\n", sep, sep, sep, sep, sep);
  for (const auto& s : all) {
    std::string objectives, tags;
    for (const auto& o : s["objectives"]) {
      objectives += (objectives.empty() ? "" : " ") + o["metric"].get<std::string>() + ":" +
                    (o["direction"] == "MINIMIZE" ? "min" : "max");
    }
    for (const auto& t : s["tags"]) tags += (tags.empty() ? "" : " ") + t.get<std::string>();
    std::printf("%s%s%s%s%lld%s%lld%s%lld%s%s\n", s["name"].get<std::string>().c_str(), sep,
                objectives.c_str(), sep, static_cast<long long>(s["trials"].get<int64_t>()), sep,
                static_cast<long long>(s["by_state"].value("COMPLETE", int64_t{0})), sep,
                static_cast<long long>(s["by_state"].value("FAIL", int64_t{0})), sep, tags.c_str());
  }
  return kExitOk;
}

}  // namespace gdsweep::cli
