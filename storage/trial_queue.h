// The trial queue: points queued as WAITING trials the way Optuna's
// enqueue_trial queues them (no trial_params, a "fixed_params" attribute of
// external values), and the claim of the oldest WAITING trial a worker may
// run: its sweep's retries, reruns and queued points, and any trial Optuna
// queued, with a queued point's missing parameters drawn from the sampler.
// Runs inside the caller's write transaction; acts on one Database,
// thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

// See Storage::Enqueue. `space`: the study's stored search space.
Result<EnqueueResult> EnqueuePoints(sql::Database& db, const EnqueueRequest& req,
                                    const SearchSpace& space);

// The sampler's proposal for trial `number`, for the parameters a queued
// point lacks, around the values it gives (`given`); nullopt when it has
// none left (a finished grid).
using SampleMissing =
    std::function<Result<std::optional<Params>>(int64_t number, const Params& given)>;

struct ClaimRequest {
  int64_t study_id = 0;
  std::string tag;
  std::string worker_id;
  std::function<std::string(int64_t number)> log_path_for;
  const SearchSpace* space = nullptr;  // the study's stored search space
  SampleMissing sample;
};

// Sets the oldest WAITING trial of the study that has the worker's tag, or no
// gdsweep row at all (Optuna queued it: it joins the worker's sweep and its
// budget), RUNNING for the worker. A queued point (no params yet) gets its
// "fixed_params", then the sampler's values for the active parameters it
// lacks (a given value of a parameter the point's values make inactive is
// dropped, with a warning, as Optuna never suggests it); a trial with params
// (a retry, a rerun) keeps them as they are. A queued value
// that does not fit the space fails its trial (FAIL, the reason naming the
// key) and the next one is claimed. nullopt: none waits, or the sampler has
// nothing left for a point's missing parameters (the point stays WAITING).
Result<std::optional<TrialRecord>> ClaimWaitingTrial(sql::Database& db, const ClaimRequest& req);

}  // namespace gdsweep::storage
