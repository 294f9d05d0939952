// The local section of a study file and the trial's device request
// (docs/study-file.md, "Local GPUs"): `local: {gpus: [0, 1] | auto}` lists the
// GPUs the local backend hands out, `trial.resources: {gpus: N}` how many
// each trial gets to itself. Every error at its FILE:LINE:COLUMN. Part of the
// study-file parser. Pure functions; thread-safe.
#pragma once

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// Parses the top-level local key into spec.local and trial.resources into
// spec.trial.gpus. Reads spec.backend and spec.trial.env, which must be
// parsed already: devices are handed out by the local backend only, and
// CUDA_VISIBLE_DEVICES is then gdsweep's to set.
Status ParseLocalSection(const YamlNode& root, StudySpec& spec);

}  // namespace gdsweep
