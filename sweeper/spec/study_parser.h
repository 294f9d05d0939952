// The study-file parser: a YAML study file (docs/study-file.md) and the
// command line's --set overrides become a validated StudySpec. Everything is
// checked up front; the first problem is returned as Error::Invalid
// "FILE:LINE:COLUMN: key.path: what is wrong" (or "--set KEY=VALUE: key.path:
// ..." when an override supplied the value). Pure functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// One override of the study file: "key.path=value" (the value is YAML: "5",
// "[0.1, 0.2]", "{type: int, low: 1, high: 4}"), and how messages name where
// it came from: "--set key.path=value" unless `origin` says otherwise (a flag
// such as "--parallelism 0" that stands for budget.parallelism names itself).
struct SetOverride {
  SetOverride(std::string t) : text(std::move(t)) {}  // NOLINT: implicit on purpose
  SetOverride(const char* t) : text(t) {}             // NOLINT
  SetOverride(std::string t, std::string o) : text(std::move(t)), origin(std::move(o)) {}
  std::string text;
  std::string origin;  // empty: "--set " + text
};

// Reads and parses the study file at `path`. `set_overrides` are applied in
// order to the YAML before validation.
Result<StudySpec> ParseStudyFile(const std::string& path,
                                 const std::vector<SetOverride>& set_overrides = {});

// Parses study-file text; `source_name` is the file name used in messages and
// StudySpec::source_path.
Result<StudySpec> ParseStudyText(const std::string& text, const std::string& source_name,
                                 const std::vector<SetOverride>& set_overrides = {});

// Validates an already-read YAML tree (a study file's, or one a config
// importer built from another tool's format, whose nodes keep the positions
// of the file they came from) into a StudySpec, after applying
// `set_overrides` to it; the same rules and messages as ParseStudyText.
Result<StudySpec> ParseStudyTree(YamlNode root, const std::string& source_name,
                                 const std::vector<SetOverride>& set_overrides = {});

// Where `key_path` ("search_space.lr", "objectives[0]") is written in the
// study file at `path`: "FILE:LINE:COLUMN" of the longest part of the path the
// file has (an objective in any of the objective forms), or just "FILE" when
// the file has none of it or cannot be read. For messages about a parsed
// study, such as a stored study that differs from the file.
std::string LocateInStudyFile(const std::string& path, const std::string& key_path);

}  // namespace gdsweep
