#include "storage/outbox_writer.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "storage/trial_reader.h"
#include "storage/trial_writer.h"

namespace gdsweep {

const char* ToString(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::kRunStarted:
      return "run_started";
    case OutboxKind::kIntermediate:
      return "intermediate";
    case OutboxKind::kRunFinished:
      return "run_finished";
  }
  return "?";
}

namespace storage {
namespace {

using nlohmann::json;
using sql::Database;

// A number as MLflow's JSON accepts it: non-finite ones as strings (a plain
// nlohmann dump would write null).
json Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

json Points(const std::map<int64_t, double>& points, const std::map<int64_t, double>& times) {
  json j = json::array();
  for (const auto& [step, value] : points) {
    auto t = times.find(step);
    j.push_back(t == times.end() ? json::array({step, Number(value)})
                                 : json::array({step, Number(value), t->second}));
  }
  return j;
}

Status Append(Database& db, const OutboxSubject& trial, OutboxKind kind, const json& payload) {
  auto q = db.Prepare(
      "INSERT INTO gdsweep_tracking_outbox (study_id, tag, trial_id, trial_number, kind, "
      "payload, created_at, attempts, last_error, dead) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, NULL, 0)");
  if (!q) return q.error();
  q->Bind(1, trial.study_id).Bind(2, trial.tag).Bind(3, trial.trial_id).Bind(4, trial.number);
  return q->Bind(5, ToString(kind))
      .Bind(6, payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .Bind(7, NowSeconds())
      .Run();
}

}  // namespace

std::optional<OutboxKind> OutboxKindFromString(const std::string& s) {
  for (auto k : {OutboxKind::kRunStarted, OutboxKind::kIntermediate, OutboxKind::kRunFinished}) {
    if (s == ToString(k)) return k;
  }
  return std::nullopt;
}

Result<bool> IsTracked(Database& db, int64_t study_id, const std::string& tag) {
  auto q = db.Prepare("SELECT 1 FROM gdsweep_tracking_targets WHERE study_id = ?1 AND tag = ?2");
  if (!q) return q.error();
  q->Bind(1, study_id).Bind(2, tag);
  return q->Step();
}

Result<std::map<std::string, std::string>> StoredParamsText(Database& db, int64_t trial_id) {
  auto stored = ReadStoredParams(db, trial_id);
  if (!stored) return stored.error();
  std::map<std::string, std::string> out;
  for (const auto& p : *stored) {
    auto d = FromOptunaJson(p.distribution_json);
    out[p.name] = d ? FormatValue(*d, p.internal) : FormatDouble(p.internal);
  }
  return out;
}

Status AppendRunStarted(Database& db, const OutboxSubject& trial, const RunStarted& run) {
  json j = {{"number", trial.number}, {"attempt", run.attempt}};
  if (run.retry_of) j["retry_of"] = *run.retry_of;
  j["start_time"] = run.start_time;
  j["params"] = run.params;
  return Append(db, trial, OutboxKind::kRunStarted, j);
}

Status AppendIntermediate(Database& db, const OutboxSubject& trial, double time,
                          const std::map<int64_t, double>& points,
                          const std::map<int64_t, double>& times) {
  return Append(db, trial, OutboxKind::kIntermediate,
                {{"time", time}, {"points", Points(points, times)}});
}

Status AppendRunFinished(Database& db, const OutboxSubject& trial, const RunFinished& run) {
  json values = json::array();
  for (double v : run.values) values.push_back(Number(v));
  json j = {{"state", ToString(run.state)},   {"values", values},
            {"end_time", run.end_time},       {"reason", run.reason},
            {"interrupted", run.interrupted}, {"points", Points(run.points, run.times)}};
  if (run.pruned_step) j["pruned_step"] = *run.pruned_step;
  return Append(db, trial, OutboxKind::kRunFinished, j);
}

}  // namespace storage
}  // namespace gdsweep
