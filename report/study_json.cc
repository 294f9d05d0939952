#include "report/study_json.h"

#include <cmath>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <variant>

#include "report/importance.h"
#include "sweeper/best.h"

namespace gdsweep::report {
namespace {

using json = nlohmann::json;

// A number as JSON; the non-finite ones as the strings JavaScript's Number() reads.
json Num(double v) {
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "Infinity" : "-Infinity";
}

json ParamJson(const Parameter& p) {
  json out = {{"name", p.name}};
  std::visit(
      [&](const auto& d) {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, FloatDistribution>) {
          out["type"] = "float";
          out["low"] = d.low;
          out["high"] = d.high;
          out["log"] = d.log;
          if (d.step) out["step"] = *d.step;
        } else if constexpr (std::is_same_v<D, IntDistribution>) {
          out["type"] = "int";
          out["low"] = d.low;
          out["high"] = d.high;
          out["log"] = d.log;
          out["step"] = d.step;
        } else {
          out["type"] = "categorical";
          out["log"] = false;
          json choices = json::array();
          for (const Choice& c : d.choices) choices.push_back(ChoiceToString(c));
          out["choices"] = std::move(choices);
        }
      },
      p.distribution);
  return out;
}

std::string LogTail(const std::string& folder, size_t max_bytes) {
  if (folder.empty() || max_bytes == 0) return "";
  std::string out = ReadTail(folder + "/stdout.log", max_bytes);
  const std::string err = ReadTail(folder + "/stderr.log", max_bytes);
  if (!err.empty()) out += (out.empty() ? "" : "\n") + std::string("[stderr]\n") + err;
  return out;
}

json TrialJson(const TrialRecord& t, const StudySnapshot& s, const StudyJsonOptions& options) {
  json params = json::array();
  for (const Parameter& p : s.params) {
    auto it = t.params.find(p.name);
    params.push_back(it == t.params.end() ? json(nullptr) : Num(it->second));
  }
  json values = json::array();
  for (double v : t.values) values.push_back(Num(v));
  json curve = json::array();
  for (const auto& [step, v] : t.intermediate) curve.push_back({step, Num(v)});
  json out = {{"n", t.number},          {"state", ToString(t.state)}, {"p", std::move(params)},
              {"v", std::move(values)}, {"iv", std::move(curve)},     {"tag", t.tag},
              {"attempt", t.attempt},   {"worker", t.worker_id},      {"reason", t.failure_reason}};
  out["start"] = t.datetime_start ? json(*t.datetime_start) : json(nullptr);
  out["end"] = t.datetime_complete ? json(*t.datetime_complete) : json(nullptr);
  out["retry_of"] = t.retry_of ? json(*t.retry_of) : json(nullptr);
  out["log"] = LogTail(t.log_path, options.log_tail_bytes);
  std::string url;
  if (auto run = s.runs.find(t.trial_id); run != s.runs.end()) {
    if (auto uri = s.tracking_uri_by_tag.find(t.tag); uri != s.tracking_uri_by_tag.end()) {
      url = MlflowRunAddress(uri->second, run->second);
    }
  }
  out["url"] = url;
  return out;
}

// Importances per objective and the Pareto front (trial numbers) of `trials`.
json Analysis(const std::vector<const TrialRecord*>& trials, const StudySnapshot& s) {
  json importance = json::array();
  for (size_t k = 0; k < std::max<size_t>(1, s.info.directions.size()); ++k) {
    json list = json::array();
    for (const auto& imp : ParamImportances(trials, s.params, k)) {
      list.push_back({{"name", imp.name}, {"importance", imp.importance}});
    }
    importance.push_back(std::move(list));
  }
  json pareto = json::array();
  if (s.info.directions.size() >= 2) {
    std::vector<TrialRecord> complete;
    for (const TrialRecord* t : trials) {
      if (t->state == TrialState::kComplete) complete.push_back(*t);
    }
    for (const TrialRecord* t : BestTrials(complete, s.info.directions))
      pareto.push_back(t->number);
  }
  return {{"importance", std::move(importance)}, {"pareto", std::move(pareto)}};
}

}  // namespace

std::string UtcTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  if (size <= 0) return "";
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                                   ? size - static_cast<std::streamoff>(max_bytes)
                                   : 0;
  in.seekg(start);
  std::string out(static_cast<size_t>(size - start), '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  if (start > 0) {
    const size_t nl = out.find('\n');
    if (nl != std::string::npos && nl + 1 < out.size()) out.erase(0, nl + 1);
  }
  return out;
}

std::string MlflowRunAddress(const std::string& uri, const TrackingRun& run) {
  std::string base = uri;
  const size_t scheme = base.find("://");
  if (scheme == std::string::npos) return "";
  const std::string protocol = base.substr(0, scheme);
  if (protocol != "http" && protocol != "https") return "";
  const size_t host = scheme + 3;
  const size_t at = base.find('@', host);
  const size_t slash = base.find('/', host);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    base.erase(host, at + 1 - host);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/#/experiments/" + run.experiment_id + "/runs/" + run.run_id;
}

std::string StudyJson(const StudySnapshot& s, const StudyJsonOptions& options) {
  std::vector<const TrialRecord*> trials;
  for (const TrialRecord& t : s.history.trials) {
    if (options.tag.empty() || t.tag == options.tag) trials.push_back(&t);
  }
  json directions = json::array(), metrics = json::array(), params = json::array();
  for (size_t k = 0; k < s.info.directions.size(); ++k) {
    directions.push_back(s.info.directions[k] == Direction::kMinimize ? "minimize" : "maximize");
    metrics.push_back(s.info.ObjectiveName(k));
  }
  for (const Parameter& p : s.params) params.push_back(ParamJson(p));
  json rows = json::array();
  for (const TrialRecord* t : trials) rows.push_back(TrialJson(*t, s, options));

  json tags = json::array();
  json analysis = {{"", Analysis(trials, s)}};
  for (const std::string& tag : s.tags) {
    if (!options.tag.empty() && tag != options.tag) continue;
    tags.push_back(tag);
    if (!options.tag.empty()) continue;  // the whole report is that tag's
    std::vector<const TrialRecord*> of_tag;
    for (const TrialRecord* t : trials) {
      if (t->tag == tag) of_tag.push_back(t);
    }
    analysis[tag] = Analysis(of_tag, s);
  }
  const json doc = {{"version", 1},
                    {"study", s.info.name},
                    {"generated", options.generated_at},
                    {"tag", options.tag},
                    {"tags", std::move(tags)},
                    {"directions", std::move(directions)},
                    {"metrics", std::move(metrics)},
                    {"params", std::move(params)},
                    {"trials", std::move(rows)},
                    {"analysis", std::move(analysis)}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace gdsweep::report
