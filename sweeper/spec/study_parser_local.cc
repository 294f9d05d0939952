#include "sweeper/spec/study_parser_local.h"

#include <regex>
#include <set>

#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

constexpr int64_t kMaxGpus = 1024;

// One device: an index (0, 1, ...) or a UUID as nvidia-smi -L prints it
// (GPU-8932f937-..., MIG-...): what CUDA_VISIBLE_DEVICES accepts.
Result<std::string> ReadDevice(const YamlNode& node, const std::string& path) {
  static const std::regex kUuid("(GPU|MIG)-[A-Za-z0-9/_-]+");
  if (!node.IsScalar()) {
    return ErrorAt(node.location, path, "expected a device index or UUID, got " + Describe(node));
  }
  auto value = ReadScalarValue(node, path);
  if (!value) return value.error();
  if (const auto* i = std::get_if<int64_t>(&*value)) {
    if (*i < 0 || *i >= kMaxGpus) {
      return ErrorAt(node.location, path,
                     "a device index is a whole number from 0 to " + std::to_string(kMaxGpus - 1) +
                         ", got " + Describe(node));
    }
    return std::to_string(*i);
  }
  if (const auto* s = std::get_if<std::string>(&*value); s && std::regex_match(*s, kUuid)) {
    return *s;
  }
  return ErrorAt(node.location, path,
                 "expected a device index (0, 1, ...) or a UUID as `nvidia-smi -L` prints it "
                 "(GPU-..., MIG-...), got " +
                     Describe(node));
}

Result<LocalSpec> ReadLocal(const YamlNode& node) {
  const std::string path = "local";
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  if (auto s = CheckKeys(node, path, {"gpus"}); !s) return s.error();
  LocalSpec local;
  const YamlNode* gpus = FindValue(node, "gpus");
  if (!gpus) return local;
  const std::string gpus_path = "local.gpus";
  if (gpus->IsScalar()) {
    auto word = ReadEnum(*gpus, gpus_path, {"auto"});
    if (!word) {
      return ErrorAt(gpus->location, gpus_path,
                     "expected a list of devices ([0, 1]) or auto (what `nvidia-smi -L` "
                     "lists), got " +
                         Describe(*gpus));
    }
    local.gpus_auto = true;
    return local;
  }
  if (auto s = ExpectList(*gpus, gpus_path); !s) return s.error();
  if (gpus->items.empty()) {
    return ErrorAt(gpus->location, gpus_path, "the list of devices must not be empty");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < gpus->items.size(); ++i) {
    const std::string item_path = IndexPath(gpus_path, i);
    auto device = ReadDevice(gpus->items[i], item_path);
    if (!device) return device.error();
    if (!seen.insert(*device).second) {
      return ErrorAt(gpus->items[i].location, item_path, "device " + *device + " is listed twice");
    }
    local.gpus.push_back(std::move(*device));
  }
  return local;
}

}  // namespace

Status ParseLocalSection(const YamlNode& root, StudySpec& spec) {
  const YamlEntry* local_entry = root.Find("local");
  const YamlNode* local_node = FindValue(root, "local");
  if (local_node) {
    auto local = ReadLocal(*local_node);
    if (!local) return local.error();
    spec.local = std::move(*local);
  }
  const YamlEntry* trial_entry = root.Find("trial");
  const YamlNode* resources = trial_entry ? FindValue(trial_entry->value, "resources") : nullptr;
  const YamlNode* gpus = nullptr;
  if (resources) {
    if (auto s = ExpectMapping(*resources, "trial.resources"); !s) return s.error();
    if (auto s = CheckKeys(*resources, "trial.resources", {"gpus"}); !s) return s.error();
    gpus = FindValue(*resources, "gpus");
  }
  if (gpus) {
    auto n = ReadIntIn(*gpus, "trial.resources.gpus", 0, kMaxGpus, "a whole number from 0 to 1024");
    if (!n) return n.error();
    spec.trial.gpus = static_cast<int>(*n);
  }

  const bool has_devices = spec.local && (spec.local->gpus_auto || !spec.local->gpus.empty());
  if (spec.backend != "local") {
    if (local_entry) {
      return ErrorAt(local_entry->key_location, "local",
                     "applies to backend: local only (this study runs on " + spec.backend + ")");
    }
    if (gpus) {
      return ErrorAt(gpus->location, "trial.resources.gpus",
                     "applies to local trials only; on Kubernetes ask for GPUs in "
                     "kubernetes.resources.limits (nvidia.com/gpu: N)");
    }
    return {};
  }
  if (gpus && !has_devices) {
    return ErrorAt(gpus->location, "trial.resources.gpus",
                   "needs the devices to hand out: add local: {gpus: [0, 1, ...]} or "
                   "local: {gpus: auto}");
  }
  if (has_devices && !gpus) {
    const YamlNode* list = FindValue(*local_node, "gpus");
    return ErrorAt(list->location, "local.gpus",
                   "lists devices but trial.resources.gpus does not say how many each trial "
                   "gets (0 hides them all)");
  }
  if (gpus && !spec.local->gpus_auto &&
      static_cast<size_t>(*spec.trial.gpus) > spec.local->gpus.size()) {
    return ErrorAt(gpus->location, "trial.resources.gpus",
                   "each trial needs " + std::to_string(*spec.trial.gpus) +
                       " devices but local.gpus lists " + std::to_string(spec.local->gpus.size()));
  }
  if (gpus && spec.trial.env.contains("CUDA_VISIBLE_DEVICES")) {
    const YamlNode* env = FindValue(trial_entry->value, "env");
    const YamlEntry* e = env ? env->Find("CUDA_VISIBLE_DEVICES") : nullptr;
    return ErrorAt(e ? e->key_location : gpus->location, "trial.env.CUDA_VISIBLE_DEVICES",
                   "is set by gdsweep to each trial's own devices when trial.resources.gpus is "
                   "used; remove it");
  }
  return {};
}

}  // namespace gdsweep
