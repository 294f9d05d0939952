// gdsweep copy --from DB --to DB: copy a whole study (trials, params, values,
// intermediate values, attributes and gdsweep's rows of them) into another
// database, through the Storage seam (optuna.copy_study, with gdsweep's rows).
#include "storage/study_dump.h"
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/storage_url.h"

namespace gdsweep::cli {

int CopyCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep copy --from DB --to DB [--study NAME] [--as NEW]\n"
      "Copies study NAME (default: the only one in --from) into database --to (created when\n"
      "missing), named NEW (default: NAME), in one transaction: its directions and attributes,\n"
      "every trial with its number, state, times, params, values, intermediate values and\n"
      "attributes, and gdsweep's rows of them (study file, sweep tags and budget counters,\n"
      "attempts, failure reasons, runs). Workers and MLflow tracking state are not copied.\n"
      "A study of that name already in --to is left alone (exit 3). DB is a file path or\n"
      "sqlite:///PATH; --from and --to may be the same file with --as.";
  po::options_description options("Options");
  options.add_options()("from", po::value<std::string>()->required(), "the source database")(
      "to", po::value<std::string>()->required(), "the target database")(
      "study", po::value<std::string>()->default_value(""),
      "the study (default: the only one in --from)")("as", po::value<std::string>(),
                                                     "the copy's name (default: the same)");
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;

  if (vm.count("as")) {
    if (auto s = CheckStudyName(vm["as"].as<std::string>(), "--as"); !s) return Fail(s.error());
  }
  auto from = OpenStorageUrl(vm["from"].as<std::string>(), OpenMode::kRead, "--from");
  if (!from) return Fail(from.error());
  auto study = PickStudy(**from, vm["study"].as<std::string>());
  if (!study) return Fail(study.error());
  const std::string name = vm.count("as") ? vm["as"].as<std::string>() : study->name;
  auto dump = (*from)->ExportStudy(study->name);
  if (!dump) return Fail(dump.error());
  auto to = OpenStorageUrl(vm["to"].as<std::string>(), OpenMode::kCreate, "--to");
  if (!to) return Fail(to.error());
  auto copied = (*to)->ImportStudy(*dump, name);
  if (!copied) return Fail(copied.error());
  std::printf("copied study '%s' (%zu trials) to '%s' in %s\n", study->name.c_str(),
              dump->trials.size(), name.c_str(), vm["to"].as<std::string>().c_str());
  return kExitOk;
}

}  // namespace gdsweep::cli
