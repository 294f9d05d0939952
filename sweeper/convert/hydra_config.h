// A Hydra app config that sweeps with the Optuna sweeper (hydra.sweeper:
// sampler, direction, study_name, storage, n_trials, n_jobs and params in
// Hydra's override grammar, or the older search_space form) read into a
// gdsweep study-file tree. The trial is the app itself, run once per trial
// with the parameters appended as Hydra overrides, so its command comes from
// ConvertOptions::command. Pure function; thread-safe.
#pragma once

#include <string>

#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"

namespace gdsweep {

Result<Conversion> ConvertHydraConfig(const YamlNode& root, const std::string& source_path,
                                      const ConvertOptions& options);

}  // namespace gdsweep
