// The run tags gdsweep writes on MLflow runs besides the sweep tag (which goes
// under the target's tag_key), shared by delivery and the readers that find
// runs again. Constants only; thread-safe.
#pragma once

namespace gdsweep::run_tags {

inline constexpr char kParentRunId[] = "mlflow.parentRunId";  // MLflow's own nesting tag
inline constexpr char kStudy[] = "gdsweep.study";             // the study name
// "<target run_key>:<trial_id>" on a trial's run, "<run_key>:parent:<tag>" on
// the parent: how a run is found again instead of being created twice.
inline constexpr char kRunKey[] = "gdsweep.run_key";
inline constexpr char kTrialNumber[] = "gdsweep.trial_number";  // trial runs only
inline constexpr char kTrialAttempt[] = "gdsweep.trial_attempt";
inline constexpr char kRetryOf[] = "gdsweep.retry_of";  // number of the trial retried
inline constexpr char kState[] = "gdsweep.state";       // COMPLETE, FAIL or PRUNED
inline constexpr char kFailureReason[] = "gdsweep.failure_reason";
inline constexpr char kInterrupted[] = "gdsweep.interrupted";  // "true": requeued to run again
// "lr,notes": the params whose values were cut to MLflow's 6000 characters.
inline constexpr char kTruncatedParams[] = "gdsweep.truncated_params";
inline constexpr char kPruned[] = "gdsweep.pruned";           // "true": stopped by the pruner
inline constexpr char kPrunedStep[] = "gdsweep.pruned_step";  // the step it was pruned at

// Every gdsweep.* tag above: a tag_key must be none of them.
inline constexpr const char* kOwn[] = {kStudy,           kRunKey, kTrialNumber,   kTrialAttempt,
                                       kRetryOf,         kState,  kFailureReason, kInterrupted,
                                       kTruncatedParams, kPruned, kPrunedStep};

}  // namespace gdsweep::run_tags
