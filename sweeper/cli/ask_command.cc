// gdsweep ask STUDY.yaml: create a RUNNING trial and print it as JSON, so any
// loop can drive a study (Optuna's `optuna ask`). Its result comes back with
// `gdsweep tell`.
#include <nlohmann/json.hpp>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/launch.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/study.h"
#include "sweeper/tracking_session.h"

namespace gdsweep::cli {

int AskCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep ask STUDY.yaml [--set KEY=VALUE ...] [--tag TAG] [--db PATH]\n"
      "Creates a RUNNING trial with parameters from the study's sampler and prints\n"
      "{\"study\", \"number\", \"trial_id\", \"params\"} as JSON on stdout (with a tracking\n"
      "section, also \"mlflow_run_id\" once its run exists). The trial budget is\n"
      "not applied (as Optuna's ask); a grid with no point left exits 4.";
  po::options_description options("Options");
  options.add_options()("study-file", po::value<std::string>()->required(), "the study file")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a key of the file")(
      "tag", po::value<std::string>(), "the sweep tag")(
      "db", po::value<std::string>()->default_value(""), DbHelp(true).c_str())(
      "allow-changes", po::bool_switch(), "accept a changed search space or objectives");
  po::positional_options_description positional;
  positional.add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, &positional, vm)) return *code;

  std::vector<SetOverride> sets = StudyOverrides(vm);
  auto spec = LoadStudyFile(vm["study-file"].as<std::string>(), sets);
  if (!spec) return Fail(spec.error());
  spec->budget.n_trials.reset();
  auto opened = OpenSpecStudy(*spec, vm["db"].as<std::string>(), vm["allow-changes"].as<bool>(),
                              Durability::kEachCommit);
  if (!opened) return Fail(opened.error());
  Study& study = *opened->study;
  if (spec->tracking) {  // from now on the trial's reports go to the outbox
    auto set =
        opened->storage->SetTrackingTarget(study.info().study_id, spec->tag, TargetFromSpec(*spec));
    if (!set) return Fail(set.error());
  }
  auto asked = study.Ask("");
  if (!asked) return Fail(asked.error());
  if (asked->kind != AskResult::Kind::kTrial) {
    return Fail(Error::NotFound("the sampler has no parameters left to propose (grid exhausted)"));
  }
  nlohmann::json out = {
      {"study", spec->name},
      {"number", asked->trial.number},
      {"trial_id", asked->trial.trial_id},
      {"params", nlohmann::json::parse(ParamsJson(spec->space, asked->trial.params))}};
  if (spec->tracking) {
    // The run is made now if the server answers, so the caller can log to it.
    const TrackingTarget target = TargetFromSpec(*spec);
    auto report =
        DeliverOnce(*opened->storage, study.info(), spec->tag, target, std::chrono::seconds(10));
    if (!report) return Fail(report.error());
    if (report->pending > 0 || report->dead > 0) ReportDelivery(*report, target);
    auto run =
        opened->storage->GetTrackingRun(study.info().study_id, spec->tag, asked->trial.trial_id);
    if (!run) return Fail(run.error());
    if (*run) {
      out["mlflow_experiment_id"] = (*run)->experiment_id;
      out["mlflow_run_id"] = (*run)->run_id;
    }
  }
  std::printf("%s\n", out.dump().c_str());
  return kExitOk;
}

}  // namespace gdsweep::cli
