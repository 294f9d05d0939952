#include "sweeper/metrics.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "sweeper/model/utf8.h"

namespace gdsweep {
namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' ||
         c == '-';
}
bool IsDelimiter(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';';
}

bool EqualsIgnoringCase(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower[i]) return false;
  }
  return true;
}

// Reads `token` (a value up to its delimiter) as a number: decimal or
// scientific, or nan/inf/infinity in any case, into `out`. No allocation:
// this runs on every output line.
MetricProblem ReadNumber(std::string_view token, double& out) {
  if (token.empty()) return MetricProblem::kNoValue;
  std::string_view body = token;
  const bool negative = body[0] == '-';
  if (body[0] == '+' || body[0] == '-') body.remove_prefix(1);
  if (EqualsIgnoringCase(body, "nan")) {
    out = std::nan("");
    return MetricProblem::kNone;
  }
  if (EqualsIgnoringCase(body, "inf") || EqualsIgnoringCase(body, "infinity")) {
    out = negative ? -INFINITY : INFINITY;
    return MetricProblem::kNone;
  }
  const char* begin = token.data() + (token[0] == '+' ? 1 : 0);
  const char* end = token.data() + token.size();
  auto r = std::from_chars(begin, end, out, std::chars_format::general);
  if (r.ptr != end || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range)) {
    return MetricProblem::kNotANumber;
  }
  if (r.ec == std::errc::result_out_of_range) {
    // Too small a magnitude reads as zero, as Python's float() does; too
    // large has no double.
    const size_t e = token.find_first_of("eE");
    if (e == std::string_view::npos || e + 1 >= token.size() || token[e + 1] != '-') {
      return MetricProblem::kTooLarge;
    }
    out = negative ? -0.0 : 0.0;
  }
  return MetricProblem::kNone;
}

}  // namespace

std::vector<MetricSample> ParseMetricLine(std::string_view line) {
  std::vector<MetricSample> found;
  size_t i = 0;
  while (i < line.size()) {
    if (!IsNameStart(line[i]) || (i > 0 && IsNameChar(line[i - 1]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < line.size() && IsNameChar(line[end])) ++end;
    size_t j = end;
    while (j < line.size() && line[j] == ' ') ++j;
    if (j >= line.size() || line[j] != '=') {
      i = end;
      continue;
    }
    ++j;
    while (j < line.size() && line[j] == ' ') ++j;
    size_t n = 0;
    while (j + n < line.size() && !IsDelimiter(line[j + n])) ++n;
    MetricSample sample{std::string(line.substr(i, end - i)), 0, line.substr(j, n),
                        MetricProblem::kNone};
    sample.problem = ReadNumber(sample.text, sample.value);
    // An unreadable value may hold a pair of its own ("x=loss=0.5").
    i = sample.problem == MetricProblem::kNone ? j + n : j;
    found.push_back(std::move(sample));
  }
  return found;
}

std::string DescribeProblem(const MetricSample& sample) {
  const std::string quoted = "'" + PrintableExcerpt(sample.text, 40) + "'";
  switch (sample.problem) {
    case MetricProblem::kNone:
      return "";
    case MetricProblem::kNoValue:
      return "it has no value";
    case MetricProblem::kNotANumber:
      return quoted + " is not a number";
    case MetricProblem::kTooLarge:
      return quoted + " is too large for a double";
  }
  return "";
}

MetricCollector::MetricCollector(const std::vector<Objective>& objectives,
                                 const std::vector<std::string>& constraints)
    : objectives_(objectives),
      constraints_(constraints),
      constraint_last_(constraints.size()),
      last_(objectives.size()),
      last_problem_(objectives.size()) {}

void MetricCollector::AddLine(std::string_view line) {
  AddLine(
      line,
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void MetricCollector::AddLine(std::string_view line, double read_at) {
  ++lines_;
  if (line.find('=') == std::string_view::npos) return;
  auto samples = ParseMetricLine(line);
  std::optional<int64_t> step;
  for (const auto& s : samples) {
    if ((s.name == "step" || s.name == "epoch") && s.problem == MetricProblem::kNone &&
        std::isfinite(s.value)) {
      step = static_cast<int64_t>(std::llround(s.value));
    }
  }
  for (const auto& s : samples) {
    if (s.name != "step" && s.name != "epoch") Saw(s.name);
    for (size_t k = 0; k < constraints_.size(); ++k) {
      if (s.name != constraints_[k]) continue;
      constraint_last_[k].reset();
      if (s.problem == MetricProblem::kNone) constraint_last_[k] = s.value;
    }
    for (size_t k = 0; k < objectives_.size(); ++k) {
      if (s.name != objectives_[k].metric) continue;
      if (s.problem != MetricProblem::kNone) {
        // The last report counts, and this one cannot be read: unless a
        // later one can, the trial fails saying why.
        last_[k].reset();
        last_problem_[k] = "reported '" + s.name + "' on stdout line " + std::to_string(lines_) +
                           " as something that is not a number (" + DescribeProblem(s) + "): \"" +
                           PrintableExcerpt(line, 200) + "\"";
        continue;
      }
      last_[k] = s.value;
      last_problem_[k].clear();
      if (k == 0) {
        // Without an explicit step, a report comes right after the previous one.
        const int64_t at = step.value_or(last_step_ + 1);
        last_step_ = at;
        if (!steps_.insert(at).second) {
          if (!repeat_seen_) first_repeat_ = at;
          repeat_seen_ = true;
          continue;
        }
        pending_[at] = s.value;
        pending_times_[at] = read_at;
      }
    }
  }
}

Status MetricCollector::AddResultJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::Invalid("the result file is not a JSON object");
  }
  for (const auto& [key, value] : j.items()) Saw(key);
  for (size_t k = 0; k < constraints_.size(); ++k) {
    auto it = j.find(constraints_[k]);
    if (it == j.end()) continue;
    constraint_last_[k].reset();
    double v = 0;
    if (it->is_number()) {
      constraint_last_[k] = it->get<double>();
    } else if (it->is_string() && ReadNumber(it->get<std::string>(), v) == MetricProblem::kNone) {
      constraint_last_[k] = v;
    }
  }
  for (size_t k = 0; k < objectives_.size(); ++k) {
    auto it = j.find(objectives_[k].metric);
    if (it == j.end()) continue;
    last_problem_[k].clear();
    if (it->is_number()) {
      last_[k] = it->get<double>();
    } else if (it->is_string()) {
      double v = 0;
      std::string s = it->get<std::string>();
      if (ReadNumber(s, v) != MetricProblem::kNone) {
        return Error::Invalid("result file: '" + objectives_[k].metric + "' is not a number");
      }
      last_[k] = v;
    } else {
      return Error::Invalid("result file: '" + objectives_[k].metric + "' is not a number");
    }
  }
  return {};
}

void MetricCollector::Saw(std::string_view name) {
  constexpr size_t kMaxNames = 10;
  if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) return;
  if (seen_.size() == kMaxNames) {
    seen_more_ = true;
    return;
  }
  seen_.emplace_back(name);
}

std::string MetricCollector::WhatItPrinted() const {
  if (seen_.empty()) return " (it printed no name=value metrics)";
  std::string out = " (it printed: ";
  for (size_t i = 0; i < seen_.size(); ++i) {
    if (i > 0) out += ", ";
    out += PrintableExcerpt(seen_[i], 60);
  }
  return out + (seen_more_ ? ", ...)" : ")");
}

std::map<int64_t, double> MetricCollector::TakePending() { return std::exchange(pending_, {}); }

std::map<int64_t, double> MetricCollector::TakePendingTimes() {
  return std::exchange(pending_times_, {});
}

Result<std::vector<double>> MetricCollector::FinalValues() const {
  std::vector<double> values;
  for (size_t k = 0; k < objectives_.size(); ++k) {
    if (!last_problem_[k].empty()) return Error::Invalid(last_problem_[k]);
    if (!last_[k]) {
      return Error::Invalid("did not report '" + objectives_[k].metric + "'" + WhatItPrinted());
    }
    if (std::isnan(*last_[k])) {
      return Error::Invalid("reported NaN for '" + objectives_[k].metric + "'");
    }
    values.push_back(*last_[k]);
  }
  return values;
}

std::optional<std::vector<double>> MetricCollector::ConstraintValues() const {
  if (constraints_.empty()) return std::nullopt;
  std::vector<double> out;
  for (const auto& v : constraint_last_) {
    if (!v || std::isnan(*v)) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::vector<std::string> MetricCollector::MissingConstraints() const {
  std::vector<std::string> out;
  for (size_t k = 0; k < constraints_.size(); ++k) {
    if (!constraint_last_[k] || std::isnan(*constraint_last_[k])) out.push_back(constraints_[k]);
  }
  return out;
}

}  // namespace gdsweep
