// The kubernetes section of a study file (docs/kubernetes.md): the cluster,
// the trial's container (image, resources incl. GPUs, env from Secrets and
// ConfigMaps, volumes, scheduling), labels, the Job's lifecycle, or a Job
// template file; every name checked against Kubernetes' rules, every error
// at its FILE:LINE:COLUMN. Also what `backend: kubernetes` asks of the rest
// of the study. Part of the study-file parser. Pure functions (the template
// file is read); thread-safe.
#pragma once

#include "sweeper/model/kubernetes_spec.h"
#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// `node` is the value of the top-level kubernetes key; a job_template path is
// resolved against the folder of `study_file`.
Result<KubernetesSpec> ParseKubernetes(const YamlNode& node, const std::string& study_file);

// Parses the section into spec.kubernetes when present, and when
// spec.backend is "kubernetes" checks that the study can run there: the
// section exists with an image or a job_template, results come from stdout,
// no local trial.working_dir, no {trial.dir}, and kubernetes.env does not
// repeat trial.env. (A local study may carry a partial section, such as a
// context set by --set, unchecked.)
Status ParseKubernetesSection(const YamlNode& root, StudySpec& spec);

}  // namespace gdsweep
