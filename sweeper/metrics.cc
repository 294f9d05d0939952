#include "sweeper/metrics.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace gdsweep {
namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' ||
         c == '-';
}

// Parses a number at the start of `s` ending at a delimiter; returns the
// number of characters used, 0 if there is no such number.
size_t ParseNumber(std::string_view s, double& out) {
  size_t n = 0;
  while (n < s.size() && !std::isspace(static_cast<unsigned char>(s[n])) && s[n] != ',' &&
         s[n] != ';') {
    ++n;
  }
  std::string token(s.substr(0, n));
  if (token.empty()) return 0;
  std::string lower;
  for (char c : token) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view body = lower;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "nan") {
    out = std::nan("");
    return n;
  }
  if (body == "inf" || body == "infinity") {
    out = neg ? -INFINITY : INFINITY;
    return n;
  }
  const char* begin = token.data();
  if (*begin == '+') ++begin;
  auto r = std::from_chars(begin, token.data() + token.size(), out);
  if (r.ec != std::errc() || r.ptr != token.data() + token.size()) return 0;
  return n;
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
    double value = 0;
    size_t used = ParseNumber(line.substr(j), value);
    if (used > 0) {
      found.push_back({std::string(line.substr(i, end - i)), value});
      i = j + used;
    } else {
      i = j;
    }
  }
  return found;
}

MetricCollector::MetricCollector(const std::vector<Objective>& objectives)
    : objectives_(objectives), last_(objectives.size()) {}

void MetricCollector::AddLine(std::string_view line) {
  if (line.find('=') == std::string_view::npos) return;
  auto samples = ParseMetricLine(line);
  std::optional<int64_t> step;
  for (const auto& s : samples) {
    if ((s.name == "step" || s.name == "epoch") && std::isfinite(s.value)) {
      step = static_cast<int64_t>(std::llround(s.value));
    }
  }
  for (const auto& s : samples) {
    for (size_t k = 0; k < objectives_.size(); ++k) {
      if (s.name != objectives_[k].metric) continue;
      last_[k] = s.value;
      if (k == 0) {
        // Without an explicit step, a report comes right after the previous one.
        const int64_t at = step.value_or(last_step_ + 1);
        pending_[at] = s.value;
        last_step_ = at;
      }
    }
  }
}

Status MetricCollector::AddResultJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::Invalid("the result file is not a JSON object");
  }
  for (size_t k = 0; k < objectives_.size(); ++k) {
    auto it = j.find(objectives_[k].metric);
    if (it == j.end()) continue;
    if (it->is_number()) {
      last_[k] = it->get<double>();
    } else if (it->is_string()) {
      double v = 0;
      std::string s = it->get<std::string>();
      if (ParseNumber(s, v) != s.size()) {
        return Error::Invalid("result file: '" + objectives_[k].metric + "' is not a number");
      }
      last_[k] = v;
    } else {
      return Error::Invalid("result file: '" + objectives_[k].metric + "' is not a number");
    }
  }
  return {};
}

std::map<int64_t, double> MetricCollector::TakePending() { return std::exchange(pending_, {}); }

Result<std::vector<double>> MetricCollector::FinalValues() const {
  std::vector<double> values;
  for (size_t k = 0; k < objectives_.size(); ++k) {
    if (!last_[k]) return Error::Invalid("did not report '" + objectives_[k].metric + "'");
    if (std::isnan(*last_[k])) {
      return Error::Invalid("reported NaN for '" + objectives_[k].metric + "'");
    }
    values.push_back(*last_[k]);
  }
  return values;
}

}  // namespace gdsweep
