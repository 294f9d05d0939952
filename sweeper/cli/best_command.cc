// gdsweep best: the best trial of a study (or its Pareto front).
#include <spdlog/spdlog.h>

#include "sweeper/best.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/trial_table.h"

namespace gdsweep::cli {

int BestCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep best [--study NAME] [--tag TAG] [--format table|csv|json] [--db PATH]\n"
      "Shows the best COMPLETE trial; for several objectives, the Pareto front.";
  po::options_description options("Options");
  options.add_options()("study", po::value<std::string>()->default_value(""),
                        "the study (default: the only one in the database)")(
      "tag", po::value<std::string>(), "only trials of this sweep tag")(
      "format", po::value<std::string>()->default_value("table"), "table, csv or json")(
      "db", po::value<std::string>()->default_value(""), "database path (default ./gdsweep.db)");
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;

  auto format = ParseFormat(vm["format"].as<std::string>());
  if (!format) return Fail(format.error());
  auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>()));
  if (!storage) return Fail(storage.error());
  auto study = PickStudy(**storage, vm["study"].as<std::string>());
  if (!study) return Fail(study.error());
  TrialFilter filter;
  filter.state = TrialState::kComplete;
  if (vm.count("tag")) filter.tag = vm["tag"].as<std::string>();
  auto trials = (*storage)->ListTrials(study->study_id, filter);
  if (!trials) return Fail(trials.error());
  auto best = BestTrials(*trials, study->directions);
  if (best.empty()) {
    return Fail(Error::NotFound("study '" + study->name + "' has no COMPLETE trial" +
                                (filter.tag ? " with tag '" + *filter.tag + "'" : "")));
  }
  std::vector<TrialRecord> rows;
  for (const auto* t : best) rows.push_back(*t);
  PrintTrials(stdout, *study, rows, *format);
  return kExitOk;
}

}  // namespace gdsweep::cli
