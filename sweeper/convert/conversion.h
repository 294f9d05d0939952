// What reading another tool's sweep config produces: the gdsweep study-file
// tree it becomes (its nodes keep the positions of the original file, so the
// study-file parser's errors point into that file), and a note for every
// setting that had no exact equivalent. Plain values; thread-compatible.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// The formats a file given to `gdsweep run` or `gdsweep convert` may be in.
enum class ConfigFormat {
  kGdsweep,  // a gdsweep study file (docs/study-file.md)
  kHydra,    // a Hydra app config using the Optuna sweeper (hydra.sweeper)
  kWandb,    // a W&B sweep config (method + parameters)
  kKatib,    // a Katib Experiment (kubeflow.org/v1beta1)
};

// "gdsweep study file", "Hydra Optuna sweeper config", ...
const char* FormatName(ConfigFormat format);

// A setting of the original file that gdsweep carries over differently, or
// not at all: `key` (the original key path) at `where`, what happened, and
// the gdsweep key it concerns (`target`, for the comment in a converted
// file; empty: the file as a whole).
struct ConvertNote {
  enum class Level {
    kInfo,     // carried over, in another form (a default made explicit, ...)
    kWarning,  // changed, approximated or dropped: results may differ
  };
  Level level = Level::kWarning;
  YamlLocation where;
  std::string key;
  std::string message;
  std::string target;
};

// "random.yaml:12:5: spec.algorithm.algorithmName: ...".
std::string ToString(const ConvertNote& note);

// Choices the original file cannot make, given on the command line.
struct ConvertOptions {
  // The trial's argv, replacing the config's own (a stand-in for a program
  // that needs a GPU, or the app a Hydra config belongs to); empty: keep it.
  std::vector<std::string> command;
  // "local" or "kubernetes"; empty: the format's own (Katib: kubernetes).
  std::string backend;
};

struct Conversion {
  ConfigFormat format = ConfigFormat::kGdsweep;
  YamlNode study;  // a gdsweep study file's tree
  std::vector<ConvertNote> notes;
  // Where each converted value came from: its location and the original key
  // path, to name the original key in an error about the converted value.
  std::vector<std::pair<YamlLocation, std::string>> origins;

  void Note(ConvertNote::Level level, const YamlLocation& where, std::string key,
            std::string message, std::string target);
  void Warn(const YamlLocation& where, std::string key, std::string message, std::string target) {
    Note(ConvertNote::Level::kWarning, where, std::move(key), std::move(message),
         std::move(target));
  }
  void Info(const YamlLocation& where, std::string key, std::string message, std::string target) {
    Note(ConvertNote::Level::kInfo, where, std::move(key), std::move(message), std::move(target));
  }
  // Records that the value at `where` is the original's `key`.
  void Origin(const YamlLocation& where, std::string key) {
    origins.emplace_back(where, std::move(key));
  }
};

}  // namespace gdsweep
