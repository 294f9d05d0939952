#include "sweeper/spec/study_parser_overrides.h"

#include "sweeper/model/utf8.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

// Mappings whose keys are parameter names.
bool KeysAreParameterNames(const std::string& path) {
  return path == "search_space" || path == "sampler.values";
}

// The longest key of `mapping` that `rest` equals or starts with followed by
// a dot; nullptr if none.
YamlEntry* LongestKeyPrefix(YamlNode& mapping, const std::string& rest) {
  YamlEntry* best = nullptr;
  for (auto& entry : mapping.entries) {
    const std::string& k = entry.key;
    const bool matches = rest == k || (rest.size() > k.size() &&
                                       rest.compare(0, k.size(), k) == 0 && rest[k.size()] == '.');
    if (matches && (!best || k.size() > best->key.size())) best = &entry;
  }
  return best;
}

}  // namespace

Status ApplyOverride(YamlNode& root, const std::string& text, const std::string& origin_name) {
  const size_t eq = text.find('=');
  const std::string key_path = text.substr(0, eq == std::string::npos ? 0 : eq);
  if (auto bad = FirstInvalidUtf8(text)) {
    return ErrorAt(YamlLocation{origin_name.empty() ? "--set " + PrintableExcerpt(text)
                                                    : PrintableExcerpt(origin_name),
                                0, 0},
                   PrintableExcerpt(key_path),
                   "not valid UTF-8 (byte " + PrintableExcerpt(text.substr(*bad, 1)) +
                       " at offset " + std::to_string(*bad) + ")");
  }
  const YamlLocation origin{origin_name.empty() ? "--set " + text : origin_name, 0, 0};
  if (eq == std::string::npos || key_path.empty()) {
    return ErrorAt(origin, "", "expected KEY.PATH=VALUE, e.g. --set budget.n_trials=20");
  }
  if (key_path.front() == '.' || key_path.back() == '.' ||
      key_path.find("..") != std::string::npos) {
    return ErrorAt(origin, "", "'" + key_path + "' has an empty key between dots");
  }
  auto value = ReadYamlValue(text.substr(eq + 1), origin, key_path);
  if (!value) return value.error();

  YamlNode* node = &root;
  std::string path;
  std::string rest = key_path;
  while (true) {
    // An empty section ("budget:") or a key this override created becomes a
    // mapping where it is.
    if (node->IsNull()) node->kind = YamlNode::Kind::kMapping;
    if (!node->IsMapping()) {
      return ErrorAt(origin, path,
                     "is " + Describe(*node) + ", not a mapping, so it has no key '" + rest + "'");
    }
    YamlEntry* entry = LongestKeyPrefix(*node, rest);
    if (!entry) {
      const size_t dot = rest.find('.');
      std::string key =
          KeysAreParameterNames(path) || dot == std::string::npos ? rest : rest.substr(0, dot);
      YamlNode empty;
      empty.location = origin;
      node->entries.push_back(YamlEntry{std::move(key), origin, std::move(empty)});
      entry = &node->entries.back();
    }
    path = JoinPath(path, entry->key);
    if (entry->key == rest) {
      entry->value = std::move(*value);
      return {};
    }
    rest = rest.substr(entry->key.size() + 1);
    node = &entry->value;
  }
}

}  // namespace gdsweep
