#include "storage/tracking_outbox.h"

#include <random>

#include "storage/outbox_writer.h"
#include "sweeper/model/redact.h"

namespace gdsweep::storage {
namespace {

using sql::Database;
using sql::Query;

constexpr const char* kSelectTarget =
    "SELECT uri, experiment, artifact_location, tag_key, values_from_tracking, run_key "
    "FROM gdsweep_tracking_targets WHERE study_id = ?1 AND tag = ?2";

constexpr const char* kMessageColumns =
    "SELECT id, study_id, tag, trial_id, trial_number, kind, payload, created_at, attempts, "
    "last_error FROM gdsweep_tracking_outbox ";

// Reads the rows of a kMessageColumns query (already bound).
Result<std::vector<OutboxMessage>> CollectMessages(Query& q) {
  std::vector<OutboxMessage> out;
  while (true) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    OutboxMessage m;
    m.id = q.Int(0);
    m.study_id = q.Int(1);
    m.tag = q.Text(2);
    m.trial_id = q.Int(3);
    m.trial_number = q.Int(4);
    auto kind = OutboxKindFromString(q.Text(5));
    if (!kind) {
      return Error::Io("outbox message " + std::to_string(m.id) + " has unknown kind '" +
                       q.Text(5) + "'");
    }
    m.kind = *kind;
    m.payload = q.Text(6);
    m.created_at = q.Double(7);
    m.attempts = static_cast<int>(q.Int(8));
    m.last_error = q.Text(9);
    out.push_back(std::move(m));
  }
}

}  // namespace

std::string NewRunKey() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (int word = 0; word < 4; ++word) {
    uint32_t bits = rd();
    for (int i = 0; i < 8; ++i, bits >>= 4) key += kHex[bits & 0xf];
  }
  return key;
}

Result<TrackingTarget> UpsertTrackingTarget(Database& db, int64_t study_id, const std::string& tag,
                                            const TrackingTarget& target) {
  auto study = db.Prepare("SELECT 1 FROM studies WHERE study_id = ?1");
  if (!study) return study.error();
  auto found = study->Bind(1, study_id).Step();
  if (!found) return found.error();
  if (!*found) return Error::NotFound("no study with id " + std::to_string(study_id));

  // run_key is only written by the INSERT: an update keeps the first one.
  auto q = db.Prepare(
      "INSERT INTO gdsweep_tracking_targets (study_id, tag, uri, experiment, artifact_location, "
      "tag_key, values_from_tracking, run_key, lease_owner, lease_until) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL) "
      "ON CONFLICT (study_id, tag) DO UPDATE SET uri = excluded.uri, "
      "experiment = excluded.experiment, artifact_location = excluded.artifact_location, "
      "tag_key = excluded.tag_key, values_from_tracking = excluded.values_from_tracking");
  if (!q) return q.error();
  q->Bind(1, study_id).Bind(2, tag).Bind(3, target.uri).Bind(4, target.experiment);
  q->Bind(5, target.artifact_location).Bind(6, target.tag_key);
  q->Bind(7, target.values_from_tracking ? 1 : 0).Bind(8, NewRunKey());
  if (auto s = q->Run(); !s) return s.error();
  auto stored = LoadTrackingTarget(db, study_id, tag);
  if (!stored) return stored.error();
  if (!*stored) return Error::Internal("the tracking target just written is missing");
  return std::move(**stored);
}

Result<std::optional<TrackingTarget>> LoadTrackingTarget(Database& db, int64_t study_id,
                                                         const std::string& tag) {
  auto q = db.Prepare(kSelectTarget);
  if (!q) return q.error();
  auto row = q->Bind(1, study_id).Bind(2, tag).Step();
  if (!row) return row.error();
  if (!*row) return std::optional<TrackingTarget>();
  TrackingTarget t;
  t.uri = q->Text(0);
  t.experiment = q->Text(1);
  t.artifact_location = q->Text(2);
  t.tag_key = q->Text(3);
  t.values_from_tracking = q->Int(4) != 0;
  t.run_key = q->Text(5);
  return std::optional<TrackingTarget>(std::move(t));
}

Result<std::vector<std::pair<int64_t, std::string>>> LoadTrackingTargets(Database& db) {
  auto q = db.Prepare("SELECT study_id, tag FROM gdsweep_tracking_targets ORDER BY study_id, tag");
  if (!q) return q.error();
  std::vector<std::pair<int64_t, std::string>> out;
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.emplace_back(q->Int(0), q->Text(1));
  }
}

Result<std::vector<OutboxMessage>> ClaimPendingMessages(Database& db, int64_t study_id,
                                                        const std::string& tag,
                                                        const std::string& owner, double now,
                                                        double lease_s, int limit) {
  if (limit < 1) return Error::Invalid("ClaimOutbox: limit must be at least 1");
  auto lease = db.Prepare(
      "UPDATE gdsweep_tracking_targets SET lease_owner = ?3, lease_until = ?4 "
      "WHERE study_id = ?1 AND tag = ?2 AND "
      "(lease_owner IS NULL OR lease_owner = ?3 OR lease_until IS NULL OR lease_until < ?5)");
  if (!lease) return lease.error();
  lease->Bind(1, study_id).Bind(2, tag).Bind(3, owner).Bind(4, now + lease_s).Bind(5, now);
  if (auto s = lease->Run(); !s) return s.error();
  if (db.Changes() == 0) {
    auto tracked = IsTracked(db, study_id, tag);
    if (!tracked) return tracked.error();
    if (!*tracked) {
      return Error::NotFound("study " + std::to_string(study_id) + ", tag '" + tag +
                             "' has no tracking target");
    }
    return std::vector<OutboxMessage>{};  // another owner's live lease
  }

  auto q = db.Prepare(std::string(kMessageColumns) +
                      "WHERE study_id = ?1 AND tag = ?2 AND dead = 0 ORDER BY id LIMIT ?3");
  if (!q) return q.error();
  q->Bind(1, study_id).Bind(2, tag).Bind(3, limit);
  auto messages = CollectMessages(*q);
  if (!messages) return messages.error();
  if (messages->empty()) return messages;
  // The same rows: the first `limit` pending ones, up to the last id read.
  auto count = db.Prepare(
      "UPDATE gdsweep_tracking_outbox SET attempts = attempts + 1 "
      "WHERE study_id = ?1 AND tag = ?2 AND dead = 0 AND id <= ?3");
  if (!count) return count.error();
  if (auto s = count->Bind(1, study_id).Bind(2, tag).Bind(3, messages->back().id).Run(); !s) {
    return s.error();
  }
  for (auto& m : *messages) ++m.attempts;
  return messages;
}

Status ApplyOutboxUpdate(Database& db, int64_t study_id, const std::string& tag,
                         const OutboxUpdate& update) {
  for (int64_t id : update.delivered) {
    auto q = db.Prepare(
        "DELETE FROM gdsweep_tracking_outbox WHERE id = ?1 AND study_id = ?2 AND tag = ?3");
    if (!q) return q.error();
    if (auto s = q->Bind(1, id).Bind(2, study_id).Bind(3, tag).Run(); !s) return s;
  }
  for (const auto& [trial_id, run] : update.runs) {
    auto q = db.Prepare(
        "INSERT INTO gdsweep_tracking_runs (study_id, tag, trial_id, experiment_id, run_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (study_id, tag, trial_id) DO UPDATE SET "
        "experiment_id = excluded.experiment_id, run_id = excluded.run_id");
    if (!q) return q.error();
    q->Bind(1, study_id).Bind(2, tag).Bind(3, trial_id);
    if (auto s = q->Bind(4, run.experiment_id).Bind(5, run.run_id).Run(); !s) return s;
  }
  for (const auto& f : update.failed) {
    auto q = db.Prepare(
        // dead stays set once set (CASE: SQLite's max() is GREATEST on PostgreSQL).
        "UPDATE gdsweep_tracking_outbox SET last_error = ?4, "
        "dead = CASE WHEN ?5 <> 0 THEN 1 ELSE dead END "
        "WHERE id = ?1 AND study_id = ?2 AND tag = ?3");
    if (!q) return q.error();
    q->Bind(1, f.id).Bind(2, study_id).Bind(3, tag);
    // The error may quote a server's answer: no credential is stored, whoever built it.
    if (auto s = q->Bind(4, RedactText(f.error)).Bind(5, f.dead ? 1 : 0).Run(); !s) return s;
  }
  return {};
}

Status DropOutboxLease(Database& db, int64_t study_id, const std::string& tag,
                       const std::string& owner) {
  auto q = db.Prepare(
      "UPDATE gdsweep_tracking_targets SET lease_owner = NULL, lease_until = NULL "
      "WHERE study_id = ?1 AND tag = ?2 AND lease_owner = ?3");
  if (!q) return q.error();
  return q->Bind(1, study_id).Bind(2, tag).Bind(3, owner).Run();
}

Result<OutboxCounts> CountMessages(Database& db, int64_t study_id, const std::string& tag) {
  auto q = db.Prepare(
      "SELECT count(*) FILTER (WHERE dead = 0), count(*) FILTER (WHERE dead = 1), "
      "min(created_at) FILTER (WHERE dead = 0) "
      "FROM gdsweep_tracking_outbox WHERE study_id = ?1 AND tag = ?2");
  if (!q) return q.error();
  auto row = q->Bind(1, study_id).Bind(2, tag).Step();
  if (!row) return row.error();
  OutboxCounts c;
  if (*row) {
    c.pending = q->Int(0);
    c.dead = q->Int(1);
    c.oldest_pending_at = q->OptDouble(2);
  }
  return c;
}

Result<int64_t> ReviveDeadMessages(Database& db, int64_t study_id, const std::string& tag) {
  auto q = db.Prepare(
      "UPDATE gdsweep_tracking_outbox SET dead = 0, attempts = 0 "
      "WHERE study_id = ?1 AND tag = ?2 AND dead = 1");
  if (!q) return q.error();
  if (auto s = q->Bind(1, study_id).Bind(2, tag).Run(); !s) return s.error();
  return db.Changes();
}

Result<std::vector<OutboxMessage>> LoadDeadMessages(Database& db, int64_t study_id,
                                                    const std::string& tag) {
  auto q = db.Prepare(std::string(kMessageColumns) +
                      "WHERE study_id = ?1 AND tag = ?2 AND dead = 1 ORDER BY id");
  if (!q) return q.error();
  q->Bind(1, study_id).Bind(2, tag);
  return CollectMessages(*q);
}

Result<std::optional<TrackingRun>> LoadTrackingRun(Database& db, int64_t study_id,
                                                   const std::string& tag, int64_t trial_id) {
  auto q = db.Prepare(
      "SELECT experiment_id, run_id FROM gdsweep_tracking_runs "
      "WHERE study_id = ?1 AND tag = ?2 AND trial_id = ?3");
  if (!q) return q.error();
  auto row = q->Bind(1, study_id).Bind(2, tag).Bind(3, trial_id).Step();
  if (!row) return row.error();
  if (!*row) return std::optional<TrackingRun>();
  return std::optional<TrackingRun>(TrackingRun{q->Text(0), q->Text(1)});
}

}  // namespace gdsweep::storage
