#include "sweeper/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sweeper/launch.h"
#include "sweeper/metrics.h"
#include "sweeper/scheduler_running.h"
#include "sweeper/tracking_session.h"
#include "sweeper/trial_exit.h"
#include "sweeper/worker.h"

namespace gdsweep {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

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
      Running{trial, MetricCollector(study_.spec().objectives, study_.spec().constraints),
              Clock::now(), Clock::now()});
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

void Scheduler::HandleExit(const BackendEvent& ev, bool interrupted) {
  auto it = running_.find(ev.trial_id);
  if (it == running_.end()) return;
  Running& r = *it->second;
  const double seconds = std::chrono::duration<double>(Clock::now() - r.started).count();
  if (r.pruned_at) {  // recorded PRUNED already, however it ended after that
    Told told{r.trial, {}, seconds, true};
    told.outcome.state = TrialState::kPruned;
    told.shown.state = TrialState::kPruned;
    if (!std::isnan(r.pruned_value)) told.shown.values = {r.pruned_value};
    told.shown.failure_reason = "pruned at step " + std::to_string(*r.pruned_at);
    told_.push_back(std::move(told));
    running_.erase(it);
    return;
  }
  if (ev.cancelled && ev.detached) {  // left running for a later run to re-attach
    detached_ = true;
    running_.erase(it);
    return;
  }
  Told told{r.trial,
            OutcomeOfExit({study_.spec(), r.trial, study_.TrialDir(r.trial.number), tracking_},
                          r.metrics, ev, interrupted),
            seconds};
  told.shown.state = told.outcome.state;
  told.shown.values = told.outcome.values;
  told.shown.constraints = told.outcome.constraints;
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
  for (const auto& t : told_) {
    if (!t.recorded) finish.emplace_back(t.shown.trial_id, t.outcome);
  }
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
    if (t.recorded) continue;
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
    } else if (t.outcome.state == TrialState::kPruned) {
      ++summary_.pruned;
    } else {
      ++summary_.failed;
    }
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
  auto parallelism = static_cast<size_t>(budget.parallelism);
  if (auto capacity = backend_.Capacity(); capacity && *capacity < parallelism) {
    spdlog::info("running {} trial(s) at once, not {}: that is what the free GPUs allow", *capacity,
                 parallelism);
    parallelism = *capacity;
  }
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
    // A slot of the study's parallelism whose backend resources (GPUs) are
    // not free yet: no trial is claimed until they are.
    bool waiting_for_backend = false;
    while (can_ask_ && running_.size() + starting_.size() < parallelism) {
      if (!backend_.ReadyToStart()) {
        waiting_for_backend = true;
        break;
      }
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
    const bool done = running_.empty() && starting_.empty() && !waiting_for_backend;
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
    if (running_.empty() && tracking_) tracking_->WaitForDelivery(std::chrono::milliseconds(50));
    if (running_.empty() && waiting_for_backend) std::this_thread::sleep_for(wait / 20);
    auto events = running_.empty() ? Result<std::vector<BackendEvent>>(std::vector<BackendEvent>{})
                                   : backend_.Wait(wait);
    if (!events) return events.error();
    for (const auto& ev : *events) {
      auto it = running_.find(ev.trial_id);
      if (it == running_.end()) continue;
      if (ev.kind == BackendEvent::Kind::kOutput) {
        if (stdout_values && !it->second->pruned_at) {
          it->second->metrics.AddLine(ev.line);
          if (auto step = it->second->metrics.TakeFirstRepeat()) {
            spdlog::warn(
                "trial {} reported step {} again: a repeated step is ignored (as Optuna's "
                "report ignores it); its first value stands",
                it->second->trial.number, *step);
          }
          if (study_.prunes()) QueueForJudging(*it->second);
        }
      } else {
        // Its last values are judged first: they may prune it.
        if (!to_judge_.empty()) {
          if (auto s = JudgeReported(); !s) return s.error();
        }
        const bool stopping = signals_seen > 0 || fatal_.has_value();
        HandleExit(ev, stopping);
        // A retry may be waiting now, even if the budget of fresh trials is used.
        if (!stopping && summary_.stop != RunSummary::Stop::kTimeLimit &&
            (!deadline || Clock::now() < *deadline)) {
          can_ask_ = true;
        }
      }
    }
    if (!to_judge_.empty()) {
      if (auto s = JudgeReported(); !s) return s.error();
    }
    if (auto s = Housekeeping(false); !s) return s.error();
    progress_.Tick(running_.size());
  }
  progress_.Done(0);
  if (fatal_) return *fatal_;
  return summary_;
}

}  // namespace gdsweep
