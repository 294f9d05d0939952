// A W&B sweep config (method, metric, parameters with values / value /
// min-max / distributions and nested parameters, early_terminate, run_cap,
// program and command with W&B's ${...} macros) read into a gdsweep
// study-file tree. Pure function; thread-safe.
#pragma once

#include <string>

#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"

namespace gdsweep {

Result<Conversion> ConvertWandbConfig(const YamlNode& root, const std::string& source_path,
                                      const ConvertOptions& options);

// Doubles every brace, so that text reaches a trial unchanged through
// gdsweep's {placeholder} expansion.
std::string EscapeBraces(const std::string& text);

}  // namespace gdsweep
