// gdsweep should-prune STUDY.yaml: records one intermediate value of a
// RUNNING trial (made by `gdsweep ask`, or any) and asks the study's pruner
// whether the trial should stop, as Optuna's trial.report + should_prune.
// Answers by output and exit code; the caller then stops and tells PRUNED.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/study.h"
#include "sweeper/tracking_session.h"

namespace gdsweep::cli {

int ShouldPruneCommand(const Args& args) {
  constexpr const char* kUsage =
      "usage: gdsweep should-prune STUDY.yaml --trial N --step S --value V\n"
      "                            [--set KEY=VALUE ...] [--tag TAG] [--format text|json]\n"
      "                            [--db PATH]\n"
      "Records intermediate value V of RUNNING trial N at step S and asks the study's\n"
      "pruner about the trial (Optuna's report + should_prune). Prints 'continue'\n"
      "(exit 0) or 'prune' (exit 7); then stop the trial and record it with\n"
      "'gdsweep tell --trial N --state pruned'. A step reported before keeps its first\n"
      "value (a warning says so), as Optuna's report does; the judgement is at the\n"
      "trial's largest step. A trial that is not RUNNING exits 3.";
  po::options_description options("Options");
  options.add_options()("study-file", po::value<std::string>()->required(), "the study file")(
      "trial", po::value<int64_t>()->required(), "the trial number")(
      "step", po::value<int64_t>()->required(), "the step of the value (0 or more)")(
      "value", po::value<double>()->required(), "the intermediate value (nan, inf allowed)")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a key of the file")(
      "tag", po::value<std::string>(), "the sweep tag")(
      "format", po::value<std::string>()->default_value("text"), "text or json")(
      "db", po::value<std::string>()->default_value(""), "database path");
  po::positional_options_description positional;
  positional.add("study-file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, &positional, vm)) return *code;
  const std::string format = vm["format"].as<std::string>();
  if (format != "text" && format != "json") {
    return Fail(Error::Invalid("--format must be text or json, not '" + format + "'"));
  }
  const int64_t number = vm["trial"].as<int64_t>();
  const int64_t step = vm["step"].as<int64_t>();
  if (step < 0)
    return Fail(Error::Invalid("--step must be 0 or more, not " + std::to_string(step)));

  std::vector<SetOverride> sets = StudyOverrides(vm);
  auto spec = LoadStudyFile(vm["study-file"].as<std::string>(), sets);
  if (!spec) return Fail(spec.error());
  auto opened = OpenSpecStudy(*spec, vm["db"].as<std::string>(), false, Durability::kEachCommit);
  if (!opened) return Fail(opened.error());
  Study& study = *opened->study;
  TrialFilter filter;
  filter.number = number;
  auto trials = opened->storage->ListTrials(study.info().study_id, filter);
  if (!trials) return Fail(trials.error());
  if (trials->empty()) {
    return Fail(
        Error::NotFound("study '" + spec->name + "' has no trial " + std::to_string(number)));
  }
  const TrialRecord& trial = trials->front();
  auto judged = study.ReportAndJudge({{trial.trial_id, step, vm["value"].as<double>()}}, false);
  if (!judged) return Fail(judged.error());
  if (!judged->conflicts.empty()) return Fail(judged->conflicts.front().second);
  const ReportResult::Verdict& verdict = judged->verdicts.front();
  if (verdict.repeated) {
    spdlog::warn(
        "trial {} reported step {} before: this value is ignored (as Optuna's report ignores "
        "it), the first one stands",
        number, step);
  }
  // A tracked trial's value goes out now if the server answers; otherwise it
  // waits in the outbox for `gdsweep sync` or the next run.
  auto target = opened->storage->GetTrackingTarget(study.info().study_id, trial.tag);
  if (!target) return Fail(target.error());
  if (*target && !verdict.repeated) {
    auto report =
        DeliverOnce(*opened->storage, study.info(), trial.tag, **target, std::chrono::seconds(10));
    if (!report) return Fail(report.error());
    if (report->pending > 0 || report->dead > 0) ReportDelivery(*report, **target);
  }
  if (format == "json") {
    nlohmann::json out = {{"trial", number},
                          {"step", step},
                          {"judged_at_step", verdict.judged_at},
                          {"repeated", verdict.repeated},
                          {"prune", verdict.prune},
                          {"pruner", ToString(spec->pruner.type)}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%s\n", verdict.prune ? "prune" : "continue");
  }
  return verdict.prune ? kExitPrune : kExitOk;
}

}  // namespace gdsweep::cli
