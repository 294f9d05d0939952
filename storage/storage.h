// The Storage seam: every study, trial and worker a sweep knows, kept in one
// SQLite file laid out as Optuna's RDB schema (version 12) plus gdsweep's own
// tables. Each method is one transaction: it happens entirely or not at all,
// and a finished trial (COMPLETE, PRUNED, FAIL) is never changed again.
// Several processes may use one database at once. An object is used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/model/trial.h"

namespace gdsweep {

// What `gdsweep run` asks to open: created when missing, otherwise compared
// with what is stored.
struct StudyRegistration {
  std::string name;
  std::vector<Objective> objectives;
  SearchSpace space;
  std::string spec_json;       // the whole spec, kept for reference and `gdsweep studies`
  uint64_t seed = 0;           // stored on creation; used on resume when the spec has no seed
  bool allow_changes = false;  // accept a changed space/objectives, recording the new one
};

struct StudyInfo {
  int64_t study_id = 0;
  std::string name;
  std::vector<Direction> directions;
  std::vector<std::string> metric_names;  // empty for a study gdsweep never ran
  SearchSpace space;                      // as stored by gdsweep; empty otherwise
  uint64_t seed = 0;
  bool created = false;  // OpenStudy made it just now
};

struct StudySummary {
  StudyInfo info;
  std::map<TrialState, int64_t> trials_by_state;
  std::vector<std::string> tags;
};

// The trials of one study as last read. Finished trials never change, so a
// refresh reads only new trials and the ones that were unfinished.
struct TrialHistory {
  std::vector<TrialRecord> trials;  // number order
  int64_t max_trial_id = 0;         // largest trial_id read so far
};

struct WorkerInfo {
  std::string worker_id;  // unique per `gdsweep run` process
  int64_t study_id = 0;
  std::string host;
  int64_t pid = 0;
  double started_at = 0;  // seconds since the epoch
  double heartbeat_at = 0;
};

struct AskRequest {
  int64_t study_id = 0;
  std::string tag;
  std::string worker_id;
  std::optional<int64_t> n_trials;  // budget of fresh trials for (study, tag)
  // The log folder of trial `number`, stored with the trial.
  std::function<std::string(int64_t number)> log_path_for;
};

struct AskResult {
  enum class Kind {
    kTrial,            // `trial` is now RUNNING and owned by the worker
    kBudgetExhausted,  // (study, tag) has n_trials fresh trials already
    kSamplerExhausted  // the sampler returned nullopt (grid done)
  };
  Kind kind = Kind::kTrial;
  TrialRecord trial;
};

// Called inside Ask's transaction with the refreshed history.
using SampleFn =
    std::function<Result<std::optional<Params>>(const TrialHistory& history, int64_t number)>;

// What happens to a trial that ends, and whether it runs again.
struct TrialOutcome {
  TrialState state = TrialState::kComplete;  // COMPLETE, PRUNED or FAIL
  std::vector<double> values;                // one per objective for COMPLETE
  std::map<int64_t, double> intermediate;    // not yet stored intermediate values
  std::string failure_reason;
  enum class Requeue {
    kNo,
    kRetry,  // a WAITING copy with the same params and attempt + 1
    kRerun,  // a WAITING copy with the same attempt (the run was interrupted)
  };
  Requeue requeue = Requeue::kNo;
};

struct TrialFilter {
  std::optional<std::string> tag;
  std::optional<TrialState> state;
  std::optional<int64_t> number;  // just this trial
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Creates the study, or loads it and checks that objectives and space match
  // (kConflict naming the difference, unless allow_changes). Adopts a study
  // that Optuna created when its directions and its trials' distributions fit.
  virtual Result<StudyInfo> OpenStudy(const StudyRegistration& reg) = 0;
  virtual Result<StudyInfo> GetStudy(const std::string& name) = 0;  // kNotFound
  virtual Result<std::vector<StudySummary>> ListStudies() = 0;

  // In one write transaction: refresh `history`, then claim the oldest WAITING
  // trial of (study, tag) for the worker, or, if the budget allows, call
  // `sample` and insert its params as a new RUNNING trial.
  virtual Result<AskResult> Ask(const AskRequest& req, TrialHistory& history,
                                const SampleFn& sample) = 0;

  // Reads new and changed trials into `history` (read transaction).
  virtual Status RefreshHistory(int64_t study_id, TrialHistory& history) = 0;

  // Ends a RUNNING trial; kConflict if it is not RUNNING any more.
  virtual Status FinishTrial(int64_t trial_id, const TrialOutcome& outcome) = 0;
  virtual Status ReportIntermediate(int64_t trial_id, const std::map<int64_t, double>& values) = 0;

  virtual Result<std::vector<TrialRecord>> ListTrials(int64_t study_id,
                                                      const TrialFilter& filter) = 0;

  virtual Status RegisterWorker(const WorkerInfo& worker) = 0;
  // kNotFound when the worker is no longer registered (FailTrialsOfWorker
  // removed it: another process took it for dead).
  virtual Status Heartbeat(const std::string& worker_id, double now) = 0;
  virtual Result<std::vector<WorkerInfo>> ListWorkers(int64_t study_id) = 0;
  virtual Status RemoveWorker(const std::string& worker_id) = 0;
  // Fails the RUNNING trials of a dead worker with `reason`, requeues those
  // with attempt < max_attempts (kRetry), removes the worker; returns the
  // trials it failed. A second call for the same worker finds nothing.
  virtual Result<std::vector<TrialRecord>> FailTrialsOfWorker(const std::string& worker_id,
                                                              const std::string& reason,
                                                              int max_attempts) = 0;
  // Hands a RUNNING trial of `from_worker` to `to_worker`, which re-attached
  // to its launch; kConflict if it is not RUNNING under from_worker any more.
  virtual Status AdoptTrial(int64_t trial_id, const std::string& from_worker,
                            const std::string& to_worker) = 0;
};

struct SqliteOptions {
  std::string path;              // file path, or ":memory:"
  int busy_timeout_ms = 60000;   // wait this long for another writer
  bool synchronous_full = true;  // fsync every commit (durable across power loss)
  bool read_only = false;        // for readers: never creates or upgrades
};

// Opens (creating and upgrading as needed) the SQLite storage.
Result<std::unique_ptr<Storage>> OpenSqliteStorage(const SqliteOptions& options);

}  // namespace gdsweep
