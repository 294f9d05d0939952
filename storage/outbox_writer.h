// Writing tracking outbox messages inside the caller's write transaction, so a
// report exists exactly when the state change it reports was committed. The
// trial writer calls these on every state change of a trial whose (study, tag)
// has a tracking target; the payloads are storage/README.md's "Outbox".
// Nothing here commits. Acts on one Database; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

std::optional<OutboxKind> OutboxKindFromString(const std::string& s);

// The trial a message is about.
struct OutboxSubject {
  int64_t study_id = 0;
  std::string tag;
  int64_t trial_id = 0;
  int64_t number = 0;
};

// Whether (study, tag) has a tracking target: one primary-key lookup, read
// in the transaction (never cached: another process may set it).
Result<bool> IsTracked(sql::Database& db, int64_t study_id, const std::string& tag);

// The trial's parameters as a user sees them ("0.001", "3", "adam"), by name,
// from its trial_params rows.
Result<std::map<std::string, std::string>> StoredParamsText(sql::Database& db, int64_t trial_id);

struct RunStarted {
  int attempt = 1;
  std::optional<int64_t> retry_of;
  double start_time = 0;                      // seconds since the epoch
  std::map<std::string, std::string> params;  // external values as text
};
Status AppendRunStarted(sql::Database& db, const OutboxSubject& trial, const RunStarted& run);

// `times`: step -> when the trial reported it; such a point is written
// [step, value, time], one without [step, value] (read as `time`).
Status AppendIntermediate(sql::Database& db, const OutboxSubject& trial, double time,
                          const std::map<int64_t, double>& points,
                          const std::map<int64_t, double>& times = {});

struct RunFinished {
  TrialState state = TrialState::kComplete;
  std::vector<double> values;  // as stored in trial_values
  double end_time = 0;
  std::string reason;
  bool interrupted = false;            // requeued to run again (Requeue::kRerun)
  std::map<int64_t, double> points;    // intermediate values stored with the finish
  std::map<int64_t, double> times;     // step -> when reported (see AppendIntermediate)
  std::optional<int64_t> pruned_step;  // PRUNED: its last step (where it was pruned)
};
Status AppendRunFinished(sql::Database& db, const OutboxSubject& trial, const RunFinished& run);

}  // namespace gdsweep::storage
