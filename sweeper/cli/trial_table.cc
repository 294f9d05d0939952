#include "sweeper/cli/trial_table.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>

namespace gdsweep::cli {
namespace {

using nlohmann::json;

std::string Timestamp(const std::optional<double>& t) {
  if (!t) return "";
  std::time_t s = static_cast<std::time_t>(*t);
  std::tm tm{};
  localtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Parameter names: the known distributions' order, then any others trials have.
std::vector<std::string> ParamNames(const SearchSpace& params,
                                    const std::vector<TrialRecord>& trials) {
  std::vector<std::string> names;
  for (const auto& p : params) names.push_back(p.name);
  for (const auto& t : trials) {
    for (const auto& [name, v] : t.params) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

// The categorical distribution of `p` when `internal` is one of its indices.
const CategoricalDistribution* CategoricalOf(const Parameter* p, double internal) {
  if (!p) return nullptr;
  const auto* c = std::get_if<CategoricalDistribution>(&p->distribution);
  if (!c || !Contains(p->distribution, internal)) return nullptr;
  return c;
}

// The value as text: a choice, an integer, a float (short in tables).
std::string ParamText(const SearchSpace& params, const TrialRecord& t, const std::string& name,
                      bool short_numbers) {
  auto it = t.params.find(name);
  if (it == t.params.end()) return "";
  const Parameter* p = FindParameter(params, name);
  if (CategoricalOf(p, it->second) ||
      (p && std::holds_alternative<IntDistribution>(p->distribution))) {
    return FormatValue(p->distribution, it->second);
  }
  return short_numbers ? ShortNumber(it->second) : FormatDouble(it->second);
}

json ParamJson(const SearchSpace& params, const TrialRecord& t, const std::string& name) {
  const double internal = t.params.at(name);
  const Parameter* p = FindParameter(params, name);
  if (const auto* c = CategoricalOf(p, internal)) {
    json j;
    std::visit(
        [&](const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) {
            j = nullptr;
          } else {
            j = v;
          }
        },
        c->choices.at(static_cast<size_t>(internal)));
    return j;
  }
  if (p && std::holds_alternative<IntDistribution>(p->distribution)) {
    return static_cast<int64_t>(internal);
  }
  return NumberJson(internal);
}

json RunsJson(const std::vector<TrialRun>& runs) {
  json all = json::array();
  for (const auto& r : runs) {
    json row = {{"run", r.run},
                {"attempt", r.attempt},
                {"worker_id", r.worker_id},
                {"host", r.host},
                {"pid", r.pid},
                {"started", Timestamp(r.started_at)},
                {"ended", Timestamp(r.ended_at)},
                {"outcome", r.outcome.empty() ? "RUNNING" : r.outcome},
                {"reason", r.reason}};
    all.push_back(row);
  }
  return all;
}

// Where a PRUNED trial was pruned: its last step, as Optuna's last_step.
std::optional<int64_t> PrunedStep(const TrialRecord& t) {
  if (t.state != TrialState::kPruned || t.intermediate.empty()) return std::nullopt;
  return t.intermediate.rbegin()->first;
}

json TrialJson(const TrialRecord& t, const std::vector<std::string>& metrics,
               const std::vector<std::string>& names, const SearchSpace& params) {
  json values = json::object(), ps = json::object(), inter = json::object();
  for (size_t k = 0; k < t.values.size() && k < metrics.size(); ++k) {
    values[metrics[k]] = NumberJson(t.values[k]);
  }
  for (const auto& n : names) {
    if (t.params.count(n)) ps[n] = ParamJson(params, t, n);
  }
  for (const auto& [step, v] : t.intermediate) inter[std::to_string(step)] = NumberJson(v);
  json row = {{"number", t.number},
              {"trial_id", t.trial_id},
              {"state", ToString(t.state)},
              {"tag", t.tag},
              {"attempt", t.attempt},
              {"runs", t.runs},
              {"values", values},
              {"params", ps},
              {"intermediate_values", inter},
              {"datetime_start", Timestamp(t.datetime_start)},
              {"datetime_complete", Timestamp(t.datetime_complete)},
              {"failure_reason", t.failure_reason},
              {"log_path", t.log_path}};
  if (t.retry_of) row["retry_of"] = *t.retry_of;
  if (auto step = PrunedStep(t)) row["pruned_step"] = *step;
  return row;
}

}  // namespace

std::string JsonText(const nlohmann::json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

nlohmann::json NumberJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

std::vector<std::string> ObjectiveNames(const StudyInfo& study) {
  std::vector<std::string> names;
  for (size_t k = 0; k < study.directions.size(); ++k) names.push_back(study.ObjectiveName(k));
  return names;
}

void PrintTrials(std::FILE* out, const StudyInfo& study, const SearchSpace& params,
                 const std::vector<TrialRecord>& trials, Format format,
                 const std::vector<TrialRun>* runs) {
  const auto metrics = ObjectiveNames(study);
  const auto names = ParamNames(params, trials);
  if (format == Format::kJson) {
    json all = json::array();
    for (const auto& t : trials) {
      json row = TrialJson(t, metrics, names, params);
      if (runs) row["run_history"] = RunsJson(*runs);
      all.push_back(std::move(row));
    }
    std::fprintf(out, "%s\n", JsonText(all).c_str());
    return;
  }
  const bool short_numbers = format == Format::kTable;
  Table table;
  table.header = {"number", "state", "tag", "attempt"};
  table.header.insert(table.header.end(), metrics.begin(), metrics.end());
  table.header.insert(table.header.end(), names.begin(), names.end());
  table.header.insert(table.header.end(), {"started", "seconds", "reason", "runs"});
  for (const auto& t : trials) {
    std::string state = ToString(t.state);
    auto pruned_at = PrunedStep(t);
    if (pruned_at && format == Format::kTable) state += "@" + std::to_string(*pruned_at);
    std::vector<std::string> row = {std::to_string(t.number), state, t.tag,
                                    std::to_string(t.attempt)};
    for (size_t k = 0; k < metrics.size(); ++k) {
      if (k >= t.values.size()) {
        row.push_back("");
      } else {
        row.push_back(short_numbers ? ShortNumber(t.values[k]) : FormatDouble(t.values[k]));
      }
    }
    for (const auto& n : names) row.push_back(ParamText(params, t, n, short_numbers));
    row.push_back(Timestamp(t.datetime_start));
    std::string secs;
    if (t.datetime_start && t.datetime_complete) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", *t.datetime_complete - *t.datetime_start);
      secs = buf;
    }
    row.push_back(secs);
    row.push_back(t.failure_reason);
    row.push_back(std::to_string(t.runs));
    table.rows.push_back(std::move(row));
  }
  PrintTable(out, table, format);
}

void PrintTrialRuns(std::FILE* out, const TrialRecord& trial, const std::vector<TrialRun>& runs,
                    Format format) {
  if (format == Format::kJson) {
    std::fprintf(out, "%s\n", JsonText(RunsJson(runs)).c_str());
    return;
  }
  Table table;
  table.header = {"run",     "attempt", "worker",  "host",  "pid",
                  "started", "ended",   "outcome", "reason"};
  for (const auto& r : runs) {
    table.rows.push_back({std::to_string(r.run), std::to_string(r.attempt), r.worker_id, r.host,
                          r.pid ? std::to_string(r.pid) : "", Timestamp(r.started_at),
                          Timestamp(r.ended_at), r.outcome.empty() ? "RUNNING" : r.outcome,
                          r.reason});
  }
  if (format == Format::kTable) {
    std::fprintf(out, "\nruns of trial %lld:\n", static_cast<long long>(trial.number));
  }
  PrintTable(out, table, format);
}

}  // namespace gdsweep::cli
