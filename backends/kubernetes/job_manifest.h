// A trial's Kubernetes Job, rendered: a pure function of the study's
// kubernetes section and the trial's launch (command, environment,
// parameters, timeout), so a manifest can be reviewed (`gdsweep render`) and
// tested without a cluster, as Katib does. Also the Job's deterministic name
// and the gdsweep.io/* labels every Job carries. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "sweeper/model/kubernetes_spec.h"
#include "sweeper/model/result.h"

namespace gdsweep {

// Labels on every Job and pod gdsweep creates (values label-safe; the
// original text is in the annotation of the same name).
inline constexpr const char* kLabelStudy = "gdsweep.io/study";
inline constexpr const char* kLabelTag = "gdsweep.io/tag";
inline constexpr const char* kLabelTrial = "gdsweep.io/trial";
inline constexpr const char* kLabelAttempt = "gdsweep.io/attempt";
// Annotations besides those: the identity of the attempt, and its parameters.
inline constexpr const char* kAnnotationTrialId = "gdsweep.io/trial-id";
// The launch (TrialLaunch::run) the Job is: a rerun of an interrupted trial
// gets a Job of its own.
inline constexpr const char* kAnnotationRun = "gdsweep.io/run";
inline constexpr const char* kAnnotationParams = "gdsweep.io/params";
// Where a pod finds its parameters (a downward-API file of the annotation).
inline constexpr const char* kPodParamsFile = "/etc/gdsweep/params.json";

// The Job of launch `run` (TrialLaunch::run: retries and reruns after an
// interruption each count) of trial `number` (database id `trial_id`) of
// `study`: "<study>-t<number>-r<run>-<hash>", a DNS-1123 label of at most
// 63 characters. The study part is lower-cased, cut and cleaned; the hash of
// the full identity keeps distinct studies and trials apart. The same
// arguments always give the same name, so a create repeated after a crash
// finds the Job it made before. `max_length` (at most 63) leaves room for
// what Kubernetes appends (an Indexed Job's pod hostnames are
// "<job>-<index>").
std::string JobName(const std::string& study, int64_t number, int64_t trial_id, int run,
                    size_t max_length = 63);

// A pod template (JSON text of {metadata, spec}) of another resource with
// the trial put in as into a job_template's: the launch's labels and
// annotations (`extra_labels` too) merged into its metadata and, when its
// spec has the container TrialContainer(spec), that container running
// launch.argv with the trial's environment and the parameters file (its
// restartPolicy left as it is). `filled` says whether it had the container.
// `where` names the template in errors.
Result<std::string> FillPodTemplate(const KubernetesSpec& spec, const TrialLaunch& launch,
                                    const std::string& params_json,
                                    const std::string& template_json,
                                    const std::map<std::string, std::string>& extra_labels,
                                    const std::string& where, bool* filled);

// `name` when it starts with a letter (a DNS-1035 label, as Services and
// some operators' webhooks want), else "j" + name.
std::string LetterFirstName(const std::string& name);

// `job_json` (a Job as RenderJobManifest makes it) with `vars` (name, value)
// appended to the env of its pod's `container`.
std::string WithContainerEnv(const std::string& job_json, const std::string& container,
                             const std::vector<std::pair<std::string, std::string>>& vars);

// "gdsweep.io/study=<label-safe study>": selects a study's Jobs and pods.
std::string StudySelector(const std::string& study);

// The container that runs the trial: `container`, else "trial".
std::string TrialContainer(const KubernetesSpec& spec);

// The Job for `launch` as JSON text. `params_json` is the trial's
// parameters as a JSON object (kept in an annotation and mounted at
// kPodParamsFile); `namespace_` is written to metadata.namespace unless empty.
// The command runs as the container's command (no shell, the image's
// entrypoint replaced); '$' is escaped so Kubernetes expands no $(VAR).
// GDSWEEP_TRIAL_DIR, GDSWEEP_RESULT_FILE and GDSWEEP_PRUNE_FILE (host paths)
// are left out.
Result<std::string> RenderJobManifest(const KubernetesSpec& spec, const TrialLaunch& launch,
                                      const std::string& params_json,
                                      const std::string& namespace_);

}  // namespace gdsweep
