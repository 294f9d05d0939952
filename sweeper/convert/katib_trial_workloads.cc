// The trialSpec kinds of a Katib Experiment beside a batch/v1 Job: a Kubeflow
// TFJob or PyTorchJob becomes kubernetes.kind tfjob or pytorchjob with its
// replicas (every replica runs the primary replica's pod), and any other
// resource (a JobSet, an Argo Workflow, ...) kind: custom, its trialSpec the
// manifest and Katib's successCondition/failureCondition its end rules.
#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <set>
#include <tuple>

#include "sweeper/convert/katib_trial_reader.h"
#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/study_parser_kubernetes_pod.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

constexpr const char* kWorkloadTt = "spec.trialTemplate";
const std::string kSpecPath = std::string(kWorkloadTt) + ".trialSpec";

// The Katib defaults of a training-operator job's conditions.
constexpr const char* kKubeflowSuccess =
    R"(status.conditions.#(type=="Succeeded")#|#(status=="True")#)";
constexpr const char* kKubeflowFailure =
    R"(status.conditions.#(type=="Failed")#|#(status=="True")#)";

// "PS" -> "ps", as the study file writes a replica type.
std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

// A Katib GJSON condition in one of the forms its examples use, as a
// kubernetes.custom rule: status.conditions.#(type=="T")#|#(status=="True")#
// is {condition: T}; status.[@this].#(PATH=="V")# is {field: status.PATH,
// values: [V]}.
std::optional<YamlNode> RuleOf(const YamlNode& condition) {
  static const std::regex kCondition(
      R"re(\s*status\.conditions\.#\(type=="([^"]+)"\)#\|#\(status=="True"\)#\s*)re");
  static const std::regex kField(
      R"re(\s*status\.\[@this\]\.#\(([A-Za-z0-9_.]+)=="([^"]*)"\)#\s*)re");
  std::smatch m;
  YamlNode rule = MapNode(condition.location);
  if (std::regex_match(condition.scalar, m, kCondition)) {
    Put(rule, "condition", StringNode(m[1].str(), condition.location));
    return rule;
  }
  if (std::regex_match(condition.scalar, m, kField)) {
    Put(rule, "field", StringNode("status." + m[1].str(), condition.location));
    Put(rule, "values", ListNode(condition.location, {StringNode(m[2].str(), condition.location)}));
    return rule;
  }
  return std::nullopt;
}

// The first scalar under `node` that still names a Katib placeholder, with
// its key path.
const YamlNode* FindPlaceholder(const YamlNode& node, const std::string& path, std::string* at) {
  if (node.IsScalar()) {
    if (node.scalar.find("${trialParameters.") != std::string::npos ||
        node.scalar.find("${trialSpec.") != std::string::npos) {
      *at = path;
      return &node;
    }
    return nullptr;
  }
  for (size_t i = 0; i < node.items.size(); ++i) {
    if (auto* f = FindPlaceholder(node.items[i], IndexPath(path, i), at)) return f;
  }
  for (const auto& e : node.entries) {
    if (auto* f = FindPlaceholder(e.value, JoinPath(path, e.key), at)) return f;
  }
  return nullptr;
}

// The container named `name` under `node` (the first when no name), to edit.
YamlNode* FindContainer(YamlNode& node, const std::string& name) {
  if (node.IsMapping()) {
    if (YamlEntry* cs = node.Find("containers"); cs && cs->value.IsSequence()) {
      for (auto& c : cs->value.items) {
        const YamlNode* n = c.IsMapping() ? FindValue(c, "name") : nullptr;
        if (n && n->scalar == name) return &c;
      }
    }
    for (auto& e : node.entries) {
      if (YamlNode* found = FindContainer(e.value, name)) return found;
    }
  }
  for (auto& item : node.items) {
    if (YamlNode* found = FindContainer(item, name)) return found;
  }
  return nullptr;
}

}  // namespace

void TrialReader::NoteOwnConditions(const YamlNode& tt, const std::string& success,
                                    const std::string& failure, const std::string& what) {
  for (const auto& [key, own] : {std::pair<const char*, std::string>{"successCondition", success},
                                 {"failureCondition", failure}}) {
    const YamlEntry* e = tt.Find(key);
    if (!e) continue;
    const std::string path = std::string(kWorkloadTt) + "." + key;
    if (e->value.scalar == own) {
      c_.Info(e->key_location, path, "Katib's default: gdsweep follows " + what, "kubernetes");
    } else {
      c_.Warn(e->key_location, path, "not carried over: gdsweep follows " + what, "kubernetes");
    }
  }
}

Status TrialReader::ReadKubeflow(const YamlNode& tt, const YamlNode& trial_spec,
                                 const YamlNode& metadata, bool tf) {
  const YamlNode* primary_name = FindValue(tt, "primaryContainerName");
  const std::string kind = tf ? "TFJob" : "PyTorchJob";
  const char* specs_key = tf ? "tfReplicaSpecs" : "pytorchReplicaSpecs";
  const std::vector<std::string> roles =
      tf ? std::vector<std::string>{"chief", "master", "worker", "ps", "evaluator"}
         : std::vector<std::string>{"master", "worker"};
  const YamlNode* spec = FindValue(trial_spec, "spec");
  if (!spec) return MissingKey(trial_spec, kSpecPath, "spec");
  if (auto s = ExpectMapping(*spec, kSpecPath + ".spec"); !s) return s;
  const std::string specs_path = kSpecPath + ".spec." + specs_key;
  const YamlNode* replica_specs = FindValue(*spec, specs_key);
  if (!replica_specs) return MissingKey(*spec, kSpecPath + ".spec", specs_key);
  if (auto s = ExpectMapping(*replica_specs, specs_path); !s) return s;
  if (replica_specs->entries.empty()) {
    return ErrorAt(replica_specs->location, specs_path, "has no replica");
  }
  YamlNode& k = Put(c_.study, "kubernetes", MapNode(trial_spec.location));
  Put(k, "kind", PlainNode(Lower(kind), trial_spec.location));
  YamlNode& replicas = Put(k, "replicas", MapNode(replica_specs->location));
  std::set<std::string> present;  // the replica types, as the study file writes them
  // The primary replica: the one primaryPodLabels names, else the first of
  // roles' order with the primary container.
  const YamlEntry* primary = nullptr;
  const YamlNode* labels = FindValue(tt, "primaryPodLabels");
  const YamlNode* labelled_type = labels && labels->IsMapping()
                                      ? FindValue(*labels, "training.kubeflow.org/replica-type")
                                      : nullptr;
  for (const auto& e : replica_specs->entries) {
    if (labelled_type && Lower(e.key) == Lower(labelled_type->scalar) &&
        FindPrimary(e.value, primary_name)) {
      primary = &e;
    }
  }
  for (const auto& role : roles) {
    for (const auto& e : replica_specs->entries) {
      if (!primary && Lower(e.key) == role && FindPrimary(e.value, primary_name)) primary = &e;
    }
  }
  for (const auto& e : replica_specs->entries) {
    const std::string path = JoinPath(specs_path, e.key);
    if (auto s = ExpectMapping(e.value, path); !s) return s;
    if (std::find(roles.begin(), roles.end(), Lower(e.key)) == roles.end()) {
      std::string all;
      for (const auto& r : roles) all += (all.empty() ? "" : ", ") + r;
      return ErrorAt(e.key_location, path, "not a replica type of a " + kind + " (" + all + ")");
    }
    const YamlNode* n = FindValue(e.value, "replicas");
    Put(replicas, Lower(e.key), n ? *n : IntNode(1, e.key_location), e.key_location);
    present.insert(Lower(e.key));
    if (n) c_.Origin(n->location, JoinPath(path, "replicas"));
    for (const auto& r : e.value.entries) {
      if (r.key == "replicas" || r.key == "template") continue;
      if (r.key == "restartPolicy" && r.value.scalar == "Never") continue;
      c_.Warn(r.key_location, JoinPath(path, r.key),
              r.key == "restartPolicy"
                  ? "not carried over: gdsweep's replicas use restartPolicy Never (a failed "
                    "trial runs again through trial.retries)"
                  : "not carried over",
              "kubernetes");
    }
  }
  if (!primary) {
    return ErrorAt(primary_name ? primary_name->location : replica_specs->location,
                   std::string(kWorkloadTt) + ".primaryContainerName",
                   "no replica of " + specs_path + " has the primary container");
  }
  const YamlNode* tmpl = FindValue(primary->value, "template");
  const YamlNode* container = FindPrimary(primary->value, primary_name);
  if (auto s = ReadCommand(*container, Trial()); !s) return s;
  // Every replica runs the primary replica's pod.
  auto primary_json = tmpl ? YamlNodeToJson(*tmpl, "") : Result<std::string>(std::string());
  for (const auto& e : replica_specs->entries) {
    if (&e == primary) continue;
    const YamlNode* other = FindValue(e.value, "template");
    auto other_json = other ? YamlNodeToJson(*other, "") : Result<std::string>(std::string());
    if (!primary_json || !other_json || *primary_json != *other_json) {
      c_.Warn(other ? other->location : e.key_location, JoinPath(specs_path, e.key) + ".template",
              "not carried over: it differs from " + primary->key +
                  "'s, and every replica of a gdsweep " + Lower(kind) + " runs " + primary->key +
                  "'s pod (the operator tells each replica its role)",
              "kubernetes");
    }
  }
  const std::string default_container = tf ? "tensorflow" : "pytorch";
  if (const YamlNode* name = FindValue(*container, "name");
      name && name->scalar != default_container) {
    Put(k, "container", *name);
  }
  // primaryPodLabels: the replica whose log holds the metrics.
  std::string metrics_from;
  for (const auto& role : roles) {
    if (present.count(role) && (role == "chief" || role == "master")) {
      metrics_from = role + "-0";
      break;
    }
  }
  if (metrics_from.empty()) metrics_from = present.count("worker") ? "worker-0" : "";
  if (labels && labels->IsMapping()) {
    const YamlNode* type = labelled_type;
    const YamlNode* index = FindValue(*labels, "training.kubeflow.org/replica-index");
    const YamlNode* role = FindValue(*labels, "training.kubeflow.org/job-role");
    const std::string path = std::string(kWorkloadTt) + ".primaryPodLabels";
    if (type) {
      Put(k, "metrics_from",
          StringNode(Lower(type->scalar) + "-" + (index ? index->scalar : "0"), type->location),
          labels->location);
      c_.Origin(type->location, path);
      c_.Info(labels->location, path,
              "becomes kubernetes.metrics_from: the metrics are read from that replica's log",
              "kubernetes");
    } else if (role && role->scalar == "master" && !metrics_from.empty()) {
      c_.Info(labels->location, path,
              "the job-role master pod is " + metrics_from + ", whose log gdsweep reads",
              "kubernetes");
    } else {
      c_.Warn(labels->location, path,
              "not carried over: the metrics are read from " + metrics_from +
                  "'s log (set kubernetes.metrics_from to read another replica's)",
              "kubernetes");
    }
  } else {
    c_.Info(tt.location, std::string(kWorkloadTt),
            "the metrics are read from the log of replica " + metrics_from +
                " (every replica's log is kept)",
            "kubernetes");
  }
  NoteOwnConditions(tt, kKubeflowSuccess, kKubeflowFailure,
                    "the operator's Succeeded and Failed conditions");
  if (auto s = ReadContainer(*container, metadata, k); !s) return s;
  for (const auto& e : spec->entries) {
    if (e.key == specs_key) continue;
    const std::string path = JoinPath(kSpecPath + ".spec", e.key);
    if (e.key != "runPolicy" || !e.value.IsMapping()) {
      c_.Warn(e.key_location, path, "not carried over", "kubernetes");
      continue;
    }
    for (const auto& r : e.value.entries) {
      if (r.key == "backoffLimit") {
        Put(k, "backoff_limit", r.value, r.key_location);
      } else if (r.key == "ttlSecondsAfterFinished") {
        Put(k, "ttl_after_finished", r.value, r.key_location);
      } else {
        c_.Warn(r.key_location, JoinPath(path, r.key),
                r.key == "cleanPodPolicy"
                    ? "not carried over: gdsweep sets None (replica logs stay readable) and "
                      "deletes the job with its pods itself"
                    : "not carried over",
                "kubernetes");
      }
    }
  }
  ReadLabels(trial_spec, tmpl, k);
  const YamlNode* pod = tmpl ? FindValue(*tmpl, "spec") : nullptr;
  if (pod && pod->IsMapping()) {
    ReadPod(*pod, *container, k, JoinPath(specs_path, primary->key) + ".template.spec.");
  }
  ReadRetain(tt, k);
  return {};
}

Status TrialReader::ReadCustom(const YamlNode& tt, const YamlNode& trial_spec,
                               const YamlNode& container, const YamlNode& metadata) {
  const YamlNode* api = FindValue(trial_spec, "apiVersion");
  if (!api) return MissingKey(trial_spec, kSpecPath, "apiVersion");
  const YamlNode* kind = FindValue(trial_spec, "kind");
  if (!kind) return MissingKey(trial_spec, kSpecPath, "kind");
  const YamlNode* name = FindValue(container, "name");
  if (!name) return MissingKey(container, "primary container", "name");
  YamlNode& k = Put(c_.study, "kubernetes", MapNode(trial_spec.location));
  if (const YamlNode* ns = FindValue(metadata, "namespace")) {
    Put(k, "namespace", *ns);
    c_.Origin(ns->location, "metadata.namespace");
  }
  Put(k, "kind", PlainNode("custom", trial_spec.location));
  Put(k, "container", *name);
  YamlNode& custom = Put(k, "custom", MapNode(trial_spec.location));
  // The manifest is trialSpec itself; the primary container's command and
  // parameter-bearing env come from the trial section (ReadCommand, below).
  YamlNode manifest = trial_spec;
  YamlNode* primary = FindContainer(manifest, name->scalar);
  YamlNode& trial = Trial();
  for (const char* key : {"command", "args"}) {
    auto& es = primary->entries;
    es.erase(std::remove_if(es.begin(), es.end(), [&](const YamlEntry& e) { return e.key == key; }),
             es.end());
  }
  if (YamlEntry* env = primary->Find("env"); env && env->value.IsSequence()) {
    auto& items = env->value.items;
    for (size_t i = 0; i < items.size();) {
      const YamlNode* n = items[i].IsMapping() ? FindValue(items[i], "name") : nullptr;
      const YamlNode* v = items[i].IsMapping() ? FindValue(items[i], "value") : nullptr;
      if (!n || !v || v->scalar.find("${trialParameters.") == std::string::npos) {
        ++i;
        continue;
      }
      auto sub = Substitute(*v, IndexPath("primary container env", i));
      if (!sub) return sub.error();
      Put(Section(trial, "env", items[i].location), n->scalar, StringNode(*sub, v->location),
          n->location);
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  std::string at;
  if (const YamlNode* left = FindPlaceholder(manifest, kSpecPath, &at)) {
    return ErrorAt(left->location, at,
                   "'" + left->scalar +
                       "': gdsweep renders a trial's parameters into the primary container's "
                       "command and env only; elsewhere in a custom resource they cannot be "
                       "carried over (read them from $GDSWEEP_PARAMS_FILE, or move them there)");
  }
  Put(custom, "manifest", std::move(manifest), trial_spec.location);
  const bool kubeflow = api->scalar.rfind("kubeflow.org/", 0) == 0;
  for (const auto& [key, rule_key, fallback] :
       {std::tuple<const char*, const char*, const char*>{"successCondition", "success",
                                                          kKubeflowSuccess},
        {"failureCondition", "failure", kKubeflowFailure}}) {
    const std::string path = std::string(kWorkloadTt) + "." + key;
    const YamlNode* cond = FindValue(tt, key);
    if (!cond && !kubeflow) {
      return ErrorAt(tt.location, path,
                     "missing: a trialSpec of kind " + kind->scalar +
                         " needs successCondition and failureCondition (Katib needs them too), "
                         "which become kubernetes.custom.success and failure");
    }
    YamlNode text = cond ? *cond : StringNode(fallback, tt.location);
    auto rule = RuleOf(text);
    if (!rule) {
      return ErrorAt(text.location, path,
                     "'" + text.scalar +
                         "' is not a form gdsweep reads: status.conditions.#(type==\"TYPE\")#|"
                         "#(status==\"True\")# or status.[@this].#(FIELD==\"VALUE\")#; write "
                         "kubernetes.custom." +
                         rule_key + " by hand");
    }
    if (!cond) {
      c_.Info(tt.location, path,
              std::string("Katib's default for kubeflow.org jobs: the condition ") +
                  (std::string(rule_key) == "success" ? "Succeeded" : "Failed"),
              "kubernetes");
    }
    Put(custom, rule_key, std::move(*rule), cond ? cond->location : tt.location);
  }
  if (const YamlNode* labels = FindValue(tt, "primaryPodLabels"); labels && labels->IsMapping()) {
    YamlNode& mp = Put(custom, "metrics_pod", MapNode(labels->location));
    Put(mp, "labels", *labels, labels->location);
    c_.Info(labels->location, std::string(kWorkloadTt) + ".primaryPodLabels",
            "becomes kubernetes.custom.metrics_pod.labels: the metrics are read from those pods",
            "kubernetes");
  } else {
    c_.Info(tt.location, std::string(kWorkloadTt),
            "no primaryPodLabels: the metrics are read from every pod of the resource",
            "kubernetes");
  }
  c_.Info(api->location, kSpecPath,
          "becomes kubernetes.kind: custom; before the first trial gdsweep asks the cluster "
          "whether it serves the kind and has the server check the manifest (a dry run)",
          "kubernetes");
  ReadRetain(tt, k);
  return {};
}

}  // namespace gdsweep
