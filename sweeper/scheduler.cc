#include "sweeper/scheduler.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sweeper/launch.h"
#include "sweeper/metrics.h"
#include "sweeper/worker.h"

namespace gdsweep {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Scheduler::Running {
  TrialRecord trial;
  MetricCollector metrics;
  Clock::time_point started;
  Clock::time_point last_report;
};

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

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error::Io("cannot write " + path.string());
  return {};
}

}  // namespace

Scheduler::Scheduler(Study& study, Backend& backend, Progress& progress,
                     const SchedulerOptions& options)
    : study_(study), backend_(backend), progress_(progress), options_(options) {}

Scheduler::~Scheduler() = default;

Status Scheduler::Launch(const TrialRecord& trial) {
  const std::string dir = study_.TrialDir(trial.number);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::Io("cannot create " + dir + ": " + ec.message());
  fs::remove(fs::path(dir) / "result.json", ec);
  if (auto s =
          WriteFile(fs::path(dir) / "params.json", ParamsJson(study_.spec().space, trial.params));
      !s) {
    return s;
  }
  auto launch = RenderLaunch(study_.spec(), trial, dir);
  if (!launch) return launch.error();
  if (auto s = backend_.Start(*launch); !s) return s;
  auto r = std::make_unique<Running>(
      Running{trial, MetricCollector(study_.spec().objectives), Clock::now(), Clock::now()});
  running_[trial.trial_id] = std::move(r);
  ++summary_.started;
  progress_.TrialStarted(trial);
  return {};
}

TrialOutcome Scheduler::Judge(Running& r, const BackendEvent& ev, bool interrupted) const {
  const TrialSpec& spec = study_.spec().trial;
  TrialOutcome out;
  out.intermediate = r.metrics.TakePending();
  if (ev.cancelled && interrupted) {
    out.state = TrialState::kFail;
    out.failure_reason = "interrupted: gdsweep run was stopped";
    out.requeue = TrialOutcome::Requeue::kRerun;
    return out;
  }
  const bool ran_ok = ev.exit_code == 0 && ev.signal == 0 && !ev.timed_out && !ev.cancelled;
  if (ran_ok) {
    if (study_.spec().trial.result_source == ResultSource::kFile) {
      const std::string path = study_.TrialDir(r.trial.number) + "/result.json";
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        out.state = TrialState::kFail;
        out.failure_reason = "exited 0 without writing its result file " + path;
      } else {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (auto s = r.metrics.AddResultJson(text); !s) {
          out.state = TrialState::kFail;
          out.failure_reason = s.error().message;
        }
      }
    }
    if (out.failure_reason.empty()) {
      auto values = r.metrics.FinalValues();
      if (values) {
        out.state = TrialState::kComplete;
        out.values = std::move(*values);
        return out;
      }
      out.state = TrialState::kFail;
      out.failure_reason = "exited 0 but " + values.error().message;
    }
  } else {
    out.state = TrialState::kFail;
    out.failure_reason = ev.reason.empty() ? "failed" : ev.reason;
    std::string last = LastStderrLine(study_.TrialDir(r.trial.number));
    if (!last.empty() && !ev.timed_out) out.failure_reason += ": " + last;
  }
  if (r.trial.attempt < spec.retries + 1) out.requeue = TrialOutcome::Requeue::kRetry;
  return out;
}

Status Scheduler::HandleExit(const BackendEvent& ev, bool interrupted) {
  auto it = running_.find(ev.trial_id);
  if (it == running_.end()) return {};
  if (ev.cancelled && ev.detached) {  // left running for a later run to re-attach
    detached_ = true;
    running_.erase(it);
    return {};
  }
  Running& r = *it->second;
  TrialOutcome out = Judge(r, ev, interrupted);
  const double seconds = std::chrono::duration<double>(Clock::now() - r.started).count();
  auto told = study_.Tell(ev.trial_id, out);
  if (!told) {
    if (told.error().kind != Error::Kind::kConflict) return told;
    // Another worker judged us dead and failed the trial already.
    spdlog::warn("trial {}: result not recorded: {}", r.trial.number, told.error().message);
  }
  TrialRecord done = r.trial;
  done.state = out.state;
  done.values = out.values;
  done.failure_reason = out.failure_reason;
  if (out.requeue == TrialOutcome::Requeue::kRetry) {
    done.failure_reason += " (will retry)";
  }
  progress_.TrialFinished(done, seconds);
  if (out.state == TrialState::kComplete) {
    ++summary_.completed;
  } else {
    ++summary_.failed;
  }
  running_.erase(it);
  return {};
}

Status Scheduler::Housekeeping(bool force) {
  const auto now = Clock::now();
  for (auto& [id, r] : running_) {
    if (r->metrics.HasPending() && now - r->last_report >= options_.report_interval) {
      if (auto s = study_.Report(id, r->metrics.TakePending()); !s) return s;
      r->last_report = now;
    }
  }
  if (!force && now - last_beat_ < options_.heartbeat_interval) return {};
  last_beat_ = now;
  if (auto s = study_.storage().Heartbeat(worker_.worker_id, NowSeconds()); !s) return s;
  std::vector<TrialRecord> adopted;
  auto reattach = [&](const TrialRecord& t) -> Result<bool> {
    auto launch = RenderLaunch(study_.spec(), t, study_.TrialDir(t.number));
    if (!launch) return false;
    return backend_.Reattach(*launch);
  };
  auto recovered =
      study_.RecoverOrphans(worker_.worker_id, options_.worker_timeout_s, reattach, &adopted);
  if (!recovered) return recovered.error();
  for (const auto& t : adopted) {
    spdlog::info("trial {} re-attached: its run outlived the worker that started it", t.number);
    running_[t.trial_id] = std::make_unique<Running>(
        Running{t, MetricCollector(study_.spec().objectives), Clock::now(), Clock::now()});
    progress_.TrialStarted(t);
  }
  for (const auto& t : *recovered) {
    spdlog::warn("trial {} was RUNNING under a worker that stopped; marked FAIL{}", t.number,
                 t.attempt < study_.spec().trial.retries + 1 ? " and queued to run again" : "");
  }
  summary_.recovered += static_cast<int64_t>(recovered->size());
  return {};
}

Result<RunSummary> Scheduler::Run(const std::atomic<int>& signals) {
  worker_ = ThisWorker(study_.info().study_id);
  if (auto s = study_.storage().RegisterWorker(worker_); !s) return s.error();
  struct Unregister {
    Storage& storage;
    const std::string& id;
    const bool& keep;  // trials were left running: the next run recovers them from us
    ~Unregister() {
      if (!keep) (void)storage.RemoveWorker(id);
    }
  } unregister{study_.storage(), worker_.worker_id, detached_};
  if (auto s = Housekeeping(true); !s) return s.error();
  if (auto s = study_.Refresh(); !s) return s.error();
  progress_.Resume(study_.history().trials);

  const auto& budget = study_.spec().budget;
  const auto parallelism = static_cast<size_t>(budget.parallelism);
  const auto start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (budget.timeout_seconds) {
    deadline = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(*budget.timeout_seconds));
  }
  bool can_ask = true;
  int signals_seen = 0;
  std::optional<Error> fatal;

  while (true) {
    const int sig = signals.load();
    if (sig > signals_seen) {
      signals_seen = sig;
      summary_.stop = RunSummary::Stop::kInterrupted;
      can_ask = false;
      const auto grace = sig >= 2 ? std::chrono::milliseconds(0) : options_.kill_grace;
      if (!running_.empty()) {
        spdlog::warn("stopping: terminating {} running trial(s){}", running_.size(),
                     sig >= 2 ? " now" : "; press Ctrl-C again to kill them at once");
      }
      for (auto& [id, r] : running_) backend_.Cancel(id, grace);
    }
    if (deadline && can_ask && Clock::now() >= *deadline) {
      spdlog::info("time limit reached: no new trials; waiting for {} running", running_.size());
      summary_.stop = RunSummary::Stop::kTimeLimit;
      can_ask = false;
    }
    while (can_ask && running_.size() < parallelism) {
      auto asked = study_.Ask(worker_.worker_id);
      if (!asked) return asked.error();
      if (asked->kind != AskResult::Kind::kTrial) {
        summary_.stop = asked->kind == AskResult::Kind::kBudgetExhausted
                            ? RunSummary::Stop::kBudget
                            : RunSummary::Stop::kSamplerExhausted;
        can_ask = false;
        break;
      }
      if (auto s = Launch(asked->trial); !s) {
        TrialOutcome out;
        out.state = TrialState::kFail;
        out.failure_reason = "could not start: " + s.error().message;
        (void)study_.Tell(asked->trial.trial_id, out);
        // A command that cannot start is a failure of the run (exit 1), whatever
        // the backend called it.
        fatal =
            Error::Io("trial " + std::to_string(asked->trial.number) + ": " + s.error().message);
        can_ask = false;
        for (auto& [id, r] : running_) backend_.Cancel(id, options_.kill_grace);
        break;
      }
    }
    if (running_.empty()) break;

    auto events = backend_.Wait(std::chrono::milliseconds(200));
    if (!events) return events.error();
    for (const auto& ev : *events) {
      auto it = running_.find(ev.trial_id);
      if (it == running_.end()) continue;
      if (ev.kind == BackendEvent::Kind::kOutput) {
        it->second->metrics.AddLine(ev.line);
      } else {
        const bool stopping = signals_seen > 0 || fatal.has_value();
        if (auto s = HandleExit(ev, stopping); !s) return s.error();
        // A retry may be waiting now, even if the budget of fresh trials is used.
        if (!stopping && summary_.stop != RunSummary::Stop::kTimeLimit &&
            (!deadline || Clock::now() < *deadline)) {
          can_ask = true;
        }
      }
    }
    if (auto s = Housekeeping(false); !s) return s.error();
    progress_.Tick(running_.size());
  }
  progress_.Done(0);
  if (fatal) return *fatal;
  return summary_;
}

}  // namespace gdsweep
