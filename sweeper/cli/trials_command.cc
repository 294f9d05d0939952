// gdsweep trials: list a study's trials, filtered by sweep tag and state, or
// one trial with the history of its runs.
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/trial_query.h"
#include "sweeper/cli/trial_table.h"

namespace gdsweep::cli {

int TrialsCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep trials [--study NAME] [--tag TAG] [--state STATE] [--number N]\n"
      "                      [--where 'KEY<op>VALUE' ...] [--sort KEY [--desc]] [--limit N]\n"
      "                      [--format table|csv|json] [--db PATH]\n"
      "Lists trials in number order. STATE is RUNNING, COMPLETE, PRUNED, FAIL or WAITING.\n"
      "KEY is a parameter, an objective (its metric name, or value / values_N), number,\n"
      "state, tag, attempt, start or end; op is = != < <= > >= (a categorical parameter, a\n"
      "state or a tag: = and != only). Several --where must all hold; a trial without the\n"
      "key fails them and sorts last. --limit keeps the first N after sorting.\n"
      "With --number: that trial and every run of it (worker, host, pid, start, end, outcome,\n"
      "reason); csv then lists the runs, json adds them to the trial as \"run_history\".";
  po::options_description options("Options");
  options.add_options()("study", po::value<std::string>()->default_value(""),
                        "the study (default: the only one in the database)")(
      "tag", po::value<std::string>(), "only trials of this sweep tag")(
      "state", po::value<std::string>(), "only trials in this state")(
      "number", po::value<int64_t>(), "just this trial, with the history of its runs")(
      "where", po::value<std::vector<std::string>>()->composing(),
      "only trials where KEY<op>VALUE holds (repeatable)")("sort", po::value<std::string>(),
                                                           "order by this key")(
      "desc", po::bool_switch(), "largest first")("limit", po::value<int64_t>(),
                                                  "at most N trials")(
      "format", po::value<std::string>()->default_value("table"), "table, csv or json")(
      "db", po::value<std::string>()->default_value(""), DbHelp().c_str());
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;

  auto format = ParseFormat(vm["format"].as<std::string>());
  if (!format) return Fail(format.error());
  TrialQuery query;
  if (vm.count("where")) query.where = vm["where"].as<std::vector<std::string>>();
  if (vm.count("sort")) query.sort = vm["sort"].as<std::string>();
  query.descending = vm["desc"].as<bool>();
  if (query.descending && !query.sort) return Fail(Error::Invalid("--desc needs --sort KEY"));
  if (vm.count("limit")) {
    query.limit = vm["limit"].as<int64_t>();
    if (*query.limit < 1) return Fail(Error::Invalid("--limit must be 1 or more"));
  }
  TrialFilter filter;
  if (vm.count("tag")) filter.tag = vm["tag"].as<std::string>();
  if (vm.count("number")) filter.number = vm["number"].as<int64_t>();
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
  if (filter.tag) {
    if (auto s = CheckTag(**storage, *study, *filter.tag); !s) return Fail(s.error());
  }
  auto trials = (*storage)->ListTrials(study->study_id, filter);
  if (!trials) return Fail(trials.error());
  auto params = (*storage)->ListParams(study->study_id);
  if (!params) return Fail(params.error());
  if (!filter.number) {
    auto queried = ApplyTrialQuery(*study, *params, std::move(*trials), query);
    if (!queried) return Fail(queried.error());
    PrintTrials(stdout, *study, *params, *queried, *format);
    return kExitOk;
  }
  if (trials->empty()) {
    return Fail(Error::NotFound("study '" + study->name + "' has no trial number " +
                                std::to_string(*filter.number) + " matching the filters"));
  }
  auto runs = (*storage)->ListTrialRuns(trials->front().trial_id);
  if (!runs) return Fail(runs.error());
  if (*format != Format::kCsv) PrintTrials(stdout, *study, *params, *trials, *format, &*runs);
  if (*format != Format::kJson) PrintTrialRuns(stdout, trials->front(), *runs, *format);
  return kExitOk;
}

}  // namespace gdsweep::cli
