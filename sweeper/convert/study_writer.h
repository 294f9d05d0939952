// Writes a study-file tree as YAML text that reads back to the same tree:
// block mappings, short lists and mappings of scalars in flow style, strings
// quoted wherever a plain scalar would read differently. With a conversion's
// notes, each note becomes a comment above the key it concerns (or in the
// header), so a converted file says what had no equivalent. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sweeper/convert/conversion.h"

namespace gdsweep {

// `header` lines become the file's first comment lines.
std::string WriteStudyYaml(const YamlNode& root, const std::vector<std::string>& header,
                           const std::vector<ConvertNote>& notes);

// A scalar's text as YAML: plain when it reads back the same, else
// double-quoted with escapes.
std::string YamlScalarText(const YamlNode& scalar);

}  // namespace gdsweep
