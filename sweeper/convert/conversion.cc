#include "sweeper/convert/conversion.h"

namespace gdsweep {

const char* FormatName(ConfigFormat format) {
  switch (format) {
    case ConfigFormat::kGdsweep:
      return "gdsweep study file";
    case ConfigFormat::kHydra:
      return "Hydra Optuna sweeper config";
    case ConfigFormat::kWandb:
      return "W&B sweep config";
    case ConfigFormat::kKatib:
      return "Katib Experiment";
  }
  return "?";
}

std::string ToString(const ConvertNote& note) {
  return ToString(note.where) + ": " + (note.key.empty() ? "" : note.key + ": ") + note.message;
}

void Conversion::Note(ConvertNote::Level level, const YamlLocation& where, std::string key,
                      std::string message, std::string target) {
  notes.push_back({level, where, std::move(key), std::move(message), std::move(target)});
}

}  // namespace gdsweep
