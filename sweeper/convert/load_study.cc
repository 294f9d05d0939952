#include "sweeper/convert/load_study.h"

#include <cstdlib>

#include "sweeper/convert/detect.h"
#include "sweeper/convert/hydra_config.h"
#include "sweeper/convert/katib_config.h"
#include "sweeper/convert/wandb_config.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

// "[\"python3\", \"f.py\"]": a YAML list of the strings, for a --set value.
std::string YamlStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += i ? ", \"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "]";
}

}  // namespace

Result<Conversion> ConvertConfigFile(const std::string& path, const ConvertOptions& options) {
  auto text = ReadYamlFile(path, "study file");
  if (!text) return text.error();
  auto root = ReadYaml(*text, path);
  if (!root) return root.error();
  Conversion c;
  c.format = DetectFormat(*root);
  switch (c.format) {
    case ConfigFormat::kGdsweep:
      c.study = std::move(*root);
      return c;
    case ConfigFormat::kHydra:
      return ConvertHydraConfig(*root, path, options);
    case ConfigFormat::kWandb:
      return ConvertWandbConfig(*root, path, options);
    case ConfigFormat::kKatib: {
      const YamlNode* api = FindValue(*root, "apiVersion");
      if (api->scalar != "kubeflow.org/v1beta1") {
        return ErrorAt(
            api->location, "apiVersion",
            "expected kubeflow.org/v1beta1, the Katib API gdsweep reads, got " + Describe(*api));
      }
      return ConvertKatibExperiment(*root, path, options);
    }
  }
  return Error::Internal("unknown format");
}

Result<StudySpec> ValidateConversion(const Conversion& conversion, const std::string& path,
                                     const std::vector<SetOverride>& sets) {
  auto spec = ParseStudyTree(conversion.study, path, sets);
  if (spec || conversion.format == ConfigFormat::kGdsweep) return spec;
  // Name the original key of the value the error is about: the origin at
  // the error's position, else the nearest one before it on its line.
  const std::string& message = spec.error().message;
  const std::pair<YamlLocation, std::string>* best = nullptr;
  for (const auto& origin : conversion.origins) {
    const YamlLocation& at = origin.first;
    const std::string line = at.source + ":" + std::to_string(at.line) + ":";
    if (at.line <= 0 || message.rfind(line, 0) != 0) continue;
    const int column = std::atoi(message.c_str() + line.size());
    if (at.column <= column && (!best || at.column >= best->first.column)) best = &origin;
  }
  if (best) {
    return Error{spec.error().kind,
                 message + " (" + best->second + " in this " + FormatName(conversion.format) + ")"};
  }
  return Error{spec.error().kind, message + " (in the study converted from this " +
                                      std::string(FormatName(conversion.format)) +
                                      "; `gdsweep convert` shows it)"};
}

Result<LoadedStudy> LoadStudy(const std::string& path, const std::vector<SetOverride>& sets,
                              const ConvertOptions& options) {
  auto conversion = ConvertConfigFile(path, options);
  if (!conversion) return conversion.error();
  std::vector<SetOverride> all = sets;
  if (conversion->format == ConfigFormat::kGdsweep) {
    if (!options.command.empty()) {
      all.insert(all.begin(), "trial.command=" + YamlStringList(options.command));
    }
    if (!options.backend.empty()) all.insert(all.begin(), "backend=" + options.backend);
  }
  auto spec = ValidateConversion(*conversion, path, all);
  if (!spec) return spec.error();
  return LoadedStudy{std::move(*spec), conversion->format, std::move(conversion->notes)};
}

}  // namespace gdsweep
