#include "sweeper/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sweeper/launch.h"
#include "sweeper/metrics.h"
#include "sweeper/tracking_session.h"
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

// Writes `path`, replacing it if `may_exist` (unlinked first: ext4 flushes a
// truncated file on close).
Status WriteFile(const fs::path& path, const std::string& text, bool may_exist) {
  std::error_code ec;
  if (may_exist) fs::remove(path, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error::Io("cannot write " + path.string());
  return {};
}

}  // namespace

Scheduler::Scheduler(Study& study, Backend& backend, Progress& progress,
                     const SchedulerOptions& options, TrackingSession* tracking)
    : study_(study),
      backend_(backend),
      progress_(progress),
      options_(options),
      tracking_(tracking) {}

Scheduler::~Scheduler() = default;

Status Scheduler::Launch(const TrialRecord& trial, const std::map<std::string, std::string>& env) {
  const std::string dir = study_.TrialDir(trial.number);
  // Trial numbers are never reused, so the folder is new unless a database
  // was replaced under its logs; only then are old files cleared.
  std::error_code ec;
  bool fresh = fs::create_directory(dir, ec);
  if (ec) {
    fs::create_directories(fs::path(dir).parent_path(), ec);
    if (!ec) fresh = fs::create_directory(dir, ec);
  }
  if (ec) return Error::Io("cannot create " + dir + ": " + ec.message());
  if (!fresh) fs::remove(fs::path(dir) / "result.json", ec);
  if (auto s = WriteFile(fs::path(dir) / "params.json",
                         ParamsJson(study_.spec().space, trial.params), !fresh);
      !s) {
    return s;
  }
  auto launch = RenderLaunch(study_.spec(), trial, dir);
  if (!launch) return launch.error();
  for (const auto& [name, value] : env) launch->env[name] = value;
  if (backend_.LaunchesOutliveProcess()) {
    if (auto s = SyncAndAnnounce(true); !s) return s;
  }
  if (auto s = backend_.Start(*launch); !s) return s;
  if (auto p = backend_.ProcessOf(trial.trial_id)) {
    processes_.push_back(
        {trial.trial_id, launch->run, worker_.host, p->boot_id, p->pid, p->start_time});
    if (!processes_since_) processes_since_ = Clock::now();
  }
  auto r = std::make_unique<Running>(
      Running{trial, MetricCollector(study_.spec().objectives), Clock::now(), Clock::now()});
  running_[trial.trial_id] = std::move(r);
  ++summary_.started;
  progress_.TrialStarted(trial);
  return {};
}

// A trial that cannot start fails, and so does the run (exit 1), whatever
// the backend called the error: the command is wrong for every trial.
void Scheduler::StartOrFail(const TrialRecord& trial,
                            const std::map<std::string, std::string>& env) {
  auto s = Launch(trial, env);
  if (s) return;
  TrialOutcome out;
  out.state = TrialState::kFail;
  out.failure_reason = "could not start: " + s.error().message;
  (void)study_.Tell(trial.trial_id, out);
  MarkUnsynced();
  fatal_ = Error::Io("trial " + std::to_string(trial.number) + ": " + s.error().message);
  can_ask_ = false;
  for (auto& [id, r] : running_) backend_.Cancel(id, options_.kill_grace);
  for (auto& [id, w] : starting_) {
    FailUnstarted(w.trial, "not started: another trial could not start",
                  TrialOutcome::Requeue::kRerun);
  }
  starting_.clear();
}

// Starts the trials whose tracking run now exists. One whose run is late
// starts without MLFLOW_RUN_ID (after 10 s, at once while the server is
// unreachable), unless its objective must be read from that run: then it
// waits up to a minute and fails (to be retried) if the run never comes.
Status Scheduler::StartWaiting() {
  using std::chrono::seconds;
  for (auto it = starting_.begin(); it != starting_.end() && !fatal_;) {
    auto run = tracking_->RunOf(it->second.trial);
    if (!run) return run.error();
    const auto waited = Clock::now() - it->second.since;
    const auto patience = tracking_->values_from_tracking() ? seconds(60)
                          : tracking_->reachable()          ? seconds(10)
                                                            : seconds(0);
    if (!*run && waited < patience) {
      ++it;
      continue;
    }
    const TrialRecord trial = it->second.trial;
    it = starting_.erase(it);
    if (!*run && tracking_->values_from_tracking()) {
      FailUnstarted(trial,
                    "its tracking run could not be created in 60 s (MLflow server " +
                        tracking_->target().uri + " unreachable)",
                    trial.attempt < study_.spec().trial.retries + 1 ? TrialOutcome::Requeue::kRetry
                                                                    : TrialOutcome::Requeue::kNo);
      continue;
    }
    if (!*run && !warned_no_run_) {
      warned_no_run_ = true;
      spdlog::warn(
          "trial {} starts without MLFLOW_RUN_ID: its tracking run is not created yet (the "
          "reports are kept and sent later); a script that logs to MLflow itself would make a "
          "run of its own",
          trial.number);
    }
    StartOrFail(trial, tracking_->EnvFor(*run));
  }
  return {};
}

void Scheduler::FailUnstarted(const TrialRecord& trial, const std::string& reason,
                              TrialOutcome::Requeue requeue) {
  Told told{trial, {}, 0};
  told.outcome.state = TrialState::kFail;
  told.outcome.failure_reason = reason;
  told.outcome.requeue = requeue;
  told.shown.state = TrialState::kFail;
  told.shown.failure_reason = reason;
  told_.push_back(std::move(told));
}

// objective_source: tracking: the values (and the first objective's history)
// are what the trial logged to its own run.
Status Scheduler::ValuesFromTracking(const TrialRecord& trial, TrialOutcome& out) {
  auto run = tracking_->RunOf(trial);
  if (!run) return run.error();
  if (!*run) {
    out.state = TrialState::kFail;
    out.failure_reason = "exited 0 but it has no tracking run to read its objective from";
    return {};
  }
  auto values = tracking_->ReadValues(**run);
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

TrialOutcome Scheduler::Judge(Running& r, const BackendEvent& ev, bool interrupted) {
  const TrialSpec& spec = study_.spec().trial;
  TrialOutcome out;
  out.intermediate = r.metrics.TakePending();
  if ((ev.cancelled && interrupted) || ev.interrupted) {
    out.state = TrialState::kFail;  // ignored: the trial goes back to WAITING
    out.failure_reason = ev.interrupted && !ev.reason.empty()
                             ? "interrupted: " + ev.reason
                             : "interrupted: gdsweep run was stopped";
    out.requeue = TrialOutcome::Requeue::kRerun;
    return out;
  }
  const bool ran_ok = ev.exit_code == 0 && ev.signal == 0 && !ev.timed_out && !ev.cancelled;
  if (ran_ok && tracking_ && tracking_->values_from_tracking()) {
    if (auto s = ValuesFromTracking(r.trial, out); !s) {
      out.state = TrialState::kFail;
      out.failure_reason = "exited 0 but " + s.error().message;
    }
    if (out.state == TrialState::kComplete) return out;
  } else if (ran_ok) {
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

void Scheduler::HandleExit(const BackendEvent& ev, bool interrupted) {
  auto it = running_.find(ev.trial_id);
  if (it == running_.end()) return;
  if (ev.cancelled && ev.detached) {  // left running for a later run to re-attach
    detached_ = true;
    running_.erase(it);
    return;
  }
  Running& r = *it->second;
  Told told{r.trial, Judge(r, ev, interrupted),
            std::chrono::duration<double>(Clock::now() - r.started).count()};
  told.shown.state = told.outcome.state;
  told.shown.values = told.outcome.values;
  told.shown.failure_reason = told.outcome.failure_reason;
  if (told.outcome.requeue == TrialOutcome::Requeue::kRetry) {
    told.shown.failure_reason += " (will retry)";
  }
  told_.push_back(std::move(told));
  running_.erase(it);
}

Result<AskResult> Scheduler::AskWithTold() {
  std::vector<std::pair<int64_t, TrialOutcome>> finish;
  finish.reserve(told_.size());
  for (const auto& t : told_) finish.emplace_back(t.shown.trial_id, t.outcome);
  auto asked = study_.Ask(worker_.worker_id, std::move(finish), processes_);
  if (!asked) return asked;
  processes_.clear();
  processes_since_.reset();
  Committed(asked->finish_errors);
  return asked;
}

void Scheduler::MarkUnsynced() {
  if (!sync_due_) sync_due_ = Clock::now() + options_.sync_delay;
}

// The results in told_ were committed (not yet synced): they are announced
// after the next sync.
void Scheduler::Committed(const std::vector<std::pair<int64_t, Error>>& lost) {
  MarkUnsynced();
  for (auto& t : told_) committed_.push_back(std::move(t));
  told_.clear();
  lost_.insert(lost_.end(), lost.begin(), lost.end());
}

// One sync covers every commit since the last (group commit), made once the
// oldest of them has waited sync_delay (or now, when `force`). Only then is
// a trial's end shown or reported: what the user saw is on disk.
Status Scheduler::SyncAndAnnounce(bool force) {
  if (!sync_due_ || (!force && Clock::now() < *sync_due_)) return {};
  if (auto s = study_.storage().Sync(); !s) return s;
  sync_due_.reset();
  std::vector<Told> told = std::move(committed_);
  std::vector<std::pair<int64_t, Error>> lost = std::move(lost_);
  committed_.clear();
  lost_.clear();
  // Only now may a launch that outlives the process go (a Kubernetes Job):
  // a crash before this sync re-attaches it instead of losing the result.
  for (const auto& t : told) backend_.Release(t.shown.trial_id);
  Announce(told, lost);
  if (tracking_) tracking_->Nudge();
  return {};
}

Status Scheduler::FlushTold() {
  std::vector<std::pair<int64_t, Error>> lost;
  for (const auto& t : told_) {
    if (auto s = study_.Tell(t.shown.trial_id, t.outcome); !s) {
      if (s.error().kind != Error::Kind::kConflict) return s;
      lost.emplace_back(t.shown.trial_id, s.error());
    }
  }
  Committed(lost);
  return {};
}

void Scheduler::Announce(const std::vector<Told>& told,
                         const std::vector<std::pair<int64_t, Error>>& lost) {
  for (const auto& t : told) {
    // Another worker judged us dead and requeued (or failed) the trial: what
    // this run saw of it is not the study's, and is neither counted nor best.
    auto lost_it = std::find_if(lost.begin(), lost.end(),
                                [&](const auto& l) { return l.first == t.shown.trial_id; });
    if (lost_it != lost.end()) {
      spdlog::warn("trial {}: result not recorded: {}", t.shown.number, lost_it->second.message);
      ++summary_.lost;
      continue;
    }
    if (t.outcome.requeue == TrialOutcome::Requeue::kRerun) {
      spdlog::warn("trial {} {}; queued to run again", t.shown.number, t.outcome.failure_reason);
      ++summary_.interrupted;
      continue;
    }
    progress_.TrialFinished(t.shown, t.seconds, t.outcome.requeue == TrialOutcome::Requeue::kRetry);
    if (t.outcome.state == TrialState::kComplete) {
      ++summary_.completed;
    } else {
      ++summary_.failed;
    }
  }
}

// Proves this worker alive. If another process took it for dead meanwhile
// (it failed and requeued our RUNNING trials), register again and stop the
// trials it took: their results could no longer be recorded.
Status Scheduler::Beat() {
  auto beat = study_.storage().Heartbeat(worker_.worker_id, NowSeconds());
  if (beat || beat.error().kind != Error::Kind::kNotFound) return beat;
  spdlog::warn(
      "another gdsweep process took this one for dead (no heartbeat for {:.0f} s) and requeued "
      "its running trials; stopping those and carrying on",
      options_.worker_timeout_s);
  WorkerInfo again = worker_;
  again.heartbeat_at = NowSeconds();
  if (auto s = study_.storage().RegisterWorker(again); !s) return s;
  TrialFilter running;
  running.state = TrialState::kRunning;
  auto still = study_.storage().ListTrials(study_.info().study_id, running);
  if (!still) return still.error();
  for (auto it = running_.begin(); it != running_.end();) {
    const bool ours = std::any_of(still->begin(), still->end(), [&](const TrialRecord& t) {
      return t.trial_id == it->first && t.worker_id == worker_.worker_id;
    });
    if (ours) {
      ++it;
      continue;
    }
    spdlog::warn("trial {}: stopped; the other process requeued it", it->second->trial.number);
    backend_.Cancel(it->first, std::chrono::milliseconds(0));
    it = running_.erase(it);
  }
  return {};
}

// Writes the processes of started runs that no Ask carried within 100 ms (or
// now, when `force`), so a worker taking over after a crash can end them.
Status Scheduler::RecordProcesses(bool force) {
  if (processes_.empty()) return {};
  if (!force && Clock::now() - *processes_since_ < std::chrono::milliseconds(100)) return {};
  if (auto s = study_.storage().RecordRunProcesses(processes_); !s) return s;
  processes_.clear();
  processes_since_.reset();
  return {};
}

// A trial of a dead worker of this host: what is left of its last run (its
// process group, if the worker died too hard to end it) is ended before the
// trial is requeued, so it never runs twice at once.
Status Scheduler::EndStaleRun(const TrialRecord& trial) {
  auto runs = study_.storage().ListTrialRuns(trial.trial_id);
  if (!runs) return runs.error();
  if (runs->empty()) return {};
  const TrialRun& last = runs->back();
  if (last.pid <= 0 || last.host != worker_.host || last.ended_at) return {};
  auto s = backend_.EndStale(trial.trial_id, {last.boot_id, last.pid, last.pid_start_time});
  if (!s) return s.error().Wrap("trial " + std::to_string(trial.number));
  return {};
}

Status Scheduler::Housekeeping(bool force) {
  const auto now = Clock::now();
  if (auto s = RecordProcesses(force); !s) return s;
  for (auto& [id, r] : running_) {
    if (r->metrics.HasPending() && now - r->last_report >= options_.report_interval) {
      if (auto s = study_.Report(id, r->metrics.TakePending()); !s) return s;
      r->last_report = now;
      MarkUnsynced();
    }
  }
  if (!force && now - last_beat_ < options_.heartbeat_interval) return {};
  last_beat_ = now;
  if (auto s = Beat(); !s) return s;
  std::vector<TrialRecord> adopted;
  auto reattach = [&](const TrialRecord& t) -> Result<bool> {
    auto launch = RenderLaunch(study_.spec(), t, study_.TrialDir(t.number));
    if (!launch) return false;
    return backend_.Reattach(*launch);
  };
  auto recovered =
      study_.RecoverOrphans(worker_.worker_id, options_.worker_timeout_s, reattach, &adopted,
                            [this](const TrialRecord& t) { return EndStaleRun(t); });
  if (!recovered) return recovered.error();
  for (const auto& t : adopted) {
    spdlog::info("trial {} re-attached: its run outlived the worker that started it", t.number);
    running_[t.trial_id] = std::make_unique<Running>(
        Running{t, MetricCollector(study_.spec().objectives), Clock::now(), Clock::now()});
    progress_.TrialStarted(t);
  }
  for (const auto& t : *recovered) {
    spdlog::warn("trial {} was RUNNING under a worker that stopped; queued to run again", t.number);
  }
  // They wait to be claimed, even if the budget of fresh trials is used.
  if (!recovered->empty() && summary_.stop != RunSummary::Stop::kInterrupted &&
      summary_.stop != RunSummary::Stop::kTimeLimit && !fatal_) {
    can_ask_ = true;
  }
  summary_.recovered += static_cast<int64_t>(recovered->size());
  if (!recovered->empty() || !adopted.empty()) MarkUnsynced();
  return {};
}

// What a crash (or a give-up) of an earlier run left behind and no trial
// owns any more: launches of finished trials, and earlier launches of trials
// that will run again. Best effort: what stays is tried again next run.
void Scheduler::ReleaseLeftovers() {
  if (!backend_.LaunchesOutliveProcess()) return;
  std::map<int64_t, std::optional<TrialLaunch>> trials;
  for (const auto& t : study_.history().trials) {
    std::optional<TrialLaunch> now;
    if (t.state == TrialState::kRunning) {
      auto launch = RenderLaunch(study_.spec(), t, study_.TrialDir(t.number));
      if (!launch) continue;  // unknown: leave its launches alone
      now = std::move(*launch);
    }
    trials.emplace(t.trial_id, std::move(now));
  }
  if (auto s = backend_.ReleaseLeftovers(study_.spec().name, trials); !s) {
    spdlog::warn("could not clear what earlier runs left: {}", s.error().message);
  }
}

Result<RunSummary> Scheduler::Run(const std::atomic<int>& signals) {
  worker_ = ThisWorker(study_.info().study_id);
  if (!options_.worker_id.empty()) worker_.worker_id = options_.worker_id;
  if (auto s = study_.storage().RegisterWorker(worker_); !s) return s.error();
  struct Unregister {
    Storage& storage;
    const std::string& id;
    const bool& keep;  // trials were left running: the next run recovers them from us
    ~Unregister() {
      if (!keep) (void)storage.RemoveWorker(id);
    }
  } unregister{study_.storage(), worker_.worker_id, detached_};
  struct SyncAtExit {  // whatever way Run ends, what it committed reaches the disk
    Storage& storage;
    const std::optional<Clock::time_point>& due;
    ~SyncAtExit() {
      if (due) (void)storage.Sync();
    }
  } sync_at_exit{study_.storage(), sync_due_};
  if (auto s = Housekeeping(true); !s) return s.error();
  if (auto s = study_.Refresh(); !s) return s.error();
  ReleaseLeftovers();
  progress_.Resume(study_.history().trials);

  const auto& budget = study_.spec().budget;
  const auto parallelism = static_cast<size_t>(budget.parallelism);
  const auto start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (budget.timeout_seconds) {
    deadline = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(*budget.timeout_seconds));
  }
  int signals_seen = 0;
  const bool stdout_values = !(tracking_ && tracking_->values_from_tracking());

  while (true) {
    const int sig = signals.load();
    if (sig > signals_seen) {
      signals_seen = sig;
      summary_.stop = RunSummary::Stop::kInterrupted;
      can_ask_ = false;
      const auto grace = sig >= 2 ? std::chrono::milliseconds(0) : options_.kill_grace;
      if (!running_.empty()) {
        spdlog::warn("stopping: terminating {} running trial(s){}", running_.size(),
                     sig >= 2 ? " now" : "; press Ctrl-C again to kill them at once");
      }
      for (auto& [id, r] : running_) backend_.Cancel(id, grace);
      for (auto& [id, w] : starting_) {
        FailUnstarted(w.trial, "interrupted: gdsweep run was stopped",
                      TrialOutcome::Requeue::kRerun);
      }
      starting_.clear();
    }
    if (deadline && can_ask_ && Clock::now() >= *deadline) {
      spdlog::info("time limit reached: no new trials; waiting for {} running", running_.size());
      summary_.stop = RunSummary::Stop::kTimeLimit;
      can_ask_ = false;
    }
    while (can_ask_ && running_.size() + starting_.size() < parallelism) {
      auto asked = AskWithTold();
      if (!asked) return asked.error();
      if (asked->kind != AskResult::Kind::kTrial) {
        summary_.stop = asked->kind == AskResult::Kind::kBudgetExhausted
                            ? RunSummary::Stop::kBudget
                            : RunSummary::Stop::kSamplerExhausted;
        can_ask_ = false;
        break;
      }
      if (tracking_) {
        starting_[asked->trial.trial_id] = Starting{asked->trial, Clock::now()};
        tracking_->Nudge();
      } else {
        StartOrFail(asked->trial, {});
      }
    }
    if (tracking_ && !starting_.empty()) {
      if (auto s = StartWaiting(); !s) return s.error();
    }
    if (!told_.empty()) {
      if (auto s = FlushTold(); !s) return s.error();
    }
    // After the starts above, so the disk works while the new trials run.
    const bool done = running_.empty() && starting_.empty();
    if (auto s = SyncAndAnnounce(done); !s) return s.error();
    if (done) break;

    // Waiting for tracking runs: look again when the delivery loop has done
    // a pass (at once when nothing else runs), else soon; and not past the
    // next sync.
    auto wait = starting_.empty() ? std::chrono::milliseconds(200) : std::chrono::milliseconds(2);
    if (sync_due_) {
      wait = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*sync_due_ - Clock::now()),
                        std::chrono::milliseconds(0), wait);
    }
    if (running_.empty()) tracking_->WaitForDelivery(std::chrono::milliseconds(50));
    auto events = running_.empty() ? Result<std::vector<BackendEvent>>(std::vector<BackendEvent>{})
                                   : backend_.Wait(wait);
    if (!events) return events.error();
    for (const auto& ev : *events) {
      auto it = running_.find(ev.trial_id);
      if (it == running_.end()) continue;
      if (ev.kind == BackendEvent::Kind::kOutput) {
        if (stdout_values) it->second->metrics.AddLine(ev.line);
      } else {
        const bool stopping = signals_seen > 0 || fatal_.has_value();
        HandleExit(ev, stopping);
        // A retry may be waiting now, even if the budget of fresh trials is used.
        if (!stopping && summary_.stop != RunSummary::Stop::kTimeLimit &&
            (!deadline || Clock::now() < *deadline)) {
          can_ask_ = true;
        }
      }
    }
    if (auto s = Housekeeping(false); !s) return s.error();
    progress_.Tick(running_.size());
  }
  progress_.Done(0);
  if (fatal_) return *fatal_;
  return summary_;
}

}  // namespace gdsweep
