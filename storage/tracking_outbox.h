// The tracking side of the outbox: targets of (study, tag) with their run key
// and delivery lease, claiming and settling messages, counts, dead messages
// and the runs recorded on the server (storage/README.md, "Outbox"). Each
// function runs inside the caller's transaction; nothing here commits. Acts on
// one Database; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

// 32 lowercase hex characters from std::random_device.
std::string NewRunKey();

// kNotFound for an unknown study.
Result<TrackingTarget> UpsertTrackingTarget(sql::Database& db, int64_t study_id,
                                            const std::string& tag, const TrackingTarget& target);
Result<std::optional<TrackingTarget>> LoadTrackingTarget(sql::Database& db, int64_t study_id,
                                                         const std::string& tag);
Result<std::vector<std::pair<int64_t, std::string>>> LoadTrackingTargets(sql::Database& db);

// Takes the lease of (study, tag) for `owner` until now + lease_s when it is
// free, expired or the owner's, and returns up to `limit` pending messages
// with their attempts counted up; empty when another owner holds it.
Result<std::vector<OutboxMessage>> ClaimPendingMessages(sql::Database& db, int64_t study_id,
                                                        const std::string& tag,
                                                        const std::string& owner, double now,
                                                        double lease_s, int limit);
Status ApplyOutboxUpdate(sql::Database& db, int64_t study_id, const std::string& tag,
                         const OutboxUpdate& update);
Status DropOutboxLease(sql::Database& db, int64_t study_id, const std::string& tag,
                       const std::string& owner);
Result<OutboxCounts> CountMessages(sql::Database& db, int64_t study_id, const std::string& tag);
Result<int64_t> ReviveDeadMessages(sql::Database& db, int64_t study_id, const std::string& tag);
Result<std::vector<OutboxMessage>> LoadDeadMessages(sql::Database& db, int64_t study_id,
                                                    const std::string& tag);
Result<std::optional<TrackingRun>> LoadTrackingRun(sql::Database& db, int64_t study_id,
                                                   const std::string& tag, int64_t trial_id);

}  // namespace gdsweep::storage
