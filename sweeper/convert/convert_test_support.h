// Helpers of the importer tests: the real configs in tests/configs, loaded
// as `gdsweep run` loads them, and a parameter's distribution by name.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "sweeper/convert/load_study.h"

namespace gdsweep::test {

inline std::string ConfigPath(const std::string& rel) {
  return std::string(GDSWEEP_CONFIGS_DIR) + "/" + rel;
}

inline LoadedStudy MustLoad(const std::string& rel, const ConvertOptions& options = {}) {
  auto loaded = LoadStudy(ConfigPath(rel), {}, options);
  if (!loaded) FAIL(loaded.error().message);
  return std::move(*loaded);
}

inline const Distribution& Dist(const StudySpec& spec, const std::string& name) {
  const Parameter* p = FindParameter(spec.space, name);
  REQUIRE_MESSAGE(p != nullptr, name);
  return p->distribution;
}

// True when a note about `key` says something containing `text`.
inline bool HasNote(const std::vector<ConvertNote>& notes, const std::string& key,
                    const std::string& text,
                    ConvertNote::Level level = ConvertNote::Level::kWarning) {
  for (const auto& n : notes) {
    if (n.level == level && n.key == key && n.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace gdsweep::test
