// Which format a config file is in, decided by its content: a Katib
// Experiment (apiVersion kubeflow.org/..., kind Experiment), a Hydra config
// with the Optuna sweeper (hydra.sweeper with _target_, params or
// search_space, or a defaults override of hydra/sweeper), a W&B sweep
// (top-level method and parameters), else a gdsweep study file. Pure
// function; thread-safe.
#pragma once

#include "sweeper/convert/conversion.h"

namespace gdsweep {

ConfigFormat DetectFormat(const YamlNode& root);

}  // namespace gdsweep
