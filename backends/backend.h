// The Backend seam: runs one trial's launch (a local process, a Kubernetes
// Job) and reports what happens to it as events: output lines and the end.
// A backend knows nothing of SQLite, samplers or metrics. One thread drives a
// backend; Wait() is where it blocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/result.h"

namespace gdsweep {

// Everything needed to start one attempt of one trial, already rendered:
// no placeholders left, no sampler types, never a shell command line.
struct TrialLaunch {
  int64_t trial_id = 0;  // the key of every event about this launch
  int64_t trial_number = 0;
  int attempt = 1;  // 1 + the trial's own failures retried so far (GDSWEEP_TRIAL_ATTEMPT)
  // The n-th launch of this trial, counting launches the infrastructure
  // interrupted (a killed worker, Ctrl-C, an API outage) as well as retries.
  // Names of launches that outlive the process (Kubernetes Jobs) include it,
  // so a rerun never meets the object of an earlier launch.
  int run = 1;
  std::string study_name;
  std::string tag;
  std::vector<std::string> argv;              // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;     // added to the inherited environment
  std::string working_dir;                    // empty: the current directory
  std::optional<double> timeout_seconds;      // the backend ends the trial after this
  std::string log_dir;                        // the backend writes stdout.log and stderr.log here
  std::map<std::string, std::string> params;  // name -> value as passed to the trial
};

struct BackendEvent {
  enum class Kind {
    kOutput,  // one line of the trial's stdout (without the newline)
    kExited,  // the trial ended; no more events for it
  };
  Kind kind = Kind::kOutput;
  int64_t trial_id = 0;
  std::string line;  // kOutput
  // kExited: success is exit_code 0 with no signal and not timed out.
  int exit_code = 0;
  int signal = 0;          // the signal that ended it, 0 if none
  bool timed_out = false;  // the per-trial timeout ended it
  bool cancelled = false;  // Cancel() ended it
  // With cancelled: Cancel() left the launch running (Kubernetes with
  // on_interrupt: keep), so the trial should stay RUNNING for a later run to
  // Reattach() rather than be failed and requeued.
  bool detached = false;
  // The infrastructure stopped it (a lost node, an API outage that outlasted
  // the backend's patience), not the trial itself: the engine requeues it with
  // the same parameters, outside the budget and the trial's retries.
  bool interrupted = false;
  std::string reason;  // the backend's words for a failure (OOMKilled, ...)
};

// The local process that runs a launch: the leader of its process group
// (pid = process group id), identified beyond its pid by its start time (clock
// ticks after boot, /proc/PID/stat field 22) on the boot `boot_id`
// (/proc/sys/kernel/random/boot_id), so a reused pid is never taken for it.
struct LaunchProcess {
  std::string boot_id;
  int64_t pid = 0;
  int64_t start_time = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Starts the launch; an error means it never started (no event follows).
  // A backend may also start it in the background (Kubernetes, so that an
  // API outage does not hold up the engine): a launch that then cannot start
  // ends with a kExited event whose reason says why.
  virtual Status Start(const TrialLaunch& launch) = 0;

  // Blocks up to `timeout` for events and returns those that arrived (maybe
  // none). Every started launch ends with exactly one kExited event.
  virtual Result<std::vector<BackendEvent>> Wait(std::chrono::milliseconds timeout) = 0;

  // Follows a launch that an earlier gdsweep process started (same trial_id
  // and attempt) and that may still be running, as if Start() had started it.
  // True if it still exists and is now followed; false if it is gone (the
  // engine then fails and retries the trial). Backends whose trials die with
  // their gdsweep process (local) always answer false.
  virtual Result<bool> Reattach(const TrialLaunch& launch) {
    (void)launch;
    return false;
  }

  // True when a launch runs on without this process (a Kubernetes Job): the
  // engine then makes the trial's record durable before Start(), so that a
  // power loss cannot leave a launch whose trial the database forgot.
  virtual bool LaunchesOutliveProcess() const { return false; }

  // The trial's result is durable (committed and synced): the backend may
  // drop what it still keeps of the launch (Kubernetes deletes the finished
  // Job). The engine calls it once after each kExited event it recorded;
  // until then a launch that outlives the process stays, so a crash between
  // the exit and the commit re-attaches it and loses nothing. Unknown ids are
  // ignored.
  virtual void Release(int64_t trial_id) { (void)trial_id; }

  // Removes what earlier runs of the study left behind that no trial owns:
  // launches of trials that have finished (a crash came between the commit
  // and Release) or were requeued (an earlier launch of a trial that will run
  // again). `trials` maps each trial id of the study to the launch it runs now,
  // or nullopt when it is not RUNNING. Launches of trials not in the map are
  // not the study's and are left alone. Called once before a run starts
  // trials; backends whose launches die with the process do nothing.
  virtual Status ReleaseLeftovers(const std::string& study_name,
                                  const std::map<int64_t, std::optional<TrialLaunch>>& trials) {
    (void)study_name;
    (void)trials;
    return {};
  }

  // Asks a running trial to stop (SIGTERM or the equivalent); after `grace`
  // it is killed. Its kExited event has cancelled = true.
  virtual void Cancel(int64_t trial_id, std::chrono::milliseconds grace) = 0;

  // Ends a running trial for good (the engine pruned it): it has `grace` to
  // end by itself once told, then it is killed; never left running for a
  // later run to re-attach. Local: the engine told it through its prune file,
  // so SIGTERM goes to its process group after `grace`, SIGKILL 500 ms later.
  // Kubernetes: its Job is deleted now, its pods given `grace` to terminate.
  // Its kExited event has cancelled = true. Default: Cancel(trial_id, grace).
  virtual void Terminate(int64_t trial_id, std::chrono::milliseconds grace) {
    Cancel(trial_id, grace);
  }

  // The process of a running launch, for the engine to record; none where a
  // launch is not a process of this host (Kubernetes).
  virtual std::optional<LaunchProcess> ProcessOf(int64_t trial_id) const {
    (void)trial_id;
    return std::nullopt;
  }

  // Ends what is left of a launch of trial `trial_id` that another gdsweep
  // process of this host started as `process` and that died with it: kills
  // its process group if it is still that launch's (same boot, same leader
  // start time, or members that carry the trial's GDSWEEP_TRIAL_ID) and
  // waits until it is gone; never touches a process that is not. An error:
  // it could not be ended (the trial must not run again meanwhile).
  virtual Status EndStale(int64_t trial_id, const LaunchProcess& process) {
    (void)trial_id;
    (void)process;
    return {};
  }

  // How many launches can run at once on what this backend hands out (local
  // GPUs: devices / devices per trial); none: no limit of its own. The engine
  // runs at most this many, whatever the study's parallelism.
  virtual std::optional<size_t> Capacity() const { return std::nullopt; }

  // Whether a launch could start now on what this backend hands out (local
  // GPUs: a trial's devices are free, not held by an ended trial's processes
  // still dying). The engine claims no new trial until it is; Start() of a
  // launch asked while it is false may fail.
  virtual bool ReadyToStart() { return true; }

  // Number of launches started and not yet reported as exited.
  virtual size_t Running() const = 0;
};

}  // namespace gdsweep
