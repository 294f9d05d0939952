#include "sweeper/model/distribution.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

namespace gdsweep {
namespace {

using nlohmann::json;

// Optuna's tolerance for "on the step grid".
constexpr double kGridTolerance = 1e-8;

int64_t FloatGridSize(const FloatDistribution& f) {
  return static_cast<int64_t>(std::floor((f.high - f.low) / *f.step + kGridTolerance)) + 1;
}

json ChoiceToJson(const Choice& c) {
  struct V {
    json operator()(std::monostate) const { return nullptr; }
    json operator()(bool b) const { return b; }
    json operator()(int64_t i) const { return i; }
    json operator()(double d) const { return d; }
    json operator()(const std::string& s) const { return s; }
  };
  return std::visit(V{}, c);
}

Result<Choice> ChoiceFromJson(const json& j) {
  if (j.is_null()) return Choice{};
  if (j.is_boolean()) return Choice{j.get<bool>()};
  if (j.is_number_integer()) return Choice{j.get<int64_t>()};
  if (j.is_number_float()) return Choice{j.get<double>()};
  if (j.is_string()) return Choice{j.get<std::string>()};
  return Error::Invalid("a categorical choice must be null, a boolean, a number or a string");
}

}  // namespace

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // The shortest digits that read back to v, laid out as Python's repr does:
  // positional for exponents -4..15, scientific otherwise.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string mantissa = sci.substr(0, e);
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string out;
  if (exp < -4 || exp >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    std::string ed = std::to_string(std::abs(exp));
    out += (ed.size() < 2 ? "0" : "") + ed;
  } else if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else {
    auto int_len = static_cast<size_t>(exp) + 1;
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return negative ? "-" + out : out;
}

std::string ChoiceToString(const Choice& c) {
  struct V {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return FormatDouble(d); }
    std::string operator()(const std::string& s) const { return s; }
  };
  return std::visit(V{}, c);
}

bool operator==(const Choice& a, const Choice& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return true;
        } else {
          return x == std::get<T>(b);
        }
      },
      a);
}

bool operator==(const CategoricalDistribution& a, const CategoricalDistribution& b) {
  if (a.choices.size() != b.choices.size()) return false;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    if (!(a.choices[i] == b.choices[i])) return false;
  }
  return true;
}

Status Validate(const Distribution& d) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    if (!std::isfinite(f->low) || !std::isfinite(f->high)) {
      return Error::Invalid("low and high must be finite numbers");
    }
    if (!(f->low < f->high)) {
      return Error::Invalid("low (" + FormatDouble(f->low) + ") must be less than high (" +
                            FormatDouble(f->high) + ")");
    }
    if (f->log && f->low <= 0) return Error::Invalid("log scale needs low > 0");
    if (f->step) {
      if (f->log) return Error::Invalid("step cannot be combined with log");
      if (!(*f->step > 0) || !std::isfinite(*f->step)) {
        return Error::Invalid("step must be a positive number");
      }
      if (*f->step > f->high - f->low) {
        return Error::Invalid("step (" + FormatDouble(*f->step) + ") is larger than high - low");
      }
      double k = (f->high - f->low) / *f->step;
      if (std::abs(k - std::round(k)) > kGridTolerance * std::max(1.0, k)) {
        return Error::Invalid("high - low must be a multiple of step (" + FormatDouble(*f->step) +
                              ")");
      }
    }
    return {};
  }
  if (auto* i = std::get_if<IntDistribution>(&d)) {
    if (!(i->low < i->high)) {
      return Error::Invalid("low (" + std::to_string(i->low) + ") must be less than high (" +
                            std::to_string(i->high) + ")");
    }
    if (i->log && i->low <= 0) return Error::Invalid("log scale needs low > 0");
    if (i->step <= 0) return Error::Invalid("step must be a positive integer");
    if (i->log && i->step != 1) return Error::Invalid("step cannot be combined with log");
    if (i->step > i->high - i->low) {
      return Error::Invalid("step (" + std::to_string(i->step) + ") is larger than high - low");
    }
    if ((i->high - i->low) % i->step != 0) {
      return Error::Invalid("high - low must be a multiple of step (" + std::to_string(i->step) +
                            ")");
    }
    return {};
  }
  const auto& c = std::get<CategoricalDistribution>(d);
  if (c.choices.empty()) return Error::Invalid("choices must not be empty");
  for (size_t a = 0; a < c.choices.size(); ++a) {
    for (size_t b = a + 1; b < c.choices.size(); ++b) {
      if (c.choices[a] == c.choices[b]) {
        return Error::Invalid("choice '" + ChoiceToString(c.choices[a]) + "' appears twice");
      }
    }
  }
  return {};
}

bool Contains(const Distribution& d, double v) {
  if (std::isnan(v)) return false;
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    if (v < f->low || v > f->high) return false;
    if (!f->step) return true;
    double k = (v - f->low) / *f->step;
    return std::abs(k - std::round(k)) < kGridTolerance * std::max(1.0, std::abs(k));
  }
  if (auto* i = std::get_if<IntDistribution>(&d)) {
    if (v != std::round(v) || v < static_cast<double>(i->low) || v > static_cast<double>(i->high)) {
      return false;
    }
    return (static_cast<int64_t>(v) - i->low) % i->step == 0;
  }
  const auto& c = std::get<CategoricalDistribution>(d);
  return v == std::round(v) && v >= 0 && v < static_cast<double>(c.choices.size());
}

bool IsSingle(const Distribution& d) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    return f->low == f->high || (f->step && f->low + *f->step > f->high);
  }
  if (auto* i = std::get_if<IntDistribution>(&d)) {
    return i->low == i->high || i->low + i->step > i->high;
  }
  return std::get<CategoricalDistribution>(d).choices.size() == 1;
}

std::optional<int64_t> GridSize(const Distribution& d) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    if (f->low == f->high) return 1;  // a constant (a fixed parameter)
    if (!f->step) return std::nullopt;
    return FloatGridSize(*f);
  }
  if (auto* i = std::get_if<IntDistribution>(&d)) return (i->high - i->low) / i->step + 1;
  return static_cast<int64_t>(std::get<CategoricalDistribution>(d).choices.size());
}

double GridValue(const Distribution& d, int64_t k) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    return std::min(f->high, f->low + static_cast<double>(k) * f->step.value_or(0));
  }
  if (auto* i = std::get_if<IntDistribution>(&d)) {
    return static_cast<double>(i->low + k * i->step);
  }
  return static_cast<double>(k);
}

double Snap(const Distribution& d, double v) {
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    if (f->step) v = f->low + std::round((v - f->low) / *f->step) * *f->step;
    return std::clamp(v, f->low, f->high);
  }
  if (auto* i = std::get_if<IntDistribution>(&d)) {
    double k = std::round((v - static_cast<double>(i->low)) / static_cast<double>(i->step));
    v = static_cast<double>(i->low) + k * static_cast<double>(i->step);
    return std::clamp(v, static_cast<double>(i->low), static_cast<double>(i->high));
  }
  const auto& c = std::get<CategoricalDistribution>(d);
  return std::clamp(std::round(v), 0.0, static_cast<double>(c.choices.size()) - 1);
}

std::string FormatValue(const Distribution& d, double v) {
  if (std::holds_alternative<FloatDistribution>(d)) return FormatDouble(v);
  if (std::holds_alternative<IntDistribution>(d)) {
    return std::to_string(static_cast<int64_t>(std::llround(v)));
  }
  const auto& c = std::get<CategoricalDistribution>(d);
  auto idx = static_cast<size_t>(std::llround(v));
  return idx < c.choices.size() ? ChoiceToString(c.choices[idx]) : std::string("?");
}

std::string ToOptunaJson(const Distribution& d) {
  json j;
  if (auto* f = std::get_if<FloatDistribution>(&d)) {
    j["name"] = "FloatDistribution";
    j["attributes"] = {{"step", f->step ? json(*f->step) : json(nullptr)},
                       {"low", f->low},
                       {"high", f->high},
                       {"log", f->log}};
  } else if (auto* i = std::get_if<IntDistribution>(&d)) {
    j["name"] = "IntDistribution";
    j["attributes"] = {{"log", i->log}, {"step", i->step}, {"low", i->low}, {"high", i->high}};
  } else {
    json choices = json::array();
    for (const auto& c : std::get<CategoricalDistribution>(d).choices) {
      choices.push_back(ChoiceToJson(c));
    }
    j["name"] = "CategoricalDistribution";
    j["attributes"] = {{"choices", choices}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Distribution> FromOptunaJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j.contains("attributes")) {
    return Error::Invalid("not an Optuna distribution: " + text);
  }
  try {
    const std::string name = j["name"].get<std::string>();
    const json& a = j["attributes"];
    auto num = [&](const char* k) { return a.at(k).get<double>(); };
    auto integer = [&](const char* k) { return a.at(k).get<int64_t>(); };
    if (name == "FloatDistribution") {
      FloatDistribution f{num("low"), num("high"), a.value("log", false), std::nullopt};
      if (a.contains("step") && !a["step"].is_null()) f.step = num("step");
      return Distribution{f};
    }
    if (name == "IntDistribution") {
      return Distribution{IntDistribution{integer("low"), integer("high"), a.value("log", false),
                                          a.contains("step") ? integer("step") : 1}};
    }
    if (name == "CategoricalDistribution") {
      CategoricalDistribution c;
      for (const auto& x : a.at("choices")) {
        auto choice = ChoiceFromJson(x);
        if (!choice) return choice.error();
        c.choices.push_back(*choice);
      }
      return Distribution{c};
    }
    // The names Optuna 2.x wrote, which Optuna 3 still reads.
    if (name == "UniformDistribution") {
      return Distribution{FloatDistribution{num("low"), num("high"), false, std::nullopt}};
    }
    if (name == "LogUniformDistribution") {
      return Distribution{FloatDistribution{num("low"), num("high"), true, std::nullopt}};
    }
    if (name == "DiscreteUniformDistribution") {
      return Distribution{FloatDistribution{num("low"), num("high"), false, num("q")}};
    }
    if (name == "IntUniformDistribution") {
      return Distribution{IntDistribution{integer("low"), integer("high"), false,
                                          a.contains("step") ? integer("step") : 1}};
    }
    if (name == "IntLogUniformDistribution") {
      return Distribution{IntDistribution{integer("low"), integer("high"), true, 1}};
    }
    return Error::Invalid("unknown Optuna distribution '" + name + "'");
  } catch (const json::exception& e) {
    return Error::Invalid(std::string("malformed Optuna distribution: ") + e.what());
  }
}

}  // namespace gdsweep
