// gdsweep ask STUDY.yaml: create a RUNNING trial and print it as JSON, so any
// loop can drive a study (Optuna's `optuna ask`). Its result comes back with
// `gdsweep tell`.
#include <nlohmann/json.hpp>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/launch.h"
#include "sweeper/study.h"
#include "sweeper/study_parser.h"

namespace gdsweep::cli {

int AskCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep ask STUDY.yaml [--set KEY=VALUE ...] [--tag TAG] [--db PATH]\n"
      "Creates a RUNNING trial with parameters from the study's sampler and prints\n"
      "{\"study\", \"number\", \"trial_id\", \"params\"} as JSON on stdout. The trial budget is\n"
      "not applied (as Optuna's ask); a grid with no point left exits 4.";
  po::options_description options("Options");
  options.add_options()("study-file", po::value<std::string>()->required(), "the study file")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a key of the file")(
      "tag", po::value<std::string>(), "the sweep tag")(
      "db", po::value<std::string>()->default_value(""), "database path")(
      "allow-changes", po::bool_switch(), "accept a changed search space or objectives");
  po::positional_options_description positional;
  positional.add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, &positional, vm)) return *code;

  std::vector<std::string> sets;
  if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
  if (vm.count("tag")) sets.push_back("tag=" + vm["tag"].as<std::string>());
  auto spec = ParseStudyFile(vm["study-file"].as<std::string>(), sets);
  if (!spec) return Fail(spec.error());
  spec->budget.n_trials.reset();
  auto opened = OpenSpecStudy(*spec, vm["db"].as<std::string>(), vm["allow-changes"].as<bool>());
  if (!opened) return Fail(opened.error());
  auto asked = opened->study->Ask("");
  if (!asked) return Fail(asked.error());
  if (asked->kind != AskResult::Kind::kTrial) {
    return Fail(Error::NotFound("the sampler has no parameters left to propose (grid exhausted)"));
  }
  nlohmann::json out = {
      {"study", spec->name},
      {"number", asked->trial.number},
      {"trial_id", asked->trial.trial_id},
      {"params", nlohmann::json::parse(ParamsJson(spec->space, asked->trial.params))}};
  std::printf("%s\n", out.dump().c_str());
  return kExitOk;
}

}  // namespace gdsweep::cli
