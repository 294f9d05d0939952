// gdsweep trials: list a study's trials, filtered by sweep tag and state.
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/trial_table.h"

namespace gdsweep::cli {

int TrialsCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep trials [--study NAME] [--tag TAG] [--state STATE] [--format table|csv|json]\n"
      "                      [--db PATH]\n"
      "Lists trials in number order. STATE is RUNNING, COMPLETE, PRUNED, FAIL or WAITING.";
  po::options_description options("Options");
  options.add_options()("study", po::value<std::string>()->default_value(""),
                        "the study (default: the only one in the database)")(
      "tag", po::value<std::string>(), "only trials of this sweep tag")(
      "state", po::value<std::string>(), "only trials in this state")(
      "format", po::value<std::string>()->default_value("table"), "table, csv or json")(
      "db", po::value<std::string>()->default_value(""), "database path (default ./gdsweep.db)");
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;

  auto format = ParseFormat(vm["format"].as<std::string>());
  if (!format) return Fail(format.error());
  TrialFilter filter;
  if (vm.count("tag")) filter.tag = vm["tag"].as<std::string>();
  if (vm.count("state")) {
    std::string s = vm["state"].as<std::string>();
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    filter.state = TrialStateFromString(s);
    if (!filter.state) {
      return Fail(Error::Invalid("--state must be RUNNING, COMPLETE, PRUNED, FAIL or WAITING"));
    }
  }
  auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>()));
  if (!storage) return Fail(storage.error());
  auto study = PickStudy(**storage, vm["study"].as<std::string>());
  if (!study) return Fail(study.error());
  auto trials = (*storage)->ListTrials(study->study_id, filter);
  if (!trials) return Fail(trials.error());
  PrintTrials(stdout, *study, *trials, *format);
  return kExitOk;
}

}  // namespace gdsweep::cli
