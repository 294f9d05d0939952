// Custom-resource trials: the manifest is walked for pod templates (which
// is where Argo, Ray, JobSet, the training operator and most others keep
// them), the trial is put into them, and the resource's status is read by
// the user's rules. A resource whose controller does not copy its pod
// templates' labels to its pods cannot be followed: documented.
#include "backends/kubernetes/workload_custom.h"

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "backends/kubernetes/job_manifest.h"

namespace gdsweep {
namespace {

using OrderedJson = nlohmann::ordered_json;

// A pod template: a "template" object whose spec has containers.
bool IsPodTemplate(const OrderedJson& j) {
  return j.is_object() && j.contains("spec") && j["spec"].is_object() &&
         j["spec"].contains("containers") && j["spec"]["containers"].is_array();
}

// The value at a dotted path under the status ("status.phase"), as text.
std::optional<std::string> StatusField(const std::string& status_json, const std::string& path) {
  OrderedJson j = OrderedJson::parse(status_json, nullptr, false);
  size_t at = std::string("status.").size();
  while (at <= path.size()) {
    const size_t dot = std::min(path.find('.', at), path.size());
    const std::string key = path.substr(at, dot - at);
    if (!j.is_object() || !j.contains(key)) return std::nullopt;
    j = OrderedJson(j[key]);
    at = dot + 1;
  }
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null() || j.is_object() || j.is_array()) return std::nullopt;
  return j.dump();
}

// The condition `rule` names, when it holds: {reason, message} for the judge.
std::optional<JobCondition> Holds(const KubernetesEndRule& rule, const JobInfo& job,
                                  const std::string& type) {
  if (!rule.condition.empty()) {
    for (const auto& c : job.conditions) {
      if (c.type == rule.condition && c.status == "True") {
        return JobCondition{type, "True", c.reason.empty() ? c.type : c.reason, c.message};
      }
    }
    return std::nullopt;
  }
  auto value = StatusField(job.status_json, rule.field);
  if (!value) return std::nullopt;
  for (const auto& v : rule.values) {
    if (*value == v) {
      std::string message = rule.field + " is " + v;
      if (auto m = StatusField(job.status_json, "status.message"); m && !m->empty()) {
        message += ": " + *m;
      }
      return JobCondition{type, "True", v, message};
    }
  }
  return std::nullopt;
}

class CustomWorkload final : public WorkloadKind {
 public:
  explicit CustomWorkload(const KubernetesSpec& spec) : spec_(spec), c_(spec_.custom) {}

  // Room for what a controller appends to make its children's names.
  std::string Name(const TrialLaunch& l) const override {
    return LetterFirstName(JobName(l.study_name, l.trial_number, l.trial_id, l.run, 63 - 12));
  }

  ResourceType Resource() const override {
    return {"/apis/" + c_.api_version, c_.plural, c_.kind, c_.api_version};
  }

  Result<std::string> Render(const TrialLaunch& launch, const std::string& params_json,
                             const std::string& namespace_) const override {
    if (launch.argv.empty()) return Error::Internal("the trial has an empty command");
    const std::string name = Name(launch);
    const std::string where = "kubernetes.custom.manifest (" + c_.manifest_path + ")";
    OrderedJson obj = OrderedJson::parse(c_.manifest_json);
    int templates = 0;
    int filled = 0;
    OrderedJson identity;  // the labels and annotations of a filled template
    Status failed;
    std::function<void(OrderedJson&)> walk = [&](OrderedJson& j) {
      if (!failed) return;
      if (j.is_array()) {
        for (auto& item : j) walk(item);
        return;
      }
      if (!j.is_object()) return;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "template" && IsPodTemplate(it.value())) {
          bool has = false;
          auto out = FillPodTemplate(spec_, launch, params_json, it.value().dump(),
                                     {{kLabelWorkload, name}}, where, &has);
          if (!out) {
            failed = out.error();
            return;
          }
          it.value() = OrderedJson::parse(*out);
          identity = it.value()["metadata"];
          ++templates;
          filled += has ? 1 : 0;
        } else {
          walk(it.value());
        }
      }
    };
    walk(obj);
    if (!failed) return failed.error();
    if (filled == 0) {
      return Error::Invalid(
          where + ": " +
          (templates == 0 ? std::string("has no pod template (a 'template' with spec.containers)")
                          : "no pod template has a container named '" + TrialContainer(spec_) +
                                "'; set kubernetes.container"));
    }
    OrderedJson meta = {{"name", name}};
    if (!namespace_.empty()) meta["namespace"] = namespace_;
    if (obj.contains("metadata") && obj["metadata"].is_object()) {
      for (auto it = obj["metadata"].begin(); it != obj["metadata"].end(); ++it) {
        if (it.key() != "name" && it.key() != "generateName" && it.key() != "namespace") {
          meta[it.key()] = it.value();
        }
      }
    }
    for (const char* key : {"labels", "annotations"}) {
      if (!meta[key].is_object()) meta[key] = OrderedJson::object();
      for (auto it = identity[key].begin(); it != identity[key].end(); ++it) {
        meta[key][it.key()] = it.value();
      }
    }
    obj["metadata"] = meta;
    return obj.dump();
  }

  std::string PodSelector(const std::string& name) const override {
    return std::string(kLabelWorkload) + "=" + name;
  }
  std::string ResourceOfPod(const PodInfo& pod) const override {
    auto it = pod.meta.labels.find(kLabelWorkload);
    return it == pod.meta.labels.end() ? "" : it->second;
  }

  void Observe(JobInfo& job) const override {
    std::vector<JobCondition> ours;
    if (auto ok = Holds(c_.success, job, "Succeeded")) {
      ours.push_back(*ok);
    } else if (auto bad = Holds(c_.failure, job, "Failed")) {
      ours.push_back(*bad);
    }
    job.conditions = ours;  // only the rules decide
  }

  std::string Provider() const override {
    return "the controller that defines it: a CustomResourceDefinition of group " +
           c_.api_version.substr(0, c_.api_version.find('/')) + " and kind " + c_.kind;
  }
  std::string DryRunKey() const override {
    return "kubernetes.custom.manifest (" + c_.manifest_path + ")";
  }

  // Every pod of the resource that carries the metrics labels is read, in
  // the order they were made; the others are kept by name.
  bool MultiPod() const override { return true; }
  std::string ReplicaOf(const PodInfo& pod) const override {
    for (const auto& [k, v] : c_.metrics_pod_labels) {
      auto it = pod.meta.labels.find(k);
      if (it == pod.meta.labels.end() || it->second != v) return pod.meta.name;
    }
    return "metrics";
  }
  std::string MetricsReplica() const override { return "metrics"; }

 private:
  const KubernetesSpec spec_;
  const KubernetesCustomResource& c_;
};

}  // namespace

std::unique_ptr<WorkloadKind> MakeCustomWorkload(const KubernetesSpec& spec) {
  return std::make_unique<CustomWorkload>(spec);
}

}  // namespace gdsweep
