// The one entry point for a config file given to `gdsweep run`, `convert`,
// `ask` or `render`: reads it, detects its format, converts another tool's
// config into a gdsweep study-file tree, and validates that tree with the
// study-file parser (--set overrides apply to the gdsweep form). Pure
// functions apart from reading the file; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/study_parser.h"

namespace gdsweep {

// Reads the file at `path` and converts it when it is not a gdsweep study
// file (format kGdsweep: `study` is the file's own tree, no notes).
Result<Conversion> ConvertConfigFile(const std::string& path, const ConvertOptions& options);

struct LoadedStudy {
  StudySpec spec;
  ConfigFormat format = ConfigFormat::kGdsweep;
  std::vector<ConvertNote> notes;
};

// A study from a file in any of the formats. An error about a converted
// value points into the original file and names the original key. With
// options.command or options.backend on a gdsweep study file they act as
// --set trial.command=[...] and --set backend=... .
Result<LoadedStudy> LoadStudy(const std::string& path, const std::vector<SetOverride>& sets,
                              const ConvertOptions& options = {});

// Validates a conversion as LoadStudy does.
Result<StudySpec> ValidateConversion(const Conversion& conversion, const std::string& path,
                                     const std::vector<SetOverride>& sets = {});

}  // namespace gdsweep
