// gdsweep convert FILE [-o OUT]: turns a Hydra Optuna sweeper config, a W&B
// sweep config or a Katib Experiment into a gdsweep study file, with a
// comment wherever something had no exact equivalent. The file is validated
// before it is written, and reads back to the same study.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sweeper/cli/cli_common.h"
#include "sweeper/cli/options.h"
#include "sweeper/convert/load_study.h"
#include "sweeper/convert/study_writer.h"
#include "sweeper/convert/yaml_build.h"
#include "sweeper/spec/study_parser_overrides.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConvertUsage =
    "usage: gdsweep convert FILE [-o OUT] [--command CMD] [--backend local|kubernetes]\n"
    "                       [--set KEY=VALUE ...]\n"
    "Writes FILE, a Hydra Optuna sweeper config, a W&B sweep config or a Katib Experiment\n"
    "(detected by content), as a gdsweep study file: to OUT, or to stdout. What has no exact\n"
    "equivalent is printed as a warning and kept as a '# NOTE' comment in the file; what\n"
    "cannot be carried over at all is an error naming the key. --command gives the trial's\n"
    "program (required for a Hydra config, which sweeps the app it belongs to); --set\n"
    "changes keys of the converted study, as for `gdsweep run`.";

// A local trial runs in its study file's folder: when the converted file is
// written elsewhere, keep running the program where the original would have.
void KeepWorkingDir(Conversion& c, const std::string& source, const std::string& out) {
  const YamlNode* backend = FindValue(c.study, "backend");
  if (backend && backend->scalar != "local") return;
  YamlEntry* trial = c.study.Find("trial");
  if (!trial || trial->value.Find("working_dir")) return;
  std::error_code ec;
  const fs::path from = fs::weakly_canonical(fs::absolute(out).parent_path(), ec);
  const fs::path to = fs::weakly_canonical(fs::absolute(source).parent_path(), ec);
  if (ec || from == to) return;
  const fs::path rel = fs::relative(to, from, ec);
  Put(trial->value, "working_dir",
      StringNode(ec || rel.empty() ? to.string() : rel.string(), trial->value.location));
  c.Info(trial->value.location, "",
         "trial.working_dir points at the original file's folder, where its program ran", "trial");
}

}  // namespace

int ConvertCommand(const Args& args) {
  po::options_description options("Options");
  options.add_options()("file", po::value<std::string>()->required(), "the config to convert")(
      "output,o", po::value<std::string>(), "write the study file here (default: stdout)")(
      "command", po::value<std::string>(),
      "the trial's program and arguments ('python3 app.py' or '[python3, app.py]')")(
      "backend", po::value<std::string>(), "where trials run: local or kubernetes")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "change a key of the converted study (repeatable)");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto code = ParseOptions(args, kConvertUsage, options, &positional, vm)) return *code;

  const std::string path = vm["file"].as<std::string>();
  ConvertOptions convert;
  if (vm.count("command")) {
    auto argv = ParseCommandFlag(vm["command"].as<std::string>());
    if (!argv) return Fail(argv.error());
    convert.command = *argv;
  }
  if (vm.count("backend")) convert.backend = vm["backend"].as<std::string>();
  auto c = ConvertConfigFile(path, convert);
  if (!c) return Fail(c.error());
  if (c->format == ConfigFormat::kGdsweep) {
    return Fail(Error::Invalid(path + ": already a gdsweep study file (not a Hydra Optuna sweeper "
                                      "config, W&B sweep config or Katib Experiment): nothing to "
                                      "convert"));
  }
  const std::string out = vm.count("output") ? vm["output"].as<std::string>() : "";
  if (!out.empty()) KeepWorkingDir(*c, path, out);
  std::vector<std::string> sets;
  if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
  for (const auto& s : sets) {
    if (auto applied = ApplyOverride(c->study, s); !applied) return Fail(applied.error());
  }
  // Written only once it is a valid study.
  auto spec = ValidateConversion(*c, path);
  if (!spec) return Fail(spec.error());
  spdlog::info("{}: read as a {}", path, FormatName(c->format));
  size_t warnings = 0;
  for (const auto& note : c->notes) {
    if (note.level == ConvertNote::Level::kWarning) {
      ++warnings;
      spdlog::warn("{}", ToString(note));
    } else {
      spdlog::info("{}", ToString(note));
    }
  }
  const std::string text = WriteStudyYaml(
      c->study,
      {"Converted by `gdsweep convert` from " + fs::path(path).filename().string() + " (a " +
           FormatName(c->format) + ").",
       "Comments marked NOTE say what gdsweep carries over differently or not at all."},
      c->notes);
  if (out.empty()) {
    std::fputs(text.c_str(), stdout);
  } else {
    const std::string tmp = out + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f << text;
      if (!f.flush()) return Fail(Error::Io(tmp + ": cannot write"));
    }
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec) return Fail(Error::Io(out + ": " + ec.message()));
    spdlog::info("wrote {} ({} warning{})", out, warnings, warnings == 1 ? "" : "s");
  }
  return kExitOk;
}

}  // namespace gdsweep::cli
