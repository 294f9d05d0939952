// gdsweep delete STUDY --yes: delete a study, its trials and every row
// gdsweep keeps of them, in one transaction (optuna.delete_study, with
// gdsweep's rows too). Trial log folders on disk are left alone.
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/storage_url.h"

namespace gdsweep::cli {

int DeleteCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep delete STUDY --yes [--db PATH]\n"
      "Deletes the study, all its trials (params, values, intermediate values, attributes)\n"
      "and gdsweep's rows of them (sweep counters, runs, workers, tracking outbox), in one\n"
      "transaction: all of it or nothing. Without --yes it only says what it would delete\n"
      "(exit 2). Trial log folders are not touched.";
  po::options_description options("Options");
  options.add_options()("study", po::value<std::string>()->required(), "the study to delete")(
      "yes", po::bool_switch(), "really delete it")(
      "db", po::value<std::string>()->default_value(""), DbHelp().c_str());
  po::positional_options_description positional;
  positional.add("study", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, &positional, vm)) return *code;

  const std::string name = vm["study"].as<std::string>();
  const bool yes = vm["yes"].as<bool>();
  auto storage = OpenStorageUrl(ResolveDbPath(vm["db"].as<std::string>()),
                                yes ? OpenMode::kWrite : OpenMode::kRead, "--db");
  if (!storage) return Fail(storage.error());
  auto study = PickStudy(**storage, name);
  if (!study) return Fail(study.error());
  int64_t trials = 0;
  auto all = (*storage)->ListStudies();
  if (!all) return Fail(all.error());
  for (const auto& s : *all) {
    if (s.info.study_id != study->study_id) continue;
    for (const auto& [state, count] : s.trials_by_state) trials += count;
  }
  const std::string what = "study '" + name + "' and its " + std::to_string(trials) + " trial(s)";
  if (!yes) return Fail(Error::Invalid("would delete " + what + "; add --yes to delete it"));
  if (auto s = (*storage)->DeleteStudy(name); !s) return Fail(s.error());
  std::printf("deleted %s\n", what.c_str());
  return kExitOk;
}

}  // namespace gdsweep::cli
