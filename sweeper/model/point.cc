#include "sweeper/model/point.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace gdsweep {
namespace {

using nlohmann::json;

std::optional<double> AsNumber(const Choice& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

std::string Quoted(const Choice& v) {
  if (std::holds_alternative<std::string>(v)) return "'" + std::get<std::string>(v) + "'";
  return ChoiceToString(v);
}

std::string DescribeChoices(const CategoricalDistribution& c) {
  std::string s = "[";
  for (size_t i = 0; i < c.choices.size(); ++i) s += (i ? ", " : "") + ChoiceToString(c.choices[i]);
  return s + "]";
}

}  // namespace

Result<double> ToInternal(const Distribution& d, const Choice& value) {
  if (auto* c = std::get_if<CategoricalDistribution>(&d)) {
    const auto number = AsNumber(value);
    for (size_t i = 0; i < c->choices.size(); ++i) {
      const Choice& choice = c->choices[i];
      if (choice == value) return static_cast<double>(i);
      const auto other = AsNumber(choice);
      if (number && other && *number == *other) return static_cast<double>(i);
    }
    return Error::Invalid(Quoted(value) + " is not one of the choices " + DescribeChoices(*c));
  }
  const auto number = AsNumber(value);
  if (!number || !std::isfinite(*number)) {
    return Error::Invalid("expected a number, got " + Quoted(value));
  }
  if (!Contains(d, *number)) {
    const bool is_int = std::holds_alternative<IntDistribution>(d);
    std::string range;
    if (auto* i = std::get_if<IntDistribution>(&d)) {
      range = "[" + std::to_string(i->low) + ", " + std::to_string(i->high) + "]" +
              (i->step != 1 ? " on steps of " + std::to_string(i->step) : "");
    } else {
      const auto& f = std::get<FloatDistribution>(d);
      range = "[" + FormatDouble(f.low) + ", " + FormatDouble(f.high) + "]" +
              (f.step ? " on steps of " + FormatDouble(*f.step) : "");
    }
    return Error::Invalid(
        ChoiceToString(value) + " is outside " + range +
        (is_int && *number != std::round(*number) ? " (not a whole number)" : ""));
  }
  return *number;
}

Result<Params> PointToParams(const SearchSpace& space, const Point& point) {
  Params params;
  for (const auto& [name, value] : point) {
    const Parameter* p = FindParameter(space, name);
    if (!p) {
      std::string names;
      for (const auto& q : space) names += (names.empty() ? "" : ", ") + q.name;
      return Error::Invalid(name + ": not a parameter of the search space (it has " + names + ")");
    }
    auto internal = ToInternal(p->distribution, value);
    if (!internal) return internal.error().Wrap(name);
    params[name] = *internal;
  }
  return params;
}

std::string PointToJson(const Point& point) {
  json j = json::object();
  for (const auto& [name, value] : point) {
    struct V {
      json operator()(std::monostate) const { return nullptr; }
      json operator()(bool b) const { return b; }
      json operator()(int64_t i) const { return i; }
      json operator()(double d) const { return d; }
      json operator()(const std::string& s) const { return s; }
    };
    j[name] = std::visit(V{}, value);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Point> PointFromJson(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::Invalid("not JSON: " + text);
  if (!j.is_object()) {
    return Error::Invalid("expected a JSON object of parameter values, got " + text);
  }
  Point point;
  for (const auto& [key, v] : j.items()) {
    if (v.is_null()) {
      point[key] = Choice{};
    } else if (v.is_boolean()) {
      point[key] = v.get<bool>();
    } else if (v.is_number_integer()) {
      point[key] = v.get<int64_t>();
    } else if (v.is_number()) {
      point[key] = v.get<double>();
    } else if (v.is_string()) {
      point[key] = v.get<std::string>();
    } else {
      return Error::Invalid(key + ": expected a number, a string, a boolean or null, got " +
                            v.dump());
    }
  }
  return point;
}

Choice CellToValue(const Distribution& d, const std::string& cell) {
  if (auto* c = std::get_if<CategoricalDistribution>(&d)) {
    for (const auto& choice : c->choices) {
      if (ChoiceToString(choice) == cell) return choice;
    }
    return cell;
  }
  int64_t i = 0;
  const char* end = cell.data() + cell.size();
  if (auto r = std::from_chars(cell.data(), end, i); r.ec == std::errc() && r.ptr == end) {
    return i;
  }
  double x = 0;
  if (auto r = std::from_chars(cell.data(), end, x); r.ec == std::errc() && r.ptr == end) {
    return x;
  }
  return cell;
}

bool SameValue(const Distribution& d, double a, double b) {
  if (std::holds_alternative<CategoricalDistribution>(d)) return a == b;
  return std::abs(a - b) <= 1e-5 * std::abs(b);
}

}  // namespace gdsweep
