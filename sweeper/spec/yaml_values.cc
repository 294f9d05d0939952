#include "sweeper/spec/yaml_values.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <regex>

#include "sweeper/spec/suggest.h"

namespace gdsweep {
namespace {

bool IsNullWord(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> BoolWord(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// YAML 1.2 core schema integers: 12, -3, +4, 0o17, 0x1F.
bool IsIntWord(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  return std::regex_match(s, kInt);
}

bool IsFloatWord(const std::string& s) {
  static const std::regex kFloat(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|"
      "\\.(nan|NaN|NAN)");
  return std::regex_match(s, kFloat);
}

// Parses an IsIntWord; nullopt when it does not fit in int64.
std::optional<int64_t> ParseInt(const std::string& s) {
  int base = 10;
  size_t start = 0;
  if (s.rfind("0x", 0) == 0) {
    base = 16;
    start = 2;
  } else if (s.rfind("0o", 0) == 0) {
    base = 8;
    start = 2;
  } else if (s[0] == '+') {
    start = 1;
  }
  int64_t v = 0;
  auto r = std::from_chars(s.data() + start, s.data() + s.size(), v, base);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

double ParseFloat(const std::string& s) {
  const bool negative = s[0] == '-';
  const std::string body = (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  if (body[0] == '.' && body.size() > 1 && std::isalpha(static_cast<unsigned char>(body[1]))) {
    if (body == ".nan" || body == ".NaN" || body == ".NAN") {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  double v = 0;
  // from_chars wants a digit before the point; "1." and ".5" both read fine
  // once padded.
  std::string padded = body[0] == '.' ? "0" + body : body;
  auto r = std::from_chars(padded.data(), padded.data() + padded.size(), v);
  if (r.ec == std::errc::result_out_of_range) v = std::numeric_limits<double>::infinity();
  return negative ? -v : v;
}

std::string Shorten(const std::string& s) {
  constexpr size_t kMax = 40;
  return s.size() <= kMax ? s : s.substr(0, kMax) + "...";
}

// "1h30m", "90s", "2.5h": the seconds, or nullopt if not of that form.
std::optional<double> ParseDurationText(const std::string& s) {
  static const std::regex kDuration(
      "(?:([0-9]+(?:\\.[0-9]*)?)h)?(?:([0-9]+(?:\\.[0-9]*)?)m)?(?:([0-9]+(?:\\.[0-9]*)?)s?)?");
  std::smatch m;
  if (s.empty() || !std::regex_match(s, m, kDuration)) return std::nullopt;
  // A bare number is seconds, but "10" after "1h" (as in "1h10") is ambiguous.
  if (m[3].matched && s.back() != 's' && (m[1].matched || m[2].matched)) return std::nullopt;
  double total = 0;
  const double unit[] = {3600, 60, 1};
  for (int i = 0; i < 3; ++i) {
    if (m[i + 1].matched) total += ParseFloat(m[i + 1].str()) * unit[i];
  }
  return total;
}

}  // namespace

Error ErrorAt(const YamlLocation& location, const std::string& path, const std::string& what) {
  return Error::Invalid(ToString(location) + ": " + (path.empty() ? "" : path + ": ") + what);
}

std::string JoinPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string IndexPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string Describe(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "null";
    case YamlNode::Kind::kSequence:
      return "a list";
    case YamlNode::Kind::kMapping:
      return "a mapping";
    case YamlNode::Kind::kScalar:
      break;
  }
  if (node.quoted) return "the string \"" + Shorten(node.scalar) + "\"";
  return "'" + Shorten(node.scalar) + "'";
}

Result<Choice> ReadScalarValue(const YamlNode& node, const std::string& path) {
  if (node.IsNull()) return Choice{};
  if (!node.IsScalar()) {
    return ErrorAt(node.location, path,
                   "expected null, a boolean, a number or a string, got " + Describe(node));
  }
  const std::string& s = node.scalar;
  if (node.quoted) return Choice{s};
  if (IsNullWord(s)) return Choice{};
  if (auto b = BoolWord(s)) return Choice{*b};
  if (IsIntWord(s)) {
    auto v = ParseInt(s);
    if (!v) return ErrorAt(node.location, path, "integer " + Describe(node) + " is out of range");
    return Choice{*v};
  }
  if (IsFloatWord(s)) return Choice{ParseFloat(s)};
  return Choice{s};
}

Result<std::string> ReadString(const YamlNode& node, const std::string& path) {
  if (node.IsScalar()) return node.scalar;
  std::string message = "expected a string, got " + Describe(node);
  // An unquoted placeholder: YAML reads {x} as the mapping {x: null}.
  if (node.IsMapping() && node.entries.size() == 1 && node.entries[0].value.IsNull()) {
    message += "; write the placeholder in quotes: \"{" + Shorten(node.entries[0].key) + "}\"";
  }
  return ErrorAt(node.location, path, message);
}

Result<double> ReadNumber(const YamlNode& node, const std::string& path) {
  auto value = ReadScalarValue(node, path);
  if (value) {
    if (auto* i = std::get_if<int64_t>(&*value)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&*value)) {
      if (std::isfinite(*d)) return *d;
      return ErrorAt(node.location, path, "expected a finite number, got " + Describe(node));
    }
  }
  return ErrorAt(node.location, path, "expected a number, got " + Describe(node));
}

Result<int64_t> ReadInt(const YamlNode& node, const std::string& path) {
  auto value = ReadScalarValue(node, path);
  if (!value) return value.error();  // out of range
  if (auto* i = std::get_if<int64_t>(&*value)) return *i;
  return ErrorAt(node.location, path, "expected a whole number, got " + Describe(node));
}

Result<int64_t> ReadIntIn(const YamlNode& node, const std::string& path, int64_t low, int64_t high,
                          const std::string& what) {
  auto value = ReadScalarValue(node, path);
  if (value) {
    if (auto* i = std::get_if<int64_t>(&*value); i && *i >= low && *i <= high) return *i;
  }
  return ErrorAt(node.location, path, "expected " + what + ", got " + Describe(node));
}

Result<uint64_t> ReadUint64(const YamlNode& node, const std::string& path) {
  static const std::regex kDigits("\\+?[0-9]+");
  if (node.IsScalar() && !node.quoted && std::regex_match(node.scalar, kDigits)) {
    const std::string& s = node.scalar;
    const size_t start = s[0] == '+' ? 1 : 0;
    uint64_t v = 0;
    auto r = std::from_chars(s.data() + start, s.data() + s.size(), v);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return v;
    return ErrorAt(node.location, path, Describe(node) + " does not fit in 64 bits");
  }
  return ErrorAt(node.location, path,
                 "expected a non-negative whole number, got " + Describe(node));
}

Result<bool> ReadBool(const YamlNode& node, const std::string& path) {
  if (node.IsScalar() && !node.quoted) {
    if (auto b = BoolWord(node.scalar)) return *b;
  }
  return ErrorAt(node.location, path, "expected true or false, got " + Describe(node));
}

Result<double> ReadDuration(const YamlNode& node, const std::string& path) {
  std::optional<double> seconds;
  if (node.IsScalar()) {
    auto value = ReadScalarValue(node, path);
    if (value && std::holds_alternative<int64_t>(*value)) {
      seconds = static_cast<double>(std::get<int64_t>(*value));
    } else if (value && std::holds_alternative<double>(*value)) {
      seconds = std::get<double>(*value);
    } else {
      seconds = ParseDurationText(node.scalar);
    }
  }
  if (!seconds || std::isnan(*seconds)) {
    return ErrorAt(node.location, path,
                   "expected a duration such as 90, 90s, 10m, 2h or 1h30m, got " + Describe(node));
  }
  if (!(*seconds > 0) || !std::isfinite(*seconds)) {
    return ErrorAt(node.location, path,
                   "a duration must be positive and finite, got " + Describe(node));
  }
  return *seconds;
}

Status ReadBoolInto(const YamlNode& node, const std::string& path, bool& field) {
  auto b = ReadBool(node, path);
  if (!b) return b.error();
  field = *b;
  return {};
}

Result<std::string> ReadEnum(const YamlNode& node, const std::string& path,
                             const std::vector<std::string>& allowed) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  if (node.IsScalar()) {
    for (const auto& a : allowed) {
      if (node.scalar == a) return a;
    }
  }
  const std::string hint = node.IsScalar() ? DidYouMean(node.scalar, allowed) : "";
  return ErrorAt(node.location, path, "expected one of " + list + ", got " + Describe(node) + hint);
}

const YamlNode* FindValue(const YamlNode& mapping, std::string_view key) {
  const YamlEntry* e = mapping.Find(key);
  return e && !e->value.IsNull() ? &e->value : nullptr;
}

Status ExpectMapping(const YamlNode& node, const std::string& path) {
  if (node.IsMapping()) return {};
  return ErrorAt(node.location, path, "expected a mapping, got " + Describe(node));
}

Status ExpectList(const YamlNode& node, const std::string& path) {
  if (node.IsSequence()) return {};
  return ErrorAt(node.location, path, "expected a list, got " + Describe(node));
}

Status CheckKeys(const YamlNode& mapping, const std::string& path,
                 const std::vector<std::string>& allowed) {
  for (const auto& entry : mapping.entries) {
    bool known = false;
    for (const auto& a : allowed) known = known || entry.key == a;
    if (known) continue;
    std::string hint = DidYouMean(entry.key, allowed);
    if (hint.empty()) {
      hint = "; expected one of: ";
      for (size_t i = 0; i < allowed.size(); ++i) hint += (i ? ", " : "") + allowed[i];
    }
    return ErrorAt(entry.key_location, JoinPath(path, entry.key), "unknown key" + hint);
  }
  return {};
}

Error MissingKey(const YamlNode& mapping, const std::string& path, const std::string& key) {
  return ErrorAt(mapping.location, path, "missing required key '" + key + "'");
}

}  // namespace gdsweep
