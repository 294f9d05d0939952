// gdsweep rename OLD NEW: give a study another name (its trials, their
// numbers and every gdsweep row stay as they are).
#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/cli/storage_url.h"

namespace gdsweep::cli {

int RenameCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep rename OLD NEW [--db PATH]\n"
      "Renames study OLD to NEW in one transaction. A study named NEW already there is left\n"
      "alone (exit 3). Run the study file with NEW as its study_name to resume it.";
  po::options_description options("Options");
  options.add_options()("old", po::value<std::string>()->required(), "the study's name")(
      "new", po::value<std::string>()->required(), "its new name")(
      "db", po::value<std::string>()->default_value(""), DbHelp().c_str());
  po::positional_options_description positional;
  positional.add("old", 1).add("new", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, &positional, vm)) return *code;

  const std::string from = vm["old"].as<std::string>();
  const std::string to = vm["new"].as<std::string>();
  if (auto s = CheckStudyName(to, "NEW"); !s) return Fail(s.error());
  auto storage =
      OpenStorageUrl(ResolveDbPath(vm["db"].as<std::string>()), OpenMode::kWrite, "--db");
  if (!storage) return Fail(storage.error());
  if (auto study = PickStudy(**storage, from); !study) return Fail(study.error());
  if (auto s = (*storage)->RenameStudy(from, to); !s) return Fail(s.error());
  std::printf("renamed study '%s' to '%s'\n", from.c_str(), to.c_str());
  return kExitOk;
}

}  // namespace gdsweep::cli
