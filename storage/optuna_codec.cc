#include "storage/optuna_codec.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace gdsweep::storage {
namespace {

using nlohmann::json;

Result<json> ParseJson(const std::string& text, const char* what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Io(std::string("stored ") + what + " is not JSON: " + text);
  return j;
}

// The external value of a parameter, as Optuna hands it to the user.
json ExternalValue(const Distribution& d, double internal) {
  if (std::holds_alternative<FloatDistribution>(d)) return internal;
  if (std::holds_alternative<IntDistribution>(d)) return std::llround(internal);
  const auto& choices = std::get<CategoricalDistribution>(d).choices;
  auto i = static_cast<size_t>(std::llround(internal));
  if (i >= choices.size()) return nullptr;
  struct V {
    json operator()(std::monostate) const { return nullptr; }
    json operator()(bool b) const { return b; }
    json operator()(int64_t v) const { return v; }
    json operator()(double v) const { return v; }
    json operator()(const std::string& s) const { return s; }
  };
  return std::visit(V{}, choices[i]);
}

}  // namespace

std::string FormatDatetime(double seconds) {
  double whole = std::floor(seconds);
  auto micros = static_cast<long>(std::llround((seconds - whole) * 1e6));
  if (micros >= 1000000) {
    whole += 1;
    micros -= 1000000;
  }
  const auto t = static_cast<time_t>(whole);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  return buf;
}

std::optional<double> ParseDatetime(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d%*1[ T]%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  double fraction = 0;
  if (static_cast<size_t>(consumed) < text.size() && text[static_cast<size_t>(consumed)] == '.') {
    double scale = 0.1;
    for (size_t i = static_cast<size_t>(consumed) + 1;
         i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, scale /= 10) {
      fraction += (text[i] - '0') * scale;
    }
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  const time_t t = std::mktime(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<double>(t) + fraction;
}

std::pair<std::optional<double>, const char*> EncodeValue(double v) {
  if (std::isinf(v)) return {std::nullopt, v > 0 ? "INF_POS" : "INF_NEG"};
  return {v, "FINITE"};
}

std::pair<std::optional<double>, const char*> EncodeIntermediate(double v) {
  if (std::isnan(v)) return {std::nullopt, "NAN"};
  return EncodeValue(v);
}

std::optional<double> DecodeValue(const std::optional<double>& value, const std::string& type) {
  if (type == "FINITE") return value.value_or(std::nan(""));
  if (type == "INF_POS") return HUGE_VAL;
  if (type == "INF_NEG") return -HUGE_VAL;
  if (type == "NAN") return std::nan("");
  return std::nullopt;
}

std::optional<Direction> DirectionFromString(const std::string& s) {
  if (s == "MINIMIZE") return Direction::kMinimize;
  if (s == "MAXIMIZE") return Direction::kMaximize;
  return std::nullopt;
}

std::string SpaceToJson(const SearchSpace& space) {
  json j = json::array();
  for (const auto& p : space) {
    json entry = {{"name", p.name}, {"distribution", json::parse(ToOptunaJson(p.distribution))}};
    if (!p.when.empty()) {
      json when = json::array();
      for (const auto& c : p.when) when.push_back({{"parent", c.parent}, {"values", c.values}});
      entry["when"] = std::move(when);
    }
    if (p.fixed) entry["fixed"] = true;
    j.push_back(std::move(entry));
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SearchSpace> SpaceFromJson(const std::string& text) {
  auto j = ParseJson(text, "search space");
  if (!j) return j.error();
  SearchSpace space;
  try {
    for (const auto& entry : *j) {
      auto d = FromOptunaJson(entry.at("distribution").dump());
      if (!d) return Error::Io("stored search space: " + d.error().message);
      Parameter p{entry.at("name").get<std::string>(), *d, {}, false};
      if (auto w = entry.find("when"); w != entry.end()) {
        for (const auto& c : *w) {
          p.when.push_back(
              {c.at("parent").get<std::string>(), c.at("values").get<std::vector<double>>()});
        }
      }
      if (auto f = entry.find("fixed"); f != entry.end()) p.fixed = f->get<bool>();
      space.push_back(std::move(p));
    }
  } catch (const json::exception& e) {
    return Error::Io(std::string("stored search space is malformed: ") + e.what());
  }
  return space;
}

std::string ObjectivesToJson(const std::vector<Objective>& objectives) {
  json j = json::array();
  for (const auto& o : objectives) {
    j.push_back({{"metric", o.metric}, {"direction", ToString(o.direction)}});
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<Objective>> ObjectivesFromJson(const std::string& text) {
  auto j = ParseJson(text, "objectives");
  if (!j) return j.error();
  std::vector<Objective> out;
  try {
    for (const auto& entry : *j) {
      auto dir = DirectionFromString(entry.at("direction").get<std::string>());
      if (!dir) return Error::Io("stored objectives have an unknown direction: " + text);
      out.push_back({entry.at("metric").get<std::string>(), *dir});
    }
  } catch (const json::exception& e) {
    return Error::Io(std::string("stored objectives are malformed: ") + e.what());
  }
  return out;
}

std::string StringListJson(const std::vector<std::string>& items) {
  return json(items).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::vector<std::string>> StringListFromJson(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : j) {
    // Optuna writes None for an objective it was given no name for.
    out.push_back(item.is_string() ? item.get<std::string>() : "");
  }
  return out;
}

std::string StringJson(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string PythonFloatJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return FormatDouble(v);  // Python's repr, which json.dumps uses for a float
}

std::string ConstraintsToJson(const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + PythonFloatJson(values[i]);
  return out + "]";
}

std::optional<std::vector<double>> ConstraintsFromJson(const std::string& text) {
  const size_t open = text.find('['), close = text.rfind(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  std::vector<double> out;
  std::string inner = text.substr(open + 1, close - open - 1);
  if (inner.find_first_not_of(" \t\n") == std::string::npos) return out;
  size_t start = 0;
  while (start <= inner.size()) {
    size_t comma = inner.find(',', start);
    std::string item =
        inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t b = item.find_first_not_of(" \t\n"), e = item.find_last_not_of(" \t\n");
    if (b == std::string::npos) return std::nullopt;
    auto v = ParsePythonFloatJson(item.substr(b, e - b + 1));
    if (!v) return std::nullopt;
    out.push_back(*v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<double> ParsePythonFloatJson(const std::string& text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity") return HUGE_VAL;
  if (text == "-Infinity") return -HUGE_VAL;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_number()) return std::nullopt;
  return j.get<double>();
}

std::string FixedParamsJson(const std::vector<StoredParam>& params) {
  json j = json::object();
  for (const auto& p : params) {
    auto d = FromOptunaJson(p.distribution_json);
    j[p.name] = d ? ExternalValue(*d, p.internal) : json(p.internal);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string AppendToIntList(const std::optional<std::string>& list_json, int64_t number) {
  json j = json::array();
  if (list_json) {
    json old = json::parse(*list_json, nullptr, false);
    if (old.is_array()) j = old;
  }
  j.push_back(number);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string DescribeDistribution(const Distribution& d) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    return "FloatDistribution(low=" + FormatDouble(f->low) + ", high=" + FormatDouble(f->high) +
           ", log=" + (f->log ? "true" : "false") +
           ", step=" + (f->step ? FormatDouble(*f->step) : "None") + ")";
  }
  if (auto* i = std::get_if<IntDistribution>(&d)) {
    return "IntDistribution(low=" + std::to_string(i->low) + ", high=" + std::to_string(i->high) +
           ", log=" + (i->log ? "true" : "false") + ", step=" + std::to_string(i->step) + ")";
  }
  std::string s = "CategoricalDistribution(choices=[";
  const auto& choices = std::get<CategoricalDistribution>(d).choices;
  for (size_t k = 0; k < choices.size(); ++k) {
    s += (k ? ", " : "") + ChoiceToString(choices[k]);
  }
  return s + "])";
}

}  // namespace gdsweep::storage
