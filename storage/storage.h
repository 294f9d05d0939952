// The Storage seam: every study, trial and worker a sweep knows, kept in one
// SQLite file or PostgreSQL database laid out as Optuna's RDB schema (version 12) plus gdsweep's
// own tables. Each method is one transaction: it happens entirely or not at all, and a finished
// trial (COMPLETE, PRUNED, FAIL) is never changed again. Several processes may use one database at
// once. An object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sweeper/model/point.h"
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
  // gdsweep's metric names, or Optuna's "study:metric_names" ("" for an unnamed
  // objective); empty for an Optuna study without names.
  std::vector<std::string> metric_names;
  SearchSpace space;  // as stored by gdsweep; empty otherwise
  uint64_t seed = 0;
  bool created = false;  // OpenStudy made it just now
  // A resumed gdsweep study: the spec JSON stored by the run before this one
  // (its sampler, for the log line of a switch); empty otherwise.
  std::string previous_spec_json;
  // The spec JSON gdsweep stored with the study (as StudyRegistration's);
  // empty for a study Optuna made.
  std::string spec_json;

  // Objective k's name: its metric name, else as `optuna trials` names an
  // unnamed one ("value" alone, "values_K" among several).
  std::string ObjectiveName(size_t k) const {
    if (k < metric_names.size() && !metric_names[k].empty()) return metric_names[k];
    return directions.size() == 1 ? "value" : "values_" + std::to_string(k);
  }
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

// What happens to a trial that ends, and whether it runs again.
struct TrialOutcome {
  TrialState state = TrialState::kComplete;  // COMPLETE, PRUNED or FAIL
  std::vector<double> values;                // one per objective for COMPLETE
  // The trial's constraint values (COMPLETE or PRUNED), stored as Optuna's
  // trial system attribute "constraints"; nullopt: none recorded.
  std::optional<std::vector<double>> constraints;
  std::map<int64_t, double> intermediate;  // not yet stored intermediate values
  // step -> when the trial reported it (seconds since the epoch), for the
  // tracking outbox; a step without one gets the finish time.
  std::map<int64_t, double> intermediate_times;
  std::string failure_reason;
  enum class Requeue {
    kNo,
    kRetry,  // a WAITING copy with the same params and attempt + 1
    // The infrastructure interrupted the run (a stopped or dead worker, an
    // outage): `state` is ignored and the trial itself goes back to WAITING
    // (same number and params, no start time, the run's intermediate values
    // dropped), outside the budget and the retries.
    kRerun,
  };
  Requeue requeue = Requeue::kNo;
};

// One launch of a trial (gdsweep_trial_runs): a trial's first run, and one
// more each time it is claimed again after an interruption.
struct TrialRun {
  int64_t trial_id = 0;
  int run = 1;
  int attempt = 1;
  std::string worker_id;
  std::string host;
  // The process that ran it, where the backend has one (local): boot id of
  // the host, process group leader (pid = pgid) and its start time in clock
  // ticks after boot (/proc/PID/stat field 22). pid 0: none recorded.
  std::string boot_id;
  int64_t pid = 0;
  int64_t pid_start_time = 0;
  double started_at = 0;
  std::optional<double> ended_at;
  std::string outcome;  // COMPLETE, PRUNED, FAIL, INTERRUPTED; empty while it runs
  std::string reason;
};

// Where run `run` of a trial runs (RecordRunProcesses).
struct RunProcess {
  int64_t trial_id = 0;
  int run = 1;
  std::string host;
  std::string boot_id;
  int64_t pid = 0;
  int64_t pid_start_time = 0;
};

struct AskRequest {
  int64_t study_id = 0;
  std::string tag;
  std::string worker_id;
  std::optional<int64_t> n_trials;  // budget of fresh trials for (study, tag)
  // Read new and changed trials into the history before sampling. false (the
  // sampler does not read it): the history is neither read nor changed.
  bool refresh_history = true;
  // The log folder of trial `number`, stored with the trial.
  std::function<std::string(int64_t number)> log_path_for;
  // Trials that ended, finished in the same transaction before the ask, so a
  // worker commits once per trial instead of twice. One that is no longer
  // RUNNING (kConflict) is skipped and reported in AskResult::finish_errors;
  // any other error fails the whole Ask.
  std::vector<std::pair<int64_t, TrialOutcome>> finish_first;  // trial_id, outcome
  // Processes of runs started since, recorded in the same transaction (see
  // RecordRunProcesses).
  std::vector<RunProcess> processes;
  // Trial system attributes (key -> JSON text) stored with a trial that
  // `sample` proposes, filled by `sample` itself before it returns (a sampler
  // that keeps its state in the study, SampleRequest::new_trial_attrs).
  // nullptr: none.
  const std::map<std::string, std::string>* new_trial_attrs = nullptr;
  // Proposes the rest of a queued point that gives some parameters (`given`,
  // internal values, kept as they are), as Optuna suggests around an
  // enqueued trial's fixed_params. Unset: `sample`'s proposal fills in what
  // the point lacks.
  std::function<Result<std::optional<Params>>(const TrialHistory& history, int64_t number,
                                              const Params& given)>
      sample_given;
};

struct AskResult {
  enum class Kind {
    kTrial,            // `trial` is now RUNNING and owned by the worker
    kBudgetExhausted,  // (study, tag) has n_trials fresh trials already
    kSamplerExhausted  // the sampler returned nullopt (grid done)
  };
  Kind kind = Kind::kTrial;
  TrialRecord trial;
  std::vector<std::pair<int64_t, Error>> finish_errors;  // trial_id, kConflict
};

// One intermediate value a RUNNING trial reported (ReportAndJudge).
struct ReportedValue {
  int64_t trial_id = 0;
  int64_t step = 0;
  double value = 0;
};

// What the judge (a pruner) says of a trial after one of its values.
struct Judgement {
  bool prune = false;
  // Successive halving's rungs the trial completed in this judgement: stored
  // as its "completed_rung_N" system attributes, as Optuna stores them.
  std::map<int, double> completed_rungs;
};

// Called inside ReportAndJudge's transaction after each value is stored, with
// the history (empty unless ReportRequest::refresh_history) and the trial as
// it now is (its values and rungs so far).
using JudgeFn =
    std::function<Result<Judgement>(const TrialHistory& history, const TrialRecord& trial)>;

struct ReportRequest {
  int64_t study_id = 0;
  std::vector<ReportedValue> values;  // in the order they were reported
  // Read new and changed trials into the history first (the judge reads it).
  bool refresh_history = true;
  // A trial the judge prunes is finished PRUNED in the same transaction, with
  // its last intermediate value as its value and "pruned at step S" as its
  // reason (the engine). false: only the decision is returned (`gdsweep
  // should-prune`, whose caller then tells).
  bool finish_pruned = true;
};

struct ReportResult {
  struct Verdict {
    int64_t trial_id = 0;
    int64_t step = 0;       // the step reported
    int64_t judged_at = 0;  // the trial's latest (largest) step when judged
    double latest = 0;      // its value at judged_at (a pruned trial's value, unless NaN)
    bool prune = false;
    bool repeated = false;  // the step was already stored: the value was ignored
  };
  std::vector<Verdict> verdicts;  // one per value stored or repeated, in order
  // Trials that are no longer RUNNING (another worker finished or requeued
  // them): their values were not stored.
  std::vector<std::pair<int64_t, Error>> conflicts;
};

// Called inside Ask's transaction with the refreshed history.
using SampleFn =
    std::function<Result<std::optional<Params>>(const TrialHistory& history, int64_t number)>;

// Where the reports of one (study, sweep tag) go: an MLflow tracking server
// and experiment. While a target is set, every state change of a trial with
// that tag (started, intermediate values, finished) also writes an outbox
// message in the same transaction; a tracker delivers them later.
struct TrackingTarget {
  std::string uri;
  std::string experiment;
  std::string artifact_location;
  std::string tag_key = "gdsweep.tag";
  bool values_from_tracking = false;  // objective_source: tracking (final values not re-logged)
  // Random, fixed when the target is first set (storage fills it): marks this
  // study's runs on the server, so a run is found again instead of re-created.
  std::string run_key;
};

enum class OutboxKind { kRunStarted, kIntermediate, kRunFinished };
const char* ToString(OutboxKind kind);  // "run_started", "intermediate", "run_finished"

// One report waiting for delivery. The payload is JSON (storage/README.md,
// "Outbox"); non-finite numbers in it are the strings "NaN", "Infinity",
// "-Infinity".
struct OutboxMessage {
  int64_t id = 0;  // delivery order
  int64_t study_id = 0;
  std::string tag;
  int64_t trial_id = 0;
  int64_t trial_number = 0;
  OutboxKind kind = OutboxKind::kRunStarted;
  std::string payload;
  double created_at = 0;
  int attempts = 0;  // deliveries begun, this one included (ClaimOutbox counts them)
  std::string last_error;
};

// A run on the tracking server; trial_id 0 is the parent run of (study, tag).
struct TrackingRun {
  std::string experiment_id;
  std::string run_id;
};

struct OutboxUpdate {
  std::vector<int64_t> delivered;                     // message ids: done, removed
  std::vector<std::pair<int64_t, TrackingRun>> runs;  // trial_id (0: parent), run
  struct Failure {
    int64_t id = 0;
    std::string error;
    bool dead = false;  // the server refused it for good: kept, not retried
  };
  std::vector<Failure> failed;
};

struct OutboxCounts {
  int64_t pending = 0;
  int64_t dead = 0;
  std::optional<double> oldest_pending_at;  // created_at of the oldest pending message
};

struct StudyDump;  // study_dump.h

// Points to queue as WAITING trials (Storage::Enqueue), stored as Optuna's
// enqueue_trial stores them, so that Optuna's workers run them too.
struct EnqueueRequest {
  int64_t study_id = 0;
  std::string tag;  // the sweep that runs them: its budget counts them
  std::vector<Point> points;
  // Optuna's skip_if_exists: a point is skipped when some trial of the
  // study, in any state, has exactly its parameters (a queued one: its fixed
  // values), numbers equal to a relative 1e-5.
  bool skip_if_exists = false;
  // The study file's `enqueue:` list: a point queued from the study file
  // before (the same canonical JSON) is skipped, whatever its trial became.
  bool from_study_file = false;
};

struct EnqueueResult {
  std::vector<int64_t> numbers;  // the trial numbers queued, in point order
  std::vector<size_t> skipped;   // indexes (into points) of the points skipped
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

  // In one write transaction: refresh `history` (if req.refresh_history),
  // then claim the oldest WAITING trial of (study, tag) for the worker, or,
  // if the budget allows, call `sample` and insert its params as a new
  // RUNNING trial.
  virtual Result<AskResult> Ask(const AskRequest& req, TrialHistory& history,
                                const SampleFn& sample) = 0;

  // Reads new and changed trials into `history` (read transaction).
  virtual Status RefreshHistory(int64_t study_id, TrialHistory& history) = 0;

  // Ends a RUNNING trial; kConflict if it is not RUNNING any more.
  virtual Status FinishTrial(int64_t trial_id, const TrialOutcome& outcome) = 0;
  // `times`: step -> when the trial reported the value (seconds since the
  // epoch), carried to the tracking outbox (Optuna's table has no time); a
  // step without one gets the time of the call.
  virtual Status ReportIntermediate(int64_t trial_id, const std::map<int64_t, double>& values,
                                    const std::map<int64_t, double>& times = {}) = 0;
  // In one write transaction: refresh `history` (if req.refresh_history),
  // then for each value in order store it (a step already stored is ignored,
  // as Optuna's report ignores it), call `judge` (when given) and store the
  // rungs it completed, and finish a pruned trial (req.finish_pruned). Values
  // of a trial pruned earlier in the same request are dropped. Every worker's
  // judgement thus sees every value stored before it.
  virtual Result<ReportResult> ReportAndJudge(const ReportRequest& req, TrialHistory& history,
                                              const JudgeFn& judge) = 0;

  virtual Result<std::vector<TrialRecord>> ListTrials(int64_t study_id,
                                                      const TrialFilter& filter) = 0;
  // Every parameter of the study with its distribution: the stored search
  // space, then each other one its trials have (a study Optuna made keeps its
  // distributions in trial_params only), with its latest trial's distribution.
  virtual Result<SearchSpace> ListParams(int64_t study_id) = 0;

  // Makes every transaction committed so far (by any connection) durable
  // across a power loss. Needed only with SqliteOptions::synchronous_full =
  // false, where commits are safe from a crash of the process at once but
  // reach the disk here: the engine commits, starts the next trial, then
  // syncs once for all it committed (group commit), and says a trial ended
  // only after the sync. Anything leaving the host (a Kubernetes Job, a
  // tracking report) waits for a sync first.
  virtual Status Sync() = 0;

  virtual Status RegisterWorker(const WorkerInfo& worker) = 0;
  // kNotFound when the worker is no longer registered (RequeueTrialsOfWorker
  // removed it: another process took it for dead).
  virtual Status Heartbeat(const std::string& worker_id, double now) = 0;
  virtual Result<std::vector<WorkerInfo>> ListWorkers(int64_t study_id) = 0;
  virtual Status RemoveWorker(const std::string& worker_id) = 0;
  // Puts the RUNNING trials of a dead worker back to WAITING in place
  // (Requeue::kRerun: their run ends INTERRUPTED with `reason`; no budget or
  // retry is spent), removes the worker and frees the outbox leases it held
  // (lease owner = worker_id); returns the trials as they were (RUNNING).
  // A second call for the same worker finds nothing.
  virtual Result<std::vector<TrialRecord>> RequeueTrialsOfWorker(const std::string& worker_id,
                                                                 const std::string& reason) = 0;
  // Records the process of each started run (its row must exist; a run that
  // is no longer the trial's current one is skipped).
  virtual Status RecordRunProcesses(const std::vector<RunProcess>& processes) = 0;
  // Every run of a trial, in run order (empty for a trial gdsweep never ran).
  virtual Result<std::vector<TrialRun>> ListTrialRuns(int64_t trial_id) = 0;
  // Hands a RUNNING trial of `from_worker` to `to_worker`, which re-attached
  // to its launch; kConflict if it is not RUNNING under from_worker any more.
  virtual Status AdoptTrial(int64_t trial_id, const std::string& from_worker,
                            const std::string& to_worker) = 0;

  // --- Tracking outbox ---
  // Records (or updates) the target of (study, tag), keeping its run_key
  // (target.run_key is ignored); returns it as stored. kNotFound for an
  // unknown study.
  virtual Result<TrackingTarget> SetTrackingTarget(int64_t study_id, const std::string& tag,
                                                   const TrackingTarget& target) = 0;
  virtual Result<std::optional<TrackingTarget>> GetTrackingTarget(int64_t study_id,
                                                                  const std::string& tag) = 0;
  // Every (study_id, tag) that has a target.
  virtual Result<std::vector<std::pair<int64_t, std::string>>> ListTrackingTargets() = 0;
  // Takes (or renews) the delivery lease of (study, tag) for `owner` until
  // now + lease_s, if it is free, expired or already the owner's, and returns
  // up to `limit` (>= 1) pending (not dead) messages in id order, each with
  // its attempts counted up. Empty when another owner holds the lease;
  // kNotFound when (study, tag) has no target.
  virtual Result<std::vector<OutboxMessage>> ClaimOutbox(int64_t study_id, const std::string& tag,
                                                         const std::string& owner, double lease_s,
                                                         int limit) = 0;
  // Records what a delivery did, in one transaction (also without the lease:
  // recording a delivered message twice is harmless).
  virtual Status SettleOutbox(int64_t study_id, const std::string& tag,
                              const OutboxUpdate& update) = 0;
  // Gives the lease up if `owner` holds it.
  virtual Status ReleaseOutboxLease(int64_t study_id, const std::string& tag,
                                    const std::string& owner) = 0;
  virtual Result<OutboxCounts> CountOutbox(int64_t study_id, const std::string& tag) = 0;
  // Makes dead messages of (study, tag) pending again (`gdsweep sync --retry-dead`)
  // with their attempts back at 0 (last_error kept); returns how many.
  virtual Result<int64_t> ReviveOutbox(int64_t study_id, const std::string& tag) = 0;
  // The messages of (study, tag) that are dead, in id order.
  virtual Result<std::vector<OutboxMessage>> DeadOutbox(int64_t study_id,
                                                        const std::string& tag) = 0;
  virtual Result<std::optional<TrackingRun>> GetTrackingRun(int64_t study_id,
                                                            const std::string& tag,
                                                            int64_t trial_id) = 0;

  // --- Queue and study management ---
  // Queues the points as WAITING trials, in order, each with Optuna's
  // "fixed_params" trial attribute (external values) and a gdsweep_trials row
  // of req.tag (counted against its budget); a point must fit the study's
  // stored space (Error::Invalid naming the key). The parameters a point
  // lacks are sampled when a worker claims it. Ask claims such trials before
  // sampling new ones, and also those Optuna's enqueue_trial queued.
  virtual Result<EnqueueResult> Enqueue(const EnqueueRequest& req) = 0;
  // Deletes the study with its trials and every gdsweep row of them, in one
  // transaction. kNotFound listing nothing (callers list the studies).
  virtual Status DeleteStudy(const std::string& name) = 0;
  // kNotFound for `from`, kConflict when a study is named `to` already.
  virtual Status RenameStudy(const std::string& from, const std::string& to) = 0;
  // Everything stored of the study (study_dump.h), read in one transaction.
  virtual Result<StudyDump> ExportStudy(const std::string& name) = 0;
  // Writes `dump` as a new study named `name` in one transaction (new study
  // and trial ids; numbers kept); kConflict when a study has that name.
  virtual Result<StudyInfo> ImportStudy(const StudyDump& dump, const std::string& name) = 0;
};

struct SqliteOptions {
  std::string path;             // file path, or ":memory:"
  int busy_timeout_ms = 60000;  // wait this long for another writer
  // true: every commit is on disk before it returns. false: a commit survives
  // a crash of the process at once, and a power loss after the next Sync().
  bool synchronous_full = true;
  bool read_only = false;  // for readers: never creates or upgrades
};

// Opens (creating and upgrading as needed) the SQLite storage.
Result<std::unique_ptr<Storage>> OpenSqliteStorage(const SqliteOptions& options);

struct PostgresOptions {
  // postgresql://user[:password]@host[:port]/dbname[?sslmode=...], as Optuna
  // takes it (postgresql+psycopg2:// too). A password not in the URL comes
  // from PGPASSWORD or ~/.pgpass. Never logged: messages show RedactDatabaseUrl.
  std::string url;
  // How long a transaction keeps reconnecting to a server that went away
  // (a restart) before it fails.
  int reconnect_timeout_ms = 60000;
  bool read_only = false;  // for readers: never creates or upgrades
};

// Opens (creating Optuna's and gdsweep's tables as needed) the storage in a
// PostgreSQL database, which must exist. Error::Remote when the server
// refuses the login or cannot be reached, Error::Invalid for a bad URL.
Result<std::unique_ptr<Storage>> OpenPostgresStorage(const PostgresOptions& options);

// postgresql://, postgres:// or postgresql+psycopg2://.
bool IsPostgresUrl(const std::string& url);
// The URL with its password replaced by "***".
std::string RedactDatabaseUrl(const std::string& url);

// Opens a SQLite file (a path) or a PostgreSQL database (a URL, IsPostgresUrl).
// synchronous_full applies to SQLite (PostgreSQL commits durably).
Result<std::unique_ptr<Storage>> OpenStorage(const std::string& path_or_url, bool read_only = false,
                                             bool synchronous_full = true);

}  // namespace gdsweep
