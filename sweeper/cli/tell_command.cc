// gdsweep tell: record the result of a trial created by `gdsweep ask` (or any
// RUNNING trial): its values and constraint values, or that it failed or was
// pruned.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/spec/spec_json.h"
#include "sweeper/tracking_session.h"

namespace gdsweep::cli {
namespace {

// Boost takes "-1" after --values for an option: each number following one
// of `flags` is passed on as FLAG=NUMBER instead (the flag composes).
Args SpellOutNumbers(const Args& args, const std::vector<std::string>& flags) {
  Args out;
  for (size_t i = 0; i < args.size(); ++i) {
    out.push_back(args[i]);
    if (std::find(flags.begin(), flags.end(), args[i]) == flags.end()) continue;
    size_t j = i + 1;
    for (; j < args.size(); ++j) {
      char* end = nullptr;
      std::strtod(args[j].c_str(), &end);
      if (args[j].empty() || *end != '\0') break;
      if (j == i + 1) out.pop_back();
      out.push_back(args[i] + "=" + args[j]);
    }
    i = j - 1;
  }
  return out;
}

}  // namespace

int TellCommand(const Args& raw_args) {
  const Args args = SpellOutNumbers(raw_args, {"--values", "--constraints"});
  constexpr const char* kUsage =
      "usage: gdsweep tell --trial N (--values V [V ...] | --state fail|pruned)\n"
      "                    [--constraints C [C ...]] [--study NAME] [--reason TEXT] [--db PATH]\n"
      "Finishes RUNNING trial N: COMPLETE with one value per objective, or FAIL/PRUNED.\n"
      "--constraints records its constraint values (feasible when all <= 0), one per\n"
      "name in the study file's constraints, as a trial's c0=... lines do.\n"
      "A trial that is not RUNNING is left unchanged (exit 3).";
  po::options_description options("Options");
  options.add_options()("trial", po::value<int64_t>()->required(), "the trial number")(
      "values", po::value<std::vector<double>>()->multitoken()->composing(),
      "objective values, in order")(
      "constraints", po::value<std::vector<double>>()->multitoken()->composing(),
      "constraint values, in the study file's order (with --values or --state pruned)")(
      "state", po::value<std::string>(), "fail or pruned instead of values")(
      "reason", po::value<std::string>()->default_value(""), "why it failed or was pruned")(
      "study", po::value<std::string>()->default_value(""),
      "the study (default: the only one in the database)")(
      "db", po::value<std::string>()->default_value(""), DbHelp().c_str());
  po::variables_map vm;
  if (auto code = ParseOptions(args, kUsage, options, nullptr, vm)) return *code;

  TrialOutcome outcome;
  if (vm.count("values") == vm.count("state")) {
    return Fail(Error::Invalid("give either --values or --state"));
  }
  if (vm.count("state")) {
    std::string s = vm["state"].as<std::string>();
    if (s == "fail") {
      outcome.state = TrialState::kFail;
    } else if (s == "pruned") {
      outcome.state = TrialState::kPruned;
    } else {
      return Fail(Error::Invalid("--state must be fail or pruned, not '" + s + "'"));
    }
    outcome.failure_reason = vm["reason"].as<std::string>();
  } else {
    outcome.state = TrialState::kComplete;
    outcome.values = vm["values"].as<std::vector<double>>();
  }
  if (vm.count("constraints")) {
    // Optuna 3.1 records constraints of COMPLETE and PRUNED trials only.
    if (outcome.state == TrialState::kFail) {
      return Fail(
          Error::Invalid("--constraints is for a COMPLETE or PRUNED trial, not --state fail"));
    }
    outcome.constraints = vm["constraints"].as<std::vector<double>>();
    for (double v : *outcome.constraints) {
      if (std::isnan(v))
        return Fail(Error::Invalid("a constraint value is NaN (Optuna refuses it too)"));
    }
  }
  auto storage = OpenExisting(ResolveDbPath(vm["db"].as<std::string>()), /*writable=*/true);
  if (!storage) return Fail(storage.error());
  auto study = PickStudy(**storage, vm["study"].as<std::string>());
  if (!study) return Fail(study.error());
  if (outcome.state == TrialState::kComplete) {
    if (outcome.values.size() != study->directions.size()) {
      return Fail(Error::Invalid(
          "study '" + study->name + "' has " + std::to_string(study->directions.size()) +
          " objective(s); --values gave " + std::to_string(outcome.values.size())));
    }
    for (double v : outcome.values) {
      if (std::isnan(v)) return Fail(Error::Invalid("a value is NaN; use --state fail"));
    }
  }
  // A gdsweep study names its constraints; a study Optuna made does not.
  const std::vector<std::string> names = ConstraintsOf(study->spec_json);
  if (outcome.constraints && !names.empty() && outcome.constraints->size() != names.size()) {
    return Fail(Error::Invalid("study '" + study->name + "' has " + std::to_string(names.size()) +
                               " constraint(s) (" + JoinNames(names) + "); --constraints gave " +
                               std::to_string(outcome.constraints->size())));
  }
  if (!outcome.constraints && !names.empty() && outcome.state != TrialState::kFail) {
    spdlog::warn(
        "trial recorded without constraint values (no --constraints), which counts as "
        "infeasible for TPE (as Optuna does)");
  }
  TrialFilter filter;
  filter.number = vm["trial"].as<int64_t>();
  auto trials = (*storage)->ListTrials(study->study_id, filter);
  if (!trials) return Fail(trials.error());
  if (trials->empty()) {
    return Fail(Error::NotFound("study '" + study->name + "' has no trial " +
                                std::to_string(*filter.number)));
  }
  const TrialRecord& trial = trials->front();
  if (auto s = (*storage)->FinishTrial(trial.trial_id, outcome); !s) {
    return Fail(s.error());
  }
  // A tracked trial's report goes out now if the server answers; otherwise
  // it waits in the outbox for `gdsweep sync` or the next run.
  auto target = (*storage)->GetTrackingTarget(study->study_id, trial.tag);
  if (!target) return Fail(target.error());
  if (*target) {
    auto report = DeliverOnce(**storage, *study, trial.tag, **target, std::chrono::seconds(10));
    if (!report) return Fail(report.error());
    if (report->pending > 0 || report->dead > 0) ReportDelivery(*report, **target);
  }
  return kExitOk;
}

}  // namespace gdsweep::cli
