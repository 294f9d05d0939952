#include "sweeper/spec/study_parser_kubernetes_pod.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "backends/kubernetes/kube_names.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

using Json = nlohmann::ordered_json;

// A scalar checked by `valid`, with `rule` saying what is expected.
Result<std::string> ReadChecked(const YamlNode& node, const std::string& path,
                                bool (*valid)(std::string_view), const std::string& rule) {
  auto s = ReadString(node, path);
  if (!s) return s.error();
  if (!valid(*s))
    return ErrorAt(node.location, path, "expected " + rule + ", got " + Describe(node));
  return s;
}

const std::string kLabelRule =
    "a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or "
    "digit, at most 63 characters)";
const std::string kSubdomainRule =
    "a DNS-1123 name (lower-case letters, digits, '-' and '.', at most 253 characters)";
const std::string kLabelKeyRule =
    "a label key (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or "
    "'.', starting and ending with a letter or digit)";
const std::string kLabelValueRule =
    "a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a "
    "letter or digit)";

Result<std::string> ReadSubdomain(const YamlNode& node, const std::string& path) {
  return ReadChecked(node, path, IsDns1123Subdomain, kSubdomainRule);
}

// A mapping of strings, keys and values checked.
Result<std::map<std::string, std::string>> ReadStringMapImpl(const YamlNode& node,
                                                             const std::string& path, bool labels) {
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  std::map<std::string, std::string> out;
  for (const auto& e : node.entries) {
    const std::string p = JoinPath(path, e.key);
    if (!IsLabelKey(e.key)) {
      return ErrorAt(e.key_location, p, "expected " + kLabelKeyRule + " as the key");
    }
    if (e.key.rfind("gdsweep.io/", 0) == 0) {
      return ErrorAt(e.key_location, p, "the gdsweep.io/ prefix is reserved for gdsweep's own");
    }
    auto v =
        labels ? ReadChecked(e.value, p, IsLabelValue, kLabelValueRule) : ReadString(e.value, p);
    if (!v) return v.error();
    out[e.key] = *v;
  }
  return out;
}

// A YAML tree as JSON (core schema for plain scalars), for Kubernetes' own
// objects given as they are (affinity, the Job template).
Result<Json> ToJson(const YamlNode& node, const std::string& path) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return Json(nullptr);
    case YamlNode::Kind::kScalar: {
      auto v = ReadScalarValue(node, path);
      if (!v) return v.error();
      return std::visit(
          [&](const auto& x) -> Result<Json> {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              return Json(nullptr);
            } else if constexpr (std::is_same_v<T, double>) {
              if (!std::isfinite(x)) {
                return ErrorAt(node.location, path, "expected a finite number");
              }
              return Json(x);
            } else {
              return Json(x);
            }
          },
          *v);
    }
    case YamlNode::Kind::kSequence: {
      Json out = Json::array();
      for (size_t i = 0; i < node.items.size(); ++i) {
        auto item = ToJson(node.items[i], IndexPath(path, i));
        if (!item) return item.error();
        out.push_back(std::move(*item));
      }
      return out;
    }
    case YamlNode::Kind::kMapping: {
      Json out = Json::object();
      for (const auto& e : node.entries) {
        auto v = ToJson(e.value, JoinPath(path, e.key));
        if (!v) return v.error();
        out[e.key] = std::move(*v);
      }
      return out;
    }
  }
  return Json(nullptr);
}

Result<KubernetesResources> ReadResources(const YamlNode& node) {
  const std::string path = KubePath("resources");
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  if (auto s = CheckKeys(node, path, {"requests", "limits"}); !s) return s.error();
  KubernetesResources r;
  for (const auto& e : node.entries) {
    const std::string p = JoinPath(path, e.key);
    if (e.value.IsNull()) continue;
    if (auto s = ExpectMapping(e.value, p); !s) return s.error();
    auto& target = e.key == "requests" ? r.requests : r.limits;
    for (const auto& q : e.value.entries) {
      const std::string qp = JoinPath(p, q.key);
      if (!IsLabelKey(q.key)) {
        return ErrorAt(q.key_location, qp,
                       "not a resource name (cpu, memory, nvidia.com/gpu, ...)");
      }
      auto v = ReadString(q.value, qp);
      if (!v) return v.error();
      if (!IsQuantity(*v)) {
        return ErrorAt(
            q.value.location, qp,
            "expected a quantity such as 2, 500m, 16Gi or 1e3, got " + Describe(q.value));
      }
      target[q.key] = *v;
    }
  }
  return r;
}

bool IsEnvName(std::string_view s) {
  static const std::regex kName("[-._a-zA-Z][-._a-zA-Z0-9]*");
  return std::regex_match(std::string(s), kName);
}

Result<std::vector<KubernetesEnvVar>> ReadEnv(const YamlNode& node) {
  const std::string path = KubePath("env");
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  std::vector<KubernetesEnvVar> out;
  for (const auto& e : node.entries) {
    const std::string p = JoinPath(path, e.key);
    if (!IsEnvName(e.key)) {
      return ErrorAt(e.key_location, p, "not a valid environment variable name");
    }
    if (e.key.rfind("GDSWEEP_", 0) == 0) {
      return ErrorAt(e.key_location, p,
                     "the GDSWEEP_ prefix is reserved for the variables gdsweep sets");
    }
    KubernetesEnvVar v;
    v.name = e.key;
    if (!e.value.IsMapping()) {
      auto value = ReadString(e.value, p);
      if (!value) return value.error();
      v.value = *value;
      out.push_back(v);
      continue;
    }
    if (auto s = CheckKeys(e.value, p, {"secret", "config_map", "key", "optional", "field"}); !s) {
      return s.error();
    }
    const YamlNode* secret = FindValue(e.value, "secret");
    const YamlNode* config_map = FindValue(e.value, "config_map");
    const YamlNode* field = FindValue(e.value, "field");
    if ((secret != nullptr) + (config_map != nullptr) + (field != nullptr) != 1) {
      return ErrorAt(e.value.location, p,
                     "give one of 'secret: NAME', 'config_map: NAME' (each with 'key') or "
                     "'field: PATH', or a plain value");
    }
    if (field) {
      auto f = ReadString(*field, JoinPath(p, "field"));
      if (!f) return f.error();
      v.source = KubernetesEnvVar::Source::kField;
      v.value = *f;
    } else {
      v.source = secret ? KubernetesEnvVar::Source::kSecret : KubernetesEnvVar::Source::kConfigMap;
      auto name = ReadSubdomain(secret ? *secret : *config_map,
                                JoinPath(p, secret ? "secret" : "config_map"));
      if (!name) return name.error();
      v.ref_name = *name;
      const YamlNode* key = FindValue(e.value, "key");
      if (!key) return MissingKey(e.value, p, "key");
      auto k = ReadString(*key, JoinPath(p, "key"));
      if (!k) return k.error();
      v.ref_key = *k;
      if (const YamlNode* o = FindValue(e.value, "optional")) {
        auto b = ReadBool(*o, JoinPath(p, "optional"));
        if (!b) return b.error();
        v.optional = *b;
      }
    }
    out.push_back(v);
  }
  return out;
}

Result<std::vector<KubernetesEnvFrom>> ReadEnvFrom(const YamlNode& node) {
  const std::string path = KubePath("env_from");
  if (auto s = ExpectList(node, path); !s) return s.error();
  std::vector<KubernetesEnvFrom> out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const YamlNode& item = node.items[i];
    const std::string p = IndexPath(path, i);
    if (auto s = ExpectMapping(item, p); !s) return s.error();
    if (auto s = CheckKeys(item, p, {"secret", "config_map", "prefix", "optional"}); !s) {
      return s.error();
    }
    const YamlNode* secret = FindValue(item, "secret");
    const YamlNode* config_map = FindValue(item, "config_map");
    if ((secret != nullptr) == (config_map != nullptr)) {
      return ErrorAt(item.location, p, "give one of 'secret: NAME' or 'config_map: NAME'");
    }
    KubernetesEnvFrom f;
    f.source = secret ? KubernetesEnvFrom::Source::kSecret : KubernetesEnvFrom::Source::kConfigMap;
    auto name = ReadSubdomain(secret ? *secret : *config_map,
                              JoinPath(p, secret ? "secret" : "config_map"));
    if (!name) return name.error();
    f.name = *name;
    if (const YamlNode* v = FindValue(item, "prefix")) {
      auto prefix = ReadString(*v, JoinPath(p, "prefix"));
      if (!prefix) return prefix.error();
      f.prefix = *prefix;
    }
    if (const YamlNode* v = FindValue(item, "optional")) {
      auto b = ReadBool(*v, JoinPath(p, "optional"));
      if (!b) return b.error();
      f.optional = *b;
    }
    out.push_back(f);
  }
  return out;
}

// One volume: {name, mount_path, one source, read_only, sub_path}.
Result<KubernetesVolume> ReadVolume(const YamlNode& item, const std::string& p) {
  if (auto s = ExpectMapping(item, p); !s) return s.error();
  if (auto s = CheckKeys(item, p,
                         {"name", "mount_path", "read_only", "sub_path", "pvc", "nfs", "empty_dir",
                          "secret", "config_map", "host_path"});
      !s) {
    return s.error();
  }
  KubernetesVolume v;
  const YamlNode* name = FindValue(item, "name");
  if (!name) return MissingKey(item, p, "name");
  auto n = ReadChecked(*name, JoinPath(p, "name"), IsDns1123Label, kLabelRule);
  if (!n) return n.error();
  if (*n == "gdsweep-params") {
    return ErrorAt(name->location, JoinPath(p, "name"), "the name gdsweep-params is gdsweep's own");
  }
  v.name = *n;
  const YamlNode* mount = FindValue(item, "mount_path");
  if (!mount) return MissingKey(item, p, "mount_path");
  auto m = ReadString(*mount, JoinPath(p, "mount_path"));
  if (!m) return m.error();
  if (m->empty() || (*m)[0] != '/') {
    return ErrorAt(mount->location, JoinPath(p, "mount_path"),
                   "expected an absolute path in the container, got " + Describe(*mount));
  }
  v.mount_path = *m;
  if (const YamlNode* sp = FindValue(item, "sub_path")) {
    auto s = ReadString(*sp, JoinPath(p, "sub_path"));
    if (!s) return s.error();
    v.sub_path = *s;
  }
  if (const YamlNode* ro = FindValue(item, "read_only")) {
    auto b = ReadBool(*ro, JoinPath(p, "read_only"));
    if (!b) return b.error();
    v.read_only = *b;
  }
  const char* kSources[] = {"pvc", "nfs", "empty_dir", "secret", "config_map", "host_path"};
  const YamlEntry* source = nullptr;
  for (const char* k : kSources) {
    const YamlEntry* e = item.Find(k);
    if (!e) continue;
    if (source) {
      return ErrorAt(e->key_location, JoinPath(p, k),
                     "a volume has one source; '" + source->key + "' is given already");
    }
    source = e;
  }
  if (!source) {
    return ErrorAt(item.location, p,
                   "missing the volume's source: one of pvc, nfs, empty_dir, secret, config_map, "
                   "host_path");
  }
  const std::string sp = JoinPath(p, source->key);
  const YamlNode& s = source->value;
  if (source->key == "pvc" || source->key == "secret" || source->key == "config_map") {
    v.kind = source->key == "pvc"      ? KubernetesVolume::Kind::kPvc
             : source->key == "secret" ? KubernetesVolume::Kind::kSecret
                                       : KubernetesVolume::Kind::kConfigMap;
    auto name_of = ReadSubdomain(s, sp);
    if (!name_of) return name_of.error();
    v.source = *name_of;
  } else if (source->key == "host_path") {
    v.kind = KubernetesVolume::Kind::kHostPath;
    auto path = ReadString(s, sp);
    if (!path) return path.error();
    v.source = *path;
  } else if (source->key == "nfs") {
    v.kind = KubernetesVolume::Kind::kNfs;
    if (auto e = ExpectMapping(s, sp); !e) return e.error();
    if (auto e = CheckKeys(s, sp, {"server", "path"}); !e) return e.error();
    for (const char* k : {"server", "path"}) {
      const YamlNode* x = FindValue(s, k);
      if (!x) return MissingKey(s, sp, k);
      auto text = ReadString(*x, JoinPath(sp, k));
      if (!text) return text.error();
      (std::string(k) == "server" ? v.server : v.source) = *text;
    }
    if (v.source.empty() || v.source[0] != '/') {
      return ErrorAt(FindValue(s, "path")->location, JoinPath(sp, "path"),
                     "expected the exported absolute path on the NFS server");
    }
  } else {
    v.kind = KubernetesVolume::Kind::kEmptyDir;
    if (!s.IsNull()) {
      if (auto e = ExpectMapping(s, sp); !e) return e.error();
      if (auto e = CheckKeys(s, sp, {"medium", "size_limit"}); !e) return e.error();
      if (const YamlNode* medium = FindValue(s, "medium")) {
        auto m2 = ReadEnum(*medium, JoinPath(sp, "medium"), {"Memory"});
        if (!m2) return m2.error();
        v.medium = *m2;
      }
      if (const YamlNode* limit = FindValue(s, "size_limit")) {
        auto q =
            ReadChecked(*limit, JoinPath(sp, "size_limit"), IsQuantity, "a quantity such as 8Gi");
        if (!q) return q.error();
        v.size_limit = *q;
      }
    }
  }
  return v;
}

Result<std::vector<KubernetesVolume>> ReadVolumes(const YamlNode& node) {
  const std::string path = KubePath("volumes");
  if (auto s = ExpectList(node, path); !s) return s.error();
  std::vector<KubernetesVolume> out;
  std::set<std::string> names, mounts;
  for (size_t i = 0; i < node.items.size(); ++i) {
    auto v = ReadVolume(node.items[i], IndexPath(path, i));
    if (!v) return v.error();
    if (!names.insert(v->name).second) {
      return ErrorAt(node.items[i].location, IndexPath(path, i),
                     "volume name '" + v->name + "' appears twice");
    }
    if (!mounts.insert(v->mount_path).second || v->mount_path == "/etc/gdsweep") {
      return ErrorAt(node.items[i].location, IndexPath(path, i),
                     "mount path '" + v->mount_path + "' is used twice (or is gdsweep's own)");
    }
    out.push_back(*v);
  }
  return out;
}

Result<std::vector<KubernetesToleration>> ReadTolerations(const YamlNode& node) {
  const std::string path = KubePath("tolerations");
  if (auto s = ExpectList(node, path); !s) return s.error();
  std::vector<KubernetesToleration> out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const YamlNode& item = node.items[i];
    const std::string p = IndexPath(path, i);
    if (auto s = ExpectMapping(item, p); !s) return s.error();
    if (auto s = CheckKeys(item, p, {"key", "operator", "value", "effect", "toleration_seconds"});
        !s) {
      return s.error();
    }
    KubernetesToleration t;
    if (const YamlNode* k = FindValue(item, "key")) {
      auto key = ReadChecked(*k, JoinPath(p, "key"), IsLabelKey, kLabelKeyRule);
      if (!key) return key.error();
      t.key = *key;
    }
    if (const YamlNode* o = FindValue(item, "operator")) {
      auto op = ReadEnum(*o, JoinPath(p, "operator"), {"Equal", "Exists"});
      if (!op) return op.error();
      t.op = *op;
    }
    if (const YamlNode* v = FindValue(item, "value")) {
      auto value = ReadChecked(*v, JoinPath(p, "value"), IsLabelValue, kLabelValueRule);
      if (!value) return value.error();
      if (t.op == "Exists" && !value->empty()) {
        return ErrorAt(v->location, JoinPath(p, "value"), "operator Exists takes no value");
      }
      t.value = *value;
    }
    if (t.key.empty() && t.op != "Exists") {
      return ErrorAt(item.location, p, "a toleration without a key needs operator: Exists");
    }
    if (const YamlNode* e = FindValue(item, "effect")) {
      auto effect =
          ReadEnum(*e, JoinPath(p, "effect"), {"NoSchedule", "PreferNoSchedule", "NoExecute"});
      if (!effect) return effect.error();
      t.effect = *effect;
    }
    if (const YamlNode* s = FindValue(item, "toleration_seconds")) {
      auto secs = ReadIntIn(*s, JoinPath(p, "toleration_seconds"), 0, INT64_MAX,
                            "a non-negative whole number of seconds");
      if (!secs) return secs.error();
      if (t.effect != "NoExecute") {
        return ErrorAt(s->location, JoinPath(p, "toleration_seconds"),
                       "only a NoExecute toleration has toleration_seconds");
      }
      t.toleration_seconds = *secs;
    }
    out.push_back(t);
  }
  return out;
}

// The Job template file: a batch/v1 Job with at least one container, the
// trial's container named in `spec.container` (default: the first).
}  // namespace

Status ParseKubernetesPodKeys(const YamlNode& node, KubernetesSpec& k) {
  if (const YamlNode* v = FindValue(node, "resources")) {
    auto r = ReadResources(*v);
    if (!r) return r.error();
    k.resources = *r;
  }
  if (const YamlNode* v = FindValue(node, "env")) {
    auto env = ReadEnv(*v);
    if (!env) return env.error();
    k.env = *env;
  }
  if (const YamlNode* v = FindValue(node, "env_from")) {
    auto f = ReadEnvFrom(*v);
    if (!f) return f.error();
    k.env_from = *f;
  }
  if (const YamlNode* v = FindValue(node, "volumes")) {
    auto vols = ReadVolumes(*v);
    if (!vols) return vols.error();
    k.volumes = *vols;
  }
  if (const YamlNode* v = FindValue(node, "node_selector")) {
    auto m = ReadKubeStringMap(*v, KubePath("node_selector"), true);
    if (!m) return m.error();
    k.node_selector = *m;
  }
  if (const YamlNode* v = FindValue(node, "tolerations")) {
    auto t = ReadTolerations(*v);
    if (!t) return t.error();
    k.tolerations = *t;
  }
  if (const YamlNode* v = FindValue(node, "affinity")) {
    if (auto s = ExpectMapping(*v, KubePath("affinity")); !s) return s.error();
    if (auto s =
            CheckKeys(*v, KubePath("affinity"), {"nodeAffinity", "podAffinity", "podAntiAffinity"});
        !s) {
      return s.error();
    }
    auto j = YamlNodeToJson(*v, KubePath("affinity"));
    if (!j) return j.error();
    k.affinity_json = *j;
  }
  return {};
}

// Where a trial-section value is, for errors about it.

std::string KubePath(const std::string& key) { return JoinPath("kubernetes", key); }

Result<std::string> ReadKubeName(const YamlNode& node, const std::string& path, KubeNameRule rule) {
  switch (rule) {
    case KubeNameRule::kDnsLabel:
      return ReadChecked(node, path, IsDns1123Label, kLabelRule);
    case KubeNameRule::kDnsSubdomain:
      return ReadChecked(node, path, IsDns1123Subdomain, kSubdomainRule);
  }
  return ReadString(node, path);
}

Result<std::map<std::string, std::string>> ReadKubeStringMap(const YamlNode& node,
                                                             const std::string& path,
                                                             bool label_values) {
  return ReadStringMapImpl(node, path, label_values);
}

Result<std::string> YamlNodeToJson(const YamlNode& node, const std::string& path) {
  auto j = ToJson(node, path);
  if (!j) return j.error();
  return j->dump();
}

}  // namespace gdsweep
