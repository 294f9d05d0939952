#include "sweeper/convert/detect.h"

#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

bool HasHydraSweeperDefault(const YamlNode& root) {
  const YamlNode* defaults = FindValue(root, "defaults");
  if (!defaults || !defaults->IsSequence()) return false;
  for (const auto& item : defaults->items) {
    if (!item.IsMapping()) continue;
    for (const auto& e : item.entries) {
      if (e.key.find("hydra/sweeper") != std::string::npos) return true;
    }
  }
  return false;
}

}  // namespace

ConfigFormat DetectFormat(const YamlNode& root) {
  if (!root.IsMapping()) return ConfigFormat::kGdsweep;
  const YamlNode* api = FindValue(root, "apiVersion");
  const YamlNode* kind = FindValue(root, "kind");
  if (api && kind && api->scalar.rfind("kubeflow.org/", 0) == 0 && kind->scalar == "Experiment") {
    return ConfigFormat::kKatib;
  }
  if (const YamlNode* hydra = FindValue(root, "hydra"); hydra && hydra->IsMapping()) {
    const YamlNode* sweeper = FindValue(*hydra, "sweeper");
    if (sweeper && sweeper->IsMapping() &&
        (sweeper->Find("_target_") || sweeper->Find("params") || sweeper->Find("search_space") ||
         HasHydraSweeperDefault(root))) {
      return ConfigFormat::kHydra;
    }
  }
  if (root.Find("method") && root.Find("parameters")) return ConfigFormat::kWandb;
  return ConfigFormat::kGdsweep;
}

}  // namespace gdsweep
