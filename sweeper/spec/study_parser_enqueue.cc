#include "sweeper/spec/study_parser_enqueue.h"

#include <string>
#include <vector>

#include "sweeper/spec/yaml_values.h"

namespace gdsweep {

Status ParseEnqueueSection(const YamlNode& root, StudySpec& spec) {
  const YamlNode* node = FindValue(root, "enqueue");
  if (!node) return {};
  if (auto s = ExpectList(*node, "enqueue"); !s) return s;
  std::vector<std::string> names;
  for (const auto& p : spec.space) names.push_back(p.name);
  std::vector<Params> seen;
  for (size_t i = 0; i < node->items.size(); ++i) {
    const YamlNode& item = node->items[i];
    const std::string path = IndexPath("enqueue", i);
    if (auto s = ExpectMapping(item, path); !s) return s;
    if (item.entries.empty()) {
      return ErrorAt(item.location, path, "a point needs at least one parameter value");
    }
    if (auto s = CheckKeys(item, path, names); !s) return s;
    Point point;
    Params params;
    for (const auto& e : item.entries) {
      const std::string key_path = JoinPath(path, e.key);
      auto value = ReadScalarValue(e.value, key_path);
      if (!value) return value.error();
      auto internal = ToInternal(FindParameter(spec.space, e.key)->distribution, *value);
      if (!internal) return ErrorAt(e.value.location, key_path, internal.error().message);
      point[e.key] = *value;
      params[e.key] = *internal;
    }
    for (size_t k = 0; k < seen.size(); ++k) {
      if (seen[k] == params) {
        return ErrorAt(item.location, path,
                       "the same point as " + IndexPath("enqueue", k) + " (each point runs once)");
      }
    }
    seen.push_back(params);
    spec.enqueue.push_back(std::move(point));
  }
  return {};
}

}  // namespace gdsweep
