// How the Katib importer reads an Experiment's trialTemplate (katib_trial.h):
// the trial parameters, the primary container's command and env, and the
// trialSpec as the kubernetes section of its kind (a batch/v1 Job, a Kubeflow
// TFJob or PyTorchJob, or any other resource as kind: custom). Internal to
// gdsweep_convert; one reader per conversion, not shared between threads.
#pragma once

#include <map>
#include <string>

#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"

namespace gdsweep {

class TrialReader {
 public:
  TrialReader(const ConvertOptions& options, Conversion& c) : options_(options), c_(c) {}

  Status Read(const YamlNode& spec, const YamlNode& metadata);

  // The container named `name` anywhere under `node` (a Job's template, a
  // training job's Master replica); the first container when no name.
  static const YamlNode* FindPrimary(const YamlNode& node, const YamlNode* name);

 private:
  Status ReadTrialParameters(const YamlNode& tt);
  // "--lr=${trialParameters.learningRate}" -> "--lr={lr}", other braces doubled.
  Result<std::string> Substitute(const YamlNode& node, const std::string& path);
  Status ReadCommand(const YamlNode& container, YamlNode& trial);
  YamlNode& Trial();
  Status ReadLocalEnv(const YamlNode& container);

  // katib_trial.cc: a batch/v1 Job, and what every pod-template kind shares.
  Status ReadJob(const YamlNode& tt, const YamlNode& job, const YamlNode& container,
                 const YamlNode& metadata);
  // The primary container's image, env, resources, ... into `k`.
  Status ReadContainer(const YamlNode& container, const YamlNode& metadata, YamlNode& k);
  // The labels and annotations of `resource` and of its pod template `tmpl`.
  void ReadLabels(const YamlNode& resource, const YamlNode* tmpl, YamlNode& k);
  void ReadPod(const YamlNode& pod, const YamlNode& container, YamlNode& k,
               const std::string& base);
  Status ReadContainerEnv(const YamlNode& container, YamlNode& k, YamlNode& trial);
  // Katib's retain: the trial's resource is kept.
  void ReadRetain(const YamlNode& tt, YamlNode& k);

  // katib_trial_workloads.cc: the other kinds.
  Status ReadKubeflow(const YamlNode& tt, const YamlNode& trial_spec, const YamlNode& metadata,
                      bool tf);
  Status ReadCustom(const YamlNode& tt, const YamlNode& trial_spec, const YamlNode& container,
                    const YamlNode& metadata);
  // successCondition and failureCondition of a kind gdsweep follows by its
  // own conditions: a note that says whether they are that kind's.
  void NoteOwnConditions(const YamlNode& tt, const std::string& success, const std::string& failure,
                         const std::string& what);

  const ConvertOptions& options_;
  Conversion& c_;
  std::map<std::string, std::string> refs_;  // trial parameter name -> placeholder text
};

}  // namespace gdsweep
