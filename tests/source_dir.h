// Where the source tree is, for unit tests that start a fake server or read
// the shipped examples: $GDSWEEP_SOURCE_DIR (ctest sets it for every unit
// test binary), else two folders up from this header's path as compiled
// (which a compiler cache may have made relative to the build folder).
#pragma once

#include <cstdlib>
#include <filesystem>

namespace gdsweep::testing {

inline std::filesystem::path SourceDir() {
  if (const char* dir = std::getenv("GDSWEEP_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return std::filesystem::path(__FILE__).parent_path().parent_path();
}

}  // namespace gdsweep::testing
