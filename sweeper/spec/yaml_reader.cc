#include "sweeper/spec/yaml_reader.h"

#include <yaml-cpp/yaml.h>

namespace gdsweep {
namespace {

constexpr const char* kStrTag = "tag:yaml.org,2002:str";

// Turns yaml-cpp nodes into YamlNodes. With a source text, locations come
// from yaml-cpp's marks; without, every node gets the fixed origin.
class Converter {
 public:
  Converter(const std::string* text, YamlLocation origin)
      : text_(text), origin_(std::move(origin)) {}

  YamlLocation At(const YAML::Mark& mark) const {
    YamlLocation loc{origin_.source, 0, 0};
    if (text_ && mark.line >= 0 && mark.column >= 0) {
      loc.line = mark.line + 1;
      loc.column = mark.column + 1;
    }
    return loc;
  }

  Error ErrorAt(const YamlLocation& loc, const std::string& what) const {
    return Error::Invalid(ToString(loc) + ": " + what);
  }

  // `key_location` is where the node's key is, for an empty value.
  Result<YamlNode> Convert(const YAML::Node& n, const YamlLocation& key_location) {
    YamlNode out;
    out.location = At(n.Mark());
    const std::string& tag = n.Tag();
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = YamlNode::Kind::kNull;
        if (!WrittenAsNull(n.Mark()) && key_location.line > 0) out.location = key_location;
        return out;
      case YAML::NodeType::Scalar:
        if (tag != "?" && tag != "!" && tag != kStrTag) return UnsupportedTag(out.location, tag);
        out.kind = YamlNode::Kind::kScalar;
        out.scalar = n.Scalar();
        out.quoted = tag != "?";
        out.text_column = TextColumn(n.Mark(), out.scalar);
        return out;
      case YAML::NodeType::Sequence:
        if (tag != "?" && tag != "tag:yaml.org,2002:seq") {
          return UnsupportedTag(out.location, tag);
        }
        out.kind = YamlNode::Kind::kSequence;
        for (const auto& item : n) {
          auto converted = Convert(item, YamlLocation{});
          if (!converted) return converted.error();
          out.items.push_back(std::move(*converted));
        }
        return out;
      case YAML::NodeType::Map:
        if (tag != "?" && tag != "tag:yaml.org,2002:map") {
          return UnsupportedTag(out.location, tag);
        }
        out.kind = YamlNode::Kind::kMapping;
        for (const auto& kv : n) {
          YamlLocation key_loc = At(kv.first.Mark());
          if (!kv.first.IsScalar()) return ErrorAt(key_loc, "a mapping key must be a string");
          const std::string key = kv.first.Scalar();
          if (const YamlEntry* first = out.Find(key)) {
            std::string where =
                first->key_location.line > 0
                    ? " (first at line " + std::to_string(first->key_location.line) + ")"
                    : "";
            return ErrorAt(key_loc, "duplicate key '" + key + "'" + where);
          }
          auto value = Convert(kv.second, key_loc);
          if (!value) return value.error();
          out.entries.push_back(YamlEntry{key, key_loc, std::move(*value)});
        }
        return out;
    }
    return out;
  }

 private:
  Error UnsupportedTag(const YamlLocation& loc, const std::string& tag) const {
    return ErrorAt(loc, "unsupported YAML tag '" + tag + "'");
  }

  // An explicit "~"/"null" has a precise mark; an empty value's mark points
  // at whatever follows it, so the key is the better place to point at.
  bool WrittenAsNull(const YAML::Mark& mark) const {
    if (!text_ || mark.pos < 0) return false;
    const std::string_view rest = std::string_view(*text_).substr(static_cast<size_t>(mark.pos));
    for (std::string_view word : {"~", "null", "Null", "NULL"}) {
      if (rest.substr(0, word.size()) == word) return true;
    }
    return false;
  }

  int TextColumn(const YAML::Mark& mark, const std::string& scalar) const {
    if (!text_ || mark.pos < 0 || scalar.find('\n') != std::string::npos) return 0;
    auto pos = static_cast<size_t>(mark.pos);
    int column = mark.column + 1;
    if (pos < text_->size() && ((*text_)[pos] == '"' || (*text_)[pos] == '\'')) {
      ++pos;
      ++column;
    }
    if (pos > text_->size()) return 0;
    return text_->compare(pos, scalar.size(), scalar) == 0 ? column : 0;
  }

  const std::string* text_;
  YamlLocation origin_;
};

Result<YamlNode> Read(const std::string& text, const std::string* positions_from,
                      const YamlLocation& origin) {
  Converter converter(positions_from, origin);
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    for (size_t i = 1; i < docs.size(); ++i) {
      if (!docs[i].IsNull()) {
        return converter.ErrorAt(converter.At(docs[i].Mark()),
                                 "expected one YAML document, found another one here");
      }
    }
    if (docs.empty()) {
      YamlNode empty;
      empty.location = origin;
      if (positions_from) empty.location = YamlLocation{origin.source, 1, 1};
      return empty;
    }
    auto root = converter.Convert(docs[0], YamlLocation{});
    if (root && positions_from && root->location.line == 0) {
      root->location = YamlLocation{origin.source, 1, 1};  // a document of comments only
    }
    return root;
  } catch (const YAML::Exception& e) {
    YamlLocation loc = converter.At(e.mark);
    return converter.ErrorAt(loc, "YAML syntax error: " + e.msg);
  }
}

}  // namespace

std::string ToString(const YamlLocation& location) {
  if (location.line <= 0) return location.source;
  return location.source + ":" + std::to_string(location.line) + ":" +
         std::to_string(location.column);
}

const YamlEntry* YamlNode::Find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

YamlEntry* YamlNode::Find(std::string_view key) {
  for (auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

Result<YamlNode> ReadYaml(const std::string& text, const std::string& source_name) {
  return Read(text, &text, YamlLocation{source_name, 0, 0});
}

Result<YamlNode> ReadYamlValue(const std::string& text, const YamlLocation& origin) {
  return Read(text, nullptr, origin);
}

}  // namespace gdsweep
