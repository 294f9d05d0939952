// A Katib Experiment (kubeflow.org/v1beta1) read into a gdsweep study-file
// tree: objective, algorithm (mapped to the nearest sampler), parameters with
// their feasibleSpace, earlyStopping, trial counts and the trial template
// (katib_trial.h). Pure function; thread-safe.
#pragma once

#include <string>

#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"

namespace gdsweep {

Result<Conversion> ConvertKatibExperiment(const YamlNode& root, const std::string& source_path,
                                          const ConvertOptions& options);

}  // namespace gdsweep
