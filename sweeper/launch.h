// Rendering one trial into a TrialLaunch: placeholders expanded, Hydra-style
// overrides appended, the GDSWEEP_* environment set, the parameters as JSON.
// A pure function of the spec and the trial, so a launch can be checked
// without running anything. Thread-compatible.
#pragma once

#include <string>

#include "backends/backend.h"
#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/model/trial.h"

namespace gdsweep {

// Names of the environment variables every trial receives.
inline constexpr const char* kEnvStudy = "GDSWEEP_STUDY";
inline constexpr const char* kEnvTag = "GDSWEEP_TAG";
inline constexpr const char* kEnvTrialNumber = "GDSWEEP_TRIAL_NUMBER";
inline constexpr const char* kEnvTrialId = "GDSWEEP_TRIAL_ID";
inline constexpr const char* kEnvAttempt = "GDSWEEP_TRIAL_ATTEMPT";
inline constexpr const char* kEnvTrialDir = "GDSWEEP_TRIAL_DIR";
inline constexpr const char* kEnvParamsFile = "GDSWEEP_PARAMS_FILE";
inline constexpr const char* kEnvResultFile = "GDSWEEP_RESULT_FILE";
inline constexpr const char* kEnvPruneFile = "GDSWEEP_PRUNE_FILE";
inline constexpr const char* kEnvParamPrefix = "GDSWEEP_PARAM_";

// The file whose appearance tells a trial it was pruned (GDSWEEP_PRUNE_FILE):
// <trial_dir>/prune.
std::string PruneFilePath(const std::string& trial_dir);

// "train.lr" -> "GDSWEEP_PARAM_TRAIN_LR": upper case, non-alphanumerics to '_'.
std::string ParamEnvName(const std::string& param);

// The trial's parameters as a JSON object with typed external values
// ({"train.lr": 0.001, "layers": 3, "opt": "adam"}).
std::string ParamsJson(const SearchSpace& space, const Params& params);

// Where a local trial runs: trial.working_dir resolved against the study
// file's folder, which is also the default, so `command: [python3, train.py]`
// finds train.py beside the study file wherever gdsweep is started. Other
// backends (and specs without a file) get trial.working_dir as written.
std::string WorkingDir(const StudySpec& spec);

// Renders `trial` of the study. A conditional parameter the trial does not
// have (its `when` does not hold) is absent everywhere: no GDSWEEP_PARAM_*,
// no Hydra override, every trial.command entry and trial.env variable whose
// text names it left out. `trial_dir` is the trial's folder (logs,
// params.json, result.json); the caller creates it and writes params.json.
Result<TrialLaunch> RenderLaunch(const StudySpec& spec, const TrialRecord& trial,
                                 const std::string& trial_dir);

}  // namespace gdsweep
