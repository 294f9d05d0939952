#include "backends/kubernetes/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <regex>

namespace gdsweep {
namespace {

using OrderedJson = nlohmann::ordered_json;

bool IsNullWord(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// A plain scalar by YAML 1.2's core schema.
OrderedJson PlainScalar(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (IsNullWord(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return s;  // too large for 64 bits: keep the text
    }
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  if (s.size() > 2 && s.rfind("0x", 0) == 0) {
    try {
      size_t used = 0;
      long long v = std::stoll(s.substr(2), &used, 16);
      if (used == s.size() - 2) return v;
    } catch (const std::exception&) {
    }
  }
  return s;
}

OrderedJson ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted and block scalars "!", plain ones "?".
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return node.Scalar();
      return PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      OrderedJson out = OrderedJson::array();
      for (const auto& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      OrderedJson out = OrderedJson::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

// Whether a plain `s` would read back as something other than the string.
bool NeedsQuotes(const std::string& s) {
  return !PlainScalar(s).is_string() || s != PlainScalar(s).get<std::string>();
}

void Emit(YAML::Emitter& out, const OrderedJson& j) {
  if (j.is_object()) {
    if (j.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out << YAML::Key;
      if (NeedsQuotes(it.key())) out << YAML::DoubleQuoted;
      out << it.key() << YAML::Value;
      Emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    if (j.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& item : j) Emit(out, item);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (NeedsQuotes(s)) out << YAML::DoubleQuoted;
    out << s;
  } else if (j.is_boolean()) {
    out << (j.get<bool>() ? "true" : "false");
  } else if (j.is_null()) {
    out << YAML::Null;
  } else {
    out << j.dump();  // numbers exactly as JSON writes them
  }
}

}  // namespace

Result<std::string> YamlToJson(const std::string& yaml, const std::string& source_name) {
  try {
    const YAML::Node root = YAML::Load(yaml);
    return ToJson(root).dump();
  } catch (const YAML::Exception& e) {
    return Error::Invalid(source_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Result<std::string> JsonToYaml(const std::string& json) {
  OrderedJson j;
  try {
    j = OrderedJson::parse(json);
  } catch (const std::exception& e) {
    return Error::Internal(std::string("not JSON: ") + e.what());
  }
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  Emit(out, j);
  if (!out.good()) return Error::Internal("cannot write YAML: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace gdsweep
