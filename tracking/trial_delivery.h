// One trial's share of a delivery pass: its outbox messages, in outbox order,
// turned into requests on its run by one worker thread (DeliverTrial). The
// messages of a trial go one after the other (its run is created before its
// params, metrics and status; a status is set after the metrics); different
// trials go in parallel (ClientPool). A trial's params, intermediate values
// and final metrics and tags go in as few runs/log-batch requests as MLflow's
// limits allow. No storage here: what is read from the database is read
// before (TrialWork), what happened is settled after (TrialDelivery).
// Pure functions of their arguments but for the requests; thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/model/result.h"
#include "tracking/client_pool.h"

namespace gdsweep {

// What every trial of a pass shares; read-only while the pass runs.
struct PassContext {
  const TrackingTarget* target = nullptr;
  const StudyInfo* study = nullptr;
  std::string tag;            // the sweep tag
  std::string run_key;        // the target's: a trial's run is "<run_key>:<trial_id>"
  std::string experiment_id;  // where the runs go
  TrackingRun parent;         // the parent run of (study, tag)
  size_t max_reason_chars = 5000;
  // A run_started whose params would go alone is held back for this long
  // after it was written, so they go with the trial's next report (a quick
  // trial's results) in one request. 0: never held back.
  std::chrono::milliseconds merge_window{0};
  std::chrono::steady_clock::time_point deadline;
};

// A trial's messages of this pass and what storage knows about it.
struct TrialWork {
  int64_t trial_id = 0;
  int64_t trial_number = 0;
  std::vector<OutboxMessage> messages;       // in outbox (id) order
  std::optional<TrackingRun> run;            // its run, when storage has it
  std::map<int64_t, double> stored_history;  // its stored intermediate values
};

// What DeliverTrial did, for SettleOutbox.
struct TrialDelivery {
  std::vector<int64_t> delivered;
  std::vector<OutboxUpdate::Failure> failed;
  std::optional<TrackingRun> run;  // created or found by its run_key in this pass
  std::optional<Error> stop;       // a transient failure: the pass stops
  int64_t deferred = 0;            // held back to merge (PassContext::merge_window)
};

// Trying again later may help (server unreachable, 429/5xx, aborted); any
// other error is the server refusing the request for good.
bool TransientError(const Error& e);

// The oldest active run of the experiment tagged gdsweep.run_key = run_key.
Result<std::optional<TrackingRun>> FindRunByKey(mlflow::Client& client,
                                                const std::string& experiment_id,
                                                const std::string& run_key);

// Delivers `work` with `clients`. Before each message it looks at `stop`
// (another trial met a transient failure) and the deadline; what it does not
// try stays pending. `on_run` is called as soon as the trial's run exists
// (the scheduler waits for it before launching the trial).
TrialDelivery DeliverTrial(const PassContext& ctx, const TrialWork& work,
                           ClientPool::Clients& clients, const std::atomic<bool>& stop,
                           const std::function<void(const TrackingRun&)>& on_run);

}  // namespace gdsweep
