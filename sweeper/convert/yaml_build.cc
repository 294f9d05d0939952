#include "sweeper/convert/yaml_build.h"

#include <charconv>
#include <cmath>
#include <regex>

#include "sweeper/spec/yaml_values.h"

namespace gdsweep {

YamlNode PlainNode(std::string text, const YamlLocation& at) {
  YamlNode n;
  n.kind = YamlNode::Kind::kScalar;
  n.location = at;
  n.scalar = std::move(text);
  return n;
}

YamlNode StringNode(std::string text, const YamlLocation& at) {
  YamlNode n = PlainNode(std::move(text), at);
  n.quoted = true;
  return n;
}

YamlNode IntNode(int64_t value, const YamlLocation& at) {
  return PlainNode(std::to_string(value), at);
}

YamlNode FloatNode(double value, const YamlLocation& at) {
  if (std::isnan(value)) return PlainNode(".nan", at);
  if (std::isinf(value)) return PlainNode(value > 0 ? ".inf" : "-.inf", at);
  std::string text = FormatDouble(value);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return PlainNode(text, at);
}

YamlNode BoolNode(bool value, const YamlLocation& at) {
  return PlainNode(value ? "true" : "false", at);
}

YamlNode ChoiceNode(const Choice& choice, const YamlLocation& at) {
  struct V {
    const YamlLocation& at;
    YamlNode operator()(std::monostate) const { return PlainNode("null", at); }
    YamlNode operator()(bool b) const { return BoolNode(b, at); }
    YamlNode operator()(int64_t i) const { return IntNode(i, at); }
    YamlNode operator()(double d) const { return FloatNode(d, at); }
    YamlNode operator()(const std::string& s) const { return StringNode(s, at); }
  };
  return std::visit(V{at}, choice);
}

YamlNode ListNode(const YamlLocation& at, std::vector<YamlNode> items) {
  YamlNode n;
  n.kind = YamlNode::Kind::kSequence;
  n.location = at;
  n.items = std::move(items);
  return n;
}

YamlNode MapNode(const YamlLocation& at) {
  YamlNode n;
  n.kind = YamlNode::Kind::kMapping;
  n.location = at;
  return n;
}

YamlNode& Put(YamlNode& mapping, const std::string& key, YamlNode value,
              const YamlLocation& key_at) {
  if (YamlEntry* e = mapping.Find(key)) {
    e->value = std::move(value);
    return e->value;
  }
  mapping.entries.push_back(YamlEntry{key, key_at, std::move(value)});
  return mapping.entries.back().value;
}

YamlNode& Put(YamlNode& mapping, const std::string& key, YamlNode value) {
  const YamlLocation at = value.location;
  return Put(mapping, key, std::move(value), at);
}

YamlNode& Section(YamlNode& mapping, const std::string& key, const YamlLocation& at) {
  if (YamlEntry* e = mapping.Find(key); e && e->value.IsMapping()) return e->value;
  return Put(mapping, key, MapNode(at), at);
}

Result<Choice> ReadNumberLike(const YamlNode& node, const std::string& path) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (node.IsScalar()) {
    const std::string& t = node.scalar;
    if (std::regex_match(t, kInt)) {
      int64_t v = 0;
      const char* begin = t.data() + (t[0] == '+' ? 1 : 0);
      auto r = std::from_chars(begin, t.data() + t.size(), v);
      if (r.ec == std::errc() && r.ptr == t.data() + t.size()) return Choice{v};
    }
    if (std::regex_match(t, kFloat)) {
      double v = std::strtod(t.c_str(), nullptr);
      if (std::isfinite(v)) return Choice{v};
    }
    if (!node.quoted) {
      // YAML 1.2 forms such as 0x1f or 1e3 read by the study-file rules.
      auto value = ReadScalarValue(node, path);
      if (value &&
          (std::holds_alternative<int64_t>(*value) ||
           (std::holds_alternative<double>(*value) && std::isfinite(std::get<double>(*value))))) {
        return *value;
      }
    }
  }
  return ErrorAt(node.location, path, "expected a number, got " + Describe(node));
}

Result<double> ReadDoubleLike(const YamlNode& node, const std::string& path) {
  auto v = ReadNumberLike(node, path);
  if (!v) return v.error();
  if (auto* i = std::get_if<int64_t>(&*v)) return static_cast<double>(*i);
  return std::get<double>(*v);
}

}  // namespace gdsweep

#include <filesystem>

namespace gdsweep {

std::string StudyNameFrom(const std::string& text, const std::string& source_path) {
  std::string name = text.empty() ? std::filesystem::path(source_path).stem().string() : text;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  }
  if (name.empty()) name = "study";
  if (name.size() > 128) name.resize(128);
  return name;
}

YamlNode CommandNode(const std::vector<std::string>& argv, const YamlLocation& at) {
  YamlNode list = ListNode(at);
  for (const auto& a : argv) list.items.push_back(StringNode(a, at));
  return list;
}

YamlLocation LocationIn(const YamlNode& node, size_t offset) {
  YamlLocation loc = node.location;
  if (loc.line > 0 && node.text_column > 0)
    loc.column = node.text_column + static_cast<int>(offset);
  return loc;
}

}  // namespace gdsweep
