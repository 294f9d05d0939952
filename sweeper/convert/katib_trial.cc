#include "sweeper/convert/katib_trial.h"

#include <algorithm>
#include <map>

#include "sweeper/convert/katib_trial_reader.h"
#include "sweeper/convert/wandb_config.h"
#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/suggest.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

constexpr const char* kTt = "spec.trialTemplate";

// The pod-level keys of a Job's template read into the kubernetes section.
const std::map<std::string, std::string> kPodKeys = {
    {"serviceAccountName", "service_account"},
    {"nodeSelector", "node_selector"},
    {"priorityClassName", "priority_class"},
};

// The Katib defaults of a Job's successCondition and failureCondition.
constexpr const char* kJobSuccess = R"(status.conditions.#(type=="Complete")#|#(status=="True")#)";
constexpr const char* kJobFailure = R"(status.conditions.#(type=="Failed")#|#(status=="True")#)";

}  // namespace

Status TrialReader::Read(const YamlNode& spec, const YamlNode& metadata) {
  const YamlNode* tt = FindValue(spec, "trialTemplate");
  if (!tt) return MissingKey(spec, "spec", "trialTemplate");
  if (auto s = ExpectMapping(*tt, kTt); !s) return s;
  if (const YamlEntry* cm = tt->Find("configMap")) {
    return ErrorAt(cm->key_location, std::string(kTt) + ".configMap",
                   "a trial template kept in a ConfigMap is not read; put it in trialSpec");
  }
  if (auto s = ReadTrialParameters(*tt); !s) return s;
  const YamlNode* trial_spec = FindValue(*tt, "trialSpec");
  if (!trial_spec) return MissingKey(*tt, kTt, "trialSpec");
  if (auto s = ExpectMapping(*trial_spec, std::string(kTt) + ".trialSpec"); !s) return s;
  const YamlNode* primary_name = FindValue(*tt, "primaryContainerName");
  const YamlNode* kind = FindValue(*trial_spec, "kind");
  const YamlNode* api = FindValue(*trial_spec, "apiVersion");
  const std::string kind_text = kind ? kind->scalar : std::string("(none)");
  const bool job = kind && kind->scalar == "Job" && (!api || api->scalar == "batch/v1");
  const bool kubeflow = kind && api && api->scalar == "kubeflow.org/v1" &&
                        (kind->scalar == "TFJob" || kind->scalar == "PyTorchJob");
  const std::string backend = options_.backend.empty() ? "kubernetes" : options_.backend;
  const std::string kind_path = std::string(kTt) + ".trialSpec.kind";
  if (backend != "kubernetes" && backend != "local") {
    return Error::Invalid("--backend: expected local or kubernetes, got '" + backend + "'");
  }
  if (!job && backend == "local") {
    c_.Warn(kind ? kind->location : trial_spec->location, kind_path,
            "trialSpec kind " + kind_text +
                " runs here as one local process: the primary container's command, without "
                "its other replicas, image or resources",
            "trial");
  }
  const YamlNode* container = FindPrimary(*trial_spec, primary_name);
  if (!container) {
    return ErrorAt(primary_name ? primary_name->location : tt->location,
                   std::string(kTt) + ".primaryContainerName",
                   primary_name ? "no container named '" + primary_name->scalar + "' in trialSpec"
                                : "trialSpec has no container");
  }
  YamlNode& trial = Put(c_.study, "trial", MapNode(tt->location));
  // A training job's command is its primary replica's (ReadKubeflow).
  if (!kubeflow || backend == "local") {
    if (auto s = ReadCommand(*container, trial); !s) return s;
  }
  Put(c_.study, "backend", PlainNode(backend, tt->location));
  if (backend == "local") {
    for (const char* key : {"successCondition", "failureCondition", "primaryPodLabels"}) {
      if (const YamlEntry* e = tt->Find(key)) {
        c_.Warn(e->key_location, std::string(kTt) + "." + key,
                "not carried over: a local trial ends when its process does", "trial");
      }
    }
    return ReadLocalEnv(*container);
  }
  if (job) return ReadJob(*tt, *trial_spec, *container, metadata);
  if (kubeflow) return ReadKubeflow(*tt, *trial_spec, metadata, kind->scalar == "TFJob");
  return ReadCustom(*tt, *trial_spec, *container, metadata);
}

// trialParameters: [{name: learningRate, reference: lr}] -> learningRate -> lr.
Status TrialReader::ReadTrialParameters(const YamlNode& tt) {
  const std::string path = std::string(kTt) + ".trialParameters";
  const YamlNode* list = FindValue(tt, "trialParameters");
  if (!list) return {};
  if (auto s = ExpectList(*list, path); !s) return s;
  const YamlNode* space = FindValue(c_.study, "search_space");
  for (size_t i = 0; i < list->items.size(); ++i) {
    const YamlNode& item = list->items[i];
    const std::string ip = IndexPath(path, i);
    if (auto s = ExpectMapping(item, ip); !s) return s;
    const YamlNode* name = FindValue(item, "name");
    const YamlNode* ref = FindValue(item, "reference");
    if (!name) return MissingKey(item, ip, "name");
    if (!ref) return MissingKey(item, ip, "reference");
    std::string target;
    if (ref->scalar == "${trialSpec.Name}") {
      target = "{study.name}-{trial.number}";
      c_.Info(ref->location, ip + ".reference",
              "${trialSpec.Name} becomes {study.name}-{trial.number}", "trial");
    } else if (ref->scalar.rfind("${trialSpec.", 0) == 0) {
      return ErrorAt(
          ref->location, ip + ".reference",
          "'" + ref->scalar + "' has no gdsweep equivalent (only ${trialSpec.Name} is read)");
    } else {
      if (space && !space->Find(ref->scalar)) {
        std::vector<std::string> names;
        for (const auto& e : space->entries) names.push_back(e.key);
        return ErrorAt(ref->location, ip + ".reference",
                       "not a parameter of spec.parameters" + DidYouMean(ref->scalar, names));
      }
      target = "{" + ref->scalar + "}";
    }
    refs_[name->scalar] = target;
  }
  return {};
}

// The container named `name` anywhere under `node` (a Job's template, a
// training job's Master replica); the first container when no name.
const YamlNode* TrialReader::FindPrimary(const YamlNode& node, const YamlNode* name) {
  if (node.IsMapping()) {
    if (const YamlNode* cs = FindValue(node, "containers"); cs && cs->IsSequence()) {
      for (const auto& c : cs->items) {
        const YamlNode* n = c.IsMapping() ? FindValue(c, "name") : nullptr;
        if (!name || (n && n->scalar == name->scalar)) return &c;
      }
    }
    for (const auto& e : node.entries) {
      if (const YamlNode* found = FindPrimary(e.value, name)) return found;
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node.items) {
      if (const YamlNode* found = FindPrimary(item, name)) return found;
    }
  }
  return nullptr;
}

// "--lr=${trialParameters.learningRate}" -> "--lr={lr}", other braces doubled.
Result<std::string> TrialReader::Substitute(const YamlNode& node, const std::string& path) {
  const std::string& t = node.scalar;
  std::string out;
  size_t pos = 0;
  const std::string marker = "${trialParameters.";
  while (pos < t.size()) {
    const size_t open = t.find(marker, pos);
    if (open == std::string::npos) {
      out += EscapeBraces(t.substr(pos));
      break;
    }
    out += EscapeBraces(t.substr(pos, open - pos));
    const size_t close = t.find('}', open);
    if (close == std::string::npos) return ErrorAt(LocationIn(node, open), path, "unclosed ${");
    const std::string name = t.substr(open + marker.size(), close - open - marker.size());
    auto it = refs_.find(name);
    if (it == refs_.end()) {
      std::vector<std::string> names;
      for (const auto& [n, r] : refs_) names.push_back(n);
      return ErrorAt(
          LocationIn(node, open), path,
          "'" + name + "' is not in " + kTt + ".trialParameters" + DidYouMean(name, names));
    }
    out += it->second;
    pos = close + 1;
  }
  return out;
}

Status TrialReader::ReadCommand(const YamlNode& container, YamlNode& trial) {
  if (!options_.command.empty()) {
    Put(trial, "command", CommandNode(options_.command, container.location));
    c_.Info(container.location, "primary container", "its command is replaced by --command",
            "trial");
    return {};
  }
  YamlNode argv = ListNode(container.location);
  for (const char* key : {"command", "args"}) {
    const YamlNode* list = FindValue(container, key);
    if (!list) continue;
    if (auto s = ExpectList(*list, key); !s) return s;
    for (size_t i = 0; i < list->items.size(); ++i) {
      const std::string ip = IndexPath(std::string("primary container ") + key, i);
      auto arg = ReadString(list->items[i], ip);
      if (!arg) return arg.error();
      auto sub = Substitute(list->items[i], ip);
      if (!sub) return sub.error();
      argv.items.push_back(StringNode(*sub, list->items[i].location));
      c_.Origin(list->items[i].location, ip);
    }
  }
  if (argv.items.empty()) {
    return ErrorAt(container.location, "primary container",
                   "has no command: gdsweep needs the trial's argv (its image's entrypoint "
                   "is not known here); add command, or give --command");
  }
  Put(trial, "command", std::move(argv));
  return {};
}

// The trial section (found again: adding sections moves it).
YamlNode& TrialReader::Trial() { return c_.study.Find("trial")->value; }

Status TrialReader::ReadLocalEnv(const YamlNode& container) {
  YamlNode& trial = Trial();
  const YamlNode* env = FindValue(container, "env");
  if (env && env->IsSequence()) {
    YamlNode& out = Put(trial, "env", MapNode(env->location));
    for (size_t i = 0; i < env->items.size(); ++i) {
      const YamlNode& item = env->items[i];
      const YamlNode* n = item.IsMapping() ? FindValue(item, "name") : nullptr;
      const YamlNode* v = item.IsMapping() ? FindValue(item, "value") : nullptr;
      const std::string ip = IndexPath("primary container env", i);
      if (!n || !v) {
        c_.Warn(item.location, ip, "not carried over: only literal values run locally", "trial");
        continue;
      }
      auto sub = Substitute(*v, ip);
      if (!sub) return sub.error();
      Put(out, n->scalar, StringNode(*sub, v->location), n->location);
    }
    if (out.entries.empty()) trial.entries.pop_back();
  }
  c_.Warn(container.location, "primary container",
          "runs as a local process: its image, resources and mounts are not used", "trial");
  return {};
}

Status TrialReader::ReadJob(const YamlNode& tt, const YamlNode& job, const YamlNode& container,
                            const YamlNode& metadata) {
  YamlNode& k = Put(c_.study, "kubernetes", MapNode(job.location));
  NoteOwnConditions(tt, kJobSuccess, kJobFailure, "the Job's own completion");
  if (const YamlEntry* e = tt.Find("primaryPodLabels")) {
    c_.Info(e->key_location, std::string(kTt) + ".primaryPodLabels",
            "not needed: a trial's Job has one pod, whose log is read", "kubernetes");
  }
  if (auto s = ReadContainer(container, metadata, k); !s) return s;
  const YamlNode* job_spec = FindValue(job, "spec");
  const YamlNode* tmpl = job_spec ? FindValue(*job_spec, "template") : nullptr;
  const YamlNode* pod = tmpl ? FindValue(*tmpl, "spec") : nullptr;
  if (job_spec) {
    for (const auto& e : job_spec->entries) {
      const std::string path = std::string(kTt) + ".trialSpec.spec." + e.key;
      if (e.key == "template") continue;
      if (e.key == "backoffLimit") {
        Put(k, "backoff_limit", e.value, e.key_location);
      } else if (e.key == "ttlSecondsAfterFinished") {
        Put(k, "ttl_after_finished", e.value, e.key_location);
      } else {
        c_.Warn(e.key_location, path, "not carried over", "kubernetes");
      }
    }
  }
  ReadLabels(job, tmpl, k);
  if (pod && pod->IsMapping()) {
    ReadPod(*pod, container, k, std::string(kTt) + ".trialSpec.spec.template.spec.");
  }
  ReadRetain(tt, k);
  return {};
}

Status TrialReader::ReadContainer(const YamlNode& container, const YamlNode& metadata,
                                  YamlNode& k) {
  YamlNode& trial = Trial();
  if (const YamlNode* ns = FindValue(metadata, "namespace")) {
    Put(k, "namespace", *ns);
    c_.Origin(ns->location, "metadata.namespace");
  }
  const YamlNode* image = FindValue(container, "image");
  if (!image) return MissingKey(container, "primary container", "image");
  Put(k, "image", *image);
  c_.Origin(image->location, "primary container image");
  if (const YamlNode* v = FindValue(container, "imagePullPolicy")) Put(k, "image_pull_policy", *v);
  if (const YamlNode* v = FindValue(container, "workingDir")) Put(k, "working_dir", *v);
  if (const YamlNode* v = FindValue(container, "resources")) {
    Put(k, "resources", *v);
    c_.Origin(v->location, "primary container resources");
  }
  if (auto s = ReadContainerEnv(container, k, trial); !s) return s;
  for (const auto& e : container.entries) {
    static const std::vector<std::string> kRead = {
        "name", "image", "imagePullPolicy", "workingDir", "resources", "env", "command", "args"};
    if (std::find(kRead.begin(), kRead.end(), e.key) != kRead.end()) continue;
    c_.Warn(e.key_location, "primary container " + e.key,
            "not carried over: the kubernetes section has no equivalent (a Job template file, "
            "kubernetes.job_template, can hold it)",
            "kubernetes");
  }
  return {};
}

void TrialReader::ReadLabels(const YamlNode& resource, const YamlNode* tmpl, YamlNode& k) {
  for (const YamlNode* meta :
       {FindValue(resource, "metadata"), tmpl ? FindValue(*tmpl, "metadata") : nullptr}) {
    if (!meta || !meta->IsMapping()) continue;
    for (const char* key : {"labels", "annotations"}) {
      const YamlNode* m = FindValue(*meta, key);
      if (!m || !m->IsMapping()) continue;
      YamlNode& out = Section(k, key, m->location);
      for (const auto& e : m->entries) Put(out, e.key, e.value, e.key_location);
    }
  }
}

void TrialReader::ReadRetain(const YamlNode& tt, YamlNode& k) {
  const YamlEntry* e = tt.Find("retain");
  if (!e) return;
  if (e->value.scalar == "true") {
    Put(k, "on_finish", PlainNode("keep", e->value.location), e->key_location);
    c_.Info(e->key_location, std::string(kTt) + ".retain",
            "becomes kubernetes.on_finish: keep (a finished trial's resource is kept)",
            "kubernetes");
  }
}

void TrialReader::ReadPod(const YamlNode& pod, const YamlNode& container, YamlNode& k,
                          const std::string& base) {
  for (const auto& e : pod.entries) {
    if (auto it = kPodKeys.find(e.key); it != kPodKeys.end()) {
      Put(k, it->second, e.value, e.key_location);
    } else if (e.key == "restartPolicy") {
      if (e.value.scalar != "Never") {
        c_.Warn(e.key_location, base + e.key,
                "gdsweep's pods use restartPolicy Never (a failed trial runs again through "
                "trial.retries)",
                "kubernetes");
      }
    } else if (e.key == "imagePullSecrets" && e.value.IsSequence()) {
      YamlNode names = ListNode(e.value.location);
      for (const auto& item : e.value.items) {
        if (const YamlNode* n = item.IsMapping() ? FindValue(item, "name") : nullptr) {
          names.items.push_back(*n);
        }
      }
      Put(k, "image_pull_secrets", std::move(names), e.key_location);
    } else if (e.key == "containers") {
      for (const auto& c : e.value.items) {
        if (&c == &container) continue;
        const YamlNode* n = c.IsMapping() ? FindValue(c, "name") : nullptr;
        c_.Warn(c.location, base + "containers",
                "container '" + (n ? n->scalar : std::string("?")) +
                    "' not carried over: gdsweep runs one container per trial",
                "kubernetes");
      }
    } else {
      c_.Warn(e.key_location, base + e.key,
              "not carried over (a Job template file, kubernetes.job_template, can hold it)",
              "kubernetes");
    }
  }
}

// Literal values go to kubernetes.env, values with a trial parameter to
// trial.env (placeholders are expanded there), secrets and config maps as
// kubernetes.env references.
Status TrialReader::ReadContainerEnv(const YamlNode& container, YamlNode& k, YamlNode& trial) {
  const YamlNode* env = FindValue(container, "env");
  if (!env || !env->IsSequence()) return {};
  for (size_t i = 0; i < env->items.size(); ++i) {
    const YamlNode& item = env->items[i];
    const std::string ip = IndexPath("primary container env", i);
    const YamlNode* n = item.IsMapping() ? FindValue(item, "name") : nullptr;
    if (!n) return ErrorAt(item.location, ip, "an env entry needs a name");
    if (const YamlNode* v = FindValue(item, "value")) {
      auto sub = Substitute(*v, ip);
      if (!sub) return sub.error();
      if (v->scalar.find("${trialParameters.") != std::string::npos) {
        Put(Section(trial, "env", item.location), n->scalar, StringNode(*sub, v->location),
            n->location);
      } else {
        Put(Section(k, "env", item.location), n->scalar, StringNode(v->scalar, v->location),
            n->location);
      }
      continue;
    }
    const YamlNode* from = FindValue(item, "valueFrom");
    const YamlNode* ref = nullptr;
    std::string kind;
    if (from && from->IsMapping()) {
      if ((ref = FindValue(*from, "secretKeyRef")))
        kind = "secret";
      else if ((ref = FindValue(*from, "configMapKeyRef")))
        kind = "config_map";
      else if (const YamlNode* f = FindValue(*from, "fieldRef")) {
        const YamlNode* path = f->IsMapping() ? FindValue(*f, "fieldPath") : nullptr;
        if (path) {
          YamlNode m = MapNode(item.location);
          Put(m, "field", *path);
          Put(Section(k, "env", item.location), n->scalar, std::move(m), n->location);
          continue;
        }
      }
    }
    if (!ref || !ref->IsMapping() || !FindValue(*ref, "name") || !FindValue(*ref, "key")) {
      c_.Warn(item.location, ip,
              "not carried over: an env source the kubernetes section "
              "cannot express",
              "kubernetes");
      continue;
    }
    YamlNode m = MapNode(item.location);
    Put(m, kind, *FindValue(*ref, "name"));
    Put(m, "key", *FindValue(*ref, "key"));
    if (const YamlNode* opt = FindValue(*ref, "optional")) Put(m, "optional", *opt);
    Put(Section(k, "env", item.location), n->scalar, std::move(m), n->location);
  }
  return {};
}

Status ReadKatibTrialTemplate(const YamlNode& spec, const YamlNode& metadata,
                              const ConvertOptions& options, Conversion& c) {
  return TrialReader(options, c).Read(spec, metadata);
}

}  // namespace gdsweep
