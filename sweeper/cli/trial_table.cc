#include "sweeper/cli/trial_table.h"

#include <ctime>
#include <nlohmann/json.hpp>

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

std::vector<std::string> MetricNames(const StudyInfo& study) {
  std::vector<std::string> names = study.metric_names;
  for (size_t k = names.size(); k < study.directions.size(); ++k) {
    names.push_back("value" + std::to_string(k));
  }
  return names;
}

// Parameter names: the stored space's order, then any others trials have.
std::vector<std::string> ParamNames(const StudyInfo& study,
                                    const std::vector<TrialRecord>& trials) {
  std::vector<std::string> names;
  for (const auto& p : study.space) names.push_back(p.name);
  for (const auto& t : trials) {
    for (const auto& [name, v] : t.params) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

std::string ParamText(const StudyInfo& study, const TrialRecord& t, const std::string& name) {
  auto it = t.params.find(name);
  if (it == t.params.end()) return "";
  if (const Parameter* p = FindParameter(study.space, name)) {
    return FormatValue(p->distribution, it->second);
  }
  return FormatDouble(it->second);
}

json ParamJson(const StudyInfo& study, const TrialRecord& t, const std::string& name) {
  const std::string text = ParamText(study, t, name);
  const Parameter* p = FindParameter(study.space, name);
  if (p && std::holds_alternative<CategoricalDistribution>(p->distribution)) {
    const auto& choices = std::get<CategoricalDistribution>(p->distribution).choices;
    const auto& c = choices.at(static_cast<size_t>(t.params.at(name)));
    json j;
    std::visit(
        [&](const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) {
            j = nullptr;
          } else {
            j = v;
          }
        },
        c);
    return j;
  }
  if (p && std::holds_alternative<IntDistribution>(p->distribution)) {
    return static_cast<int64_t>(t.params.at(name));
  }
  return t.params.at(name);
}

// Where a PRUNED trial was pruned: its last step, as Optuna's last_step.
std::optional<int64_t> PrunedStep(const TrialRecord& t) {
  if (t.state != TrialState::kPruned || t.intermediate.empty()) return std::nullopt;
  return t.intermediate.rbegin()->first;
}

void PrintRows(std::FILE* out, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows, Format format);
json RunsJson(const std::vector<TrialRun>& runs);

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Result<Format> ParseFormat(const std::string& s) {
  if (s == "table") return Format::kTable;
  if (s == "csv") return Format::kCsv;
  if (s == "json") return Format::kJson;
  return Error::Invalid("--format must be table, csv or json, not '" + s + "'");
}

void PrintTrials(std::FILE* out, const StudyInfo& study, const std::vector<TrialRecord>& trials,
                 Format format, const std::vector<TrialRun>* runs) {
  const auto metrics = MetricNames(study);
  const auto params = ParamNames(study, trials);
  if (format == Format::kJson) {
    json all = json::array();
    for (const auto& t : trials) {
      json values = json::object(), ps = json::object(), inter = json::object();
      for (size_t k = 0; k < t.values.size() && k < metrics.size(); ++k) {
        values[metrics[k]] =
            std::isfinite(t.values[k]) ? json(t.values[k]) : json(FormatDouble(t.values[k]));
      }
      for (const auto& n : params) {
        if (t.params.count(n)) ps[n] = ParamJson(study, t, n);
      }
      for (const auto& [step, v] : t.intermediate) inter[std::to_string(step)] = v;
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
      if (runs) row["run_history"] = RunsJson(*runs);
      all.push_back(row);
    }
    std::fprintf(out, "%s\n", all.dump(2).c_str());
    return;
  }
  std::vector<std::string> header = {"number", "state", "tag", "attempt"};
  header.insert(header.end(), metrics.begin(), metrics.end());
  header.insert(header.end(), params.begin(), params.end());
  header.insert(header.end(), {"started", "seconds", "reason", "runs"});
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : trials) {
    std::string state = ToString(t.state);
    auto pruned_at = PrunedStep(t);
    if (pruned_at && format == Format::kTable) state += "@" + std::to_string(*pruned_at);
    std::vector<std::string> row = {std::to_string(t.number), state, t.tag,
                                    std::to_string(t.attempt)};
    for (size_t k = 0; k < metrics.size(); ++k) {
      row.push_back(k < t.values.size() ? FormatDouble(t.values[k]) : "");
    }
    for (const auto& n : params) row.push_back(ParamText(study, t, n));
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
    rows.push_back(std::move(row));
  }
  PrintRows(out, header, rows, format);
}

namespace {

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

}  // namespace

void PrintTrialRuns(std::FILE* out, const TrialRecord& trial, const std::vector<TrialRun>& runs,
                    Format format) {
  if (format == Format::kJson) {
    std::fprintf(out, "%s\n", RunsJson(runs).dump(2).c_str());
    return;
  }
  const std::vector<std::string> header = {"run",     "attempt", "worker",  "host",  "pid",
                                           "started", "ended",   "outcome", "reason"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    rows.push_back({std::to_string(r.run), std::to_string(r.attempt), r.worker_id, r.host,
                    r.pid ? std::to_string(r.pid) : "", Timestamp(r.started_at),
                    Timestamp(r.ended_at), r.outcome.empty() ? "RUNNING" : r.outcome, r.reason});
  }
  if (format == Format::kTable)
    std::fprintf(out, "\nruns of trial %lld:\n", static_cast<long long>(trial.number));
  PrintRows(out, header, rows, format);
}

namespace {

void PrintRows(std::FILE* out, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows, Format format) {
  if (format == Format::kCsv) {
    for (const auto* r : {&header}) {
      for (size_t i = 0; i < r->size(); ++i) {
        std::fprintf(out, "%s%s", i ? "," : "", CsvField((*r)[i]).c_str());
      }
      std::fputc('\n', out);
    }
    for (const auto& r : rows) {
      for (size_t i = 0; i < r.size(); ++i) {
        std::fprintf(out, "%s%s", i ? "," : "", CsvField(r[i]).c_str());
      }
      std::fputc('\n', out);
    }
    return;
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto print_row = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  };
  print_row(header);
  for (const auto& r : rows) print_row(r);
}

}  // namespace

}  // namespace gdsweep::cli
