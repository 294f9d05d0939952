#include "sweeper/trial_exit.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sweeper/tracking_session.h"

namespace gdsweep {

namespace fs = std::filesystem;

namespace {

// The last non-empty line of a trial's stderr, to say why it failed.
std::string LastStderrLine(const std::string& trial_dir) {
  std::ifstream in(fs::path(trial_dir) / "stderr.log", std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > 4096 ? size - 4096 : 0;
  in.seekg(from);
  std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream lines(tail);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  if (last.size() > 200) last = last.substr(0, 200) + "...";
  return last;
}

// objective_source: tracking: the values (and the first objective's history)
// are what the trial logged to its own run.
Status ValuesFromTracking(TrackingSession& tracking, const TrialRecord& trial, TrialOutcome& out) {
  auto run = tracking.RunOf(trial);
  if (!run) return run.error();
  if (!*run) {
    out.state = TrialState::kFail;
    out.failure_reason = "exited 0 but it has no tracking run to read its objective from";
    return {};
  }
  auto values = tracking.ReadValues(**run);
  if (!values) {
    out.state = TrialState::kFail;
    out.failure_reason = "exited 0 but " + values.error().message;
    return {};
  }
  out.state = TrialState::kComplete;
  out.values = std::move(values->values);
  out.intermediate = std::move(values->intermediate);
  return {};
}

}  // namespace

TrialOutcome OutcomeOfExit(const TrialExit& exit, MetricCollector& metrics, const BackendEvent& ev,
                           bool interrupted) {
  const TrialSpec& spec = exit.spec.trial;
  TrialOutcome out;
  out.intermediate = metrics.TakePending();
  out.intermediate_times = metrics.TakePendingTimes();
  if ((ev.cancelled && interrupted) || ev.interrupted) {
    out.state = TrialState::kFail;  // ignored: the trial goes back to WAITING
    out.failure_reason = ev.interrupted && !ev.reason.empty()
                             ? "interrupted: " + ev.reason
                             : "interrupted: gdsweep run was stopped";
    out.requeue = TrialOutcome::Requeue::kRerun;
    return out;
  }
  const bool ran_ok = ev.exit_code == 0 && ev.signal == 0 && !ev.timed_out && !ev.cancelled;
  if (ran_ok && exit.tracking && exit.tracking->values_from_tracking()) {
    if (auto s = ValuesFromTracking(*exit.tracking, exit.trial, out); !s) {
      out.state = TrialState::kFail;
      out.failure_reason = "exited 0 but " + s.error().message;
    }
    if (out.state == TrialState::kComplete) return out;
  } else if (ran_ok) {
    if (spec.result_source == ResultSource::kFile) {
      const std::string path = exit.trial_dir + "/result.json";
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        out.state = TrialState::kFail;
        out.failure_reason = "exited 0 without writing its result file " + path;
      } else {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (auto s = metrics.AddResultJson(text); !s) {
          out.state = TrialState::kFail;
          out.failure_reason = s.error().message;
        }
      }
    }
    if (out.failure_reason.empty()) {
      auto values = metrics.FinalValues();
      if (values) {
        out.state = TrialState::kComplete;
        out.values = std::move(*values);
        out.constraints = metrics.ConstraintValues();
        if (const auto missing = metrics.MissingConstraints(); !missing.empty()) {
          std::string names;
          for (const auto& n : missing) names += (names.empty() ? "'" : ", '") + n + "'";
          spdlog::warn(
              "trial {} did not report constraint(s) {} as numbers: it is recorded without "
              "constraint values, which counts as infeasible (as Optuna does)",
              exit.trial.number, names);
        }
        return out;
      }
      out.state = TrialState::kFail;
      out.failure_reason = "exited 0 but " + values.error().message;
    }
  } else {
    out.state = TrialState::kFail;
    out.failure_reason = ev.reason.empty() ? "failed" : ev.reason;
    std::string last = LastStderrLine(exit.trial_dir);
    if (!last.empty() && !ev.timed_out) out.failure_reason += ": " + last;
  }
  if (exit.trial.attempt < spec.retries + 1) out.requeue = TrialOutcome::Requeue::kRetry;
  return out;
}

}  // namespace gdsweep
