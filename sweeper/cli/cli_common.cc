#include "sweeper/cli/cli_common.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "sweeper/convert/load_study.h"
#include "sweeper/log_format.h"
#include "sweeper/model/redact.h"
#include "sweeper/model/utf8.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/spec/suggest.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep::cli {

Error AsRemoteFailure(const Error& error) {
  if (error.kind == Error::Kind::kIo || error.kind == Error::Kind::kInvalidInput) {
    return Error::Remote(error.message);
  }
  return error;
}

Result<StudySpec> LoadStudyFile(const std::string& path, const std::vector<SetOverride>& sets,
                                const ConvertOptions& options) {
  auto loaded = LoadStudy(path, sets, options);
  if (!loaded) return loaded.error();
  if (loaded->format != ConfigFormat::kGdsweep) {
    spdlog::info("{}: read as a {} (`gdsweep convert {}` writes it as a study file)", path,
                 FormatName(loaded->format), path);
    for (const auto& note : loaded->notes) {
      if (note.level == ConvertNote::Level::kWarning) {
        spdlog::warn("{}", ToString(note));
      } else {
        spdlog::info("{}", ToString(note));
      }
    }
  }
  return std::move(loaded->spec);
}

Result<std::vector<std::string>> ParseCommandFlag(const std::string& text) {
  std::vector<std::string> argv;
  if (!text.empty() && text[0] == '[') {
    auto node = ReadYamlValue(text, YamlLocation{"--command " + text, 0, 0}, "--command");
    if (!node) return node.error();
    if (auto s = ExpectList(*node, "--command"); !s) return s.error();
    for (size_t i = 0; i < node->items.size(); ++i) {
      auto arg = ReadString(node->items[i], IndexPath("--command", i));
      if (!arg) return arg.error();
      argv.push_back(*arg);
    }
  } else {
    std::string word;
    for (char c : text + " ") {
      if (c == ' ' || c == '\t') {
        if (!word.empty()) argv.push_back(word);
        word.clear();
      } else {
        word += c;
      }
    }
  }
  if (argv.empty() || argv[0].empty()) {
    return Error::Invalid(
        "--command: expected a program and its arguments, e.g. --command "
        "'python3 train.py' or --command '[python3, train.py]'");
  }
  return argv;
}

int Fail(const Error& error) {
  // Every error a command ends with goes through here: the last line of
  // defence against a credential in a message, whatever produced it; and one
  // line, whatever text from a trial or a file it quotes.
  std::fprintf(stderr, "gdsweep: %s\n", EscapeControls(RedactText(error.message)).c_str());
  switch (error.kind) {
    case Error::Kind::kInvalidInput:
      return kExitUsage;
    case Error::Kind::kConflict:
      return kExitConflict;
    case Error::Kind::kNotFound:
      return kExitNotFound;
    case Error::Kind::kInterrupted:
      return kExitInterrupted;
    case Error::Kind::kRemote:
      return kExitRemote;
    case Error::Kind::kIo:
    case Error::Kind::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

void SetUpLogging(const std::string& level) {
  const bool color = ColorAllowed();  // NO_COLOR
  spdlog::set_default_logger(spdlog::stderr_color_mt(
      "gdsweep", color ? spdlog::color_mode::automatic : spdlog::color_mode::never));
  ApplyLogFormat({.color = color});
  spdlog::set_level(spdlog::level::from_str(level.empty() ? "info" : level));
}

std::string ResolveDbPath(const std::string& flag, const std::string& from_spec) {
  std::string path = flag;
  if (path.empty()) path = from_spec;
  if (path.empty()) {
    const char* env = std::getenv("GDSWEEP_DB");
    path = env && *env ? env : "gdsweep.db";
  }
  const std::string kPrefix = "sqlite:///";
  if (path.rfind(kPrefix, 0) == 0) path = path.substr(kPrefix.size());
  return path;
}

std::string LogsRootFor(const std::string& db_path) {
  if (IsPostgresUrl(db_path)) {
    // A database server: the trial folders stay on this machine, beside where
    // the sweep was started.
    return (std::filesystem::current_path() / "gdsweep-logs").string();
  }
  if (db_path == ":memory:") {
    return (std::filesystem::temp_directory_path() / "gdsweep-logs").string();
  }
  // Absolute: trials may run in another working directory and still find
  // their folder through GDSWEEP_TRIAL_DIR and GDSWEEP_RESULT_FILE.
  std::filesystem::path p = std::filesystem::absolute(db_path).lexically_normal();
  return (p.parent_path() / (p.stem().string() + "-logs")).string();
}

Error NamingPath(const Error& error, const std::string& path) {
  const std::string shown = RedactDatabaseUrl(path);  // never a password
  return error.message.find(shown) == std::string::npos ? error.Wrap(shown) : error;
}

Status CheckDatabaseExists(const std::string& db_path) {
  if (IsPostgresUrl(db_path) || std::filesystem::exists(db_path)) return {};
  const auto folder = std::filesystem::path(db_path).parent_path();
  if (!folder.empty() && !std::filesystem::exists(folder)) {
    return Error::NotFound("no database at " + db_path + ": folder " + folder.string() +
                           " does not exist");
  }
  return Error::NotFound("no database at " + db_path + " (use --db or run a study first)");
}

Result<std::unique_ptr<Storage>> OpenExisting(const std::string& db_path, bool writable) {
  if (auto s = CheckDatabaseExists(db_path); !s) return s.error();
  auto storage = OpenStorage(db_path, /*read_only=*/!writable);
  if (!storage) return NamingPath(storage.error(), db_path);
  return storage;
}

Result<OpenedStudy> OpenSpecStudy(const StudySpec& spec, const std::string& db_flag,
                                  bool allow_changes, Durability durability) {
  OpenedStudy opened;
  opened.db_path = ResolveDbPath(db_flag, spec.storage);
  opened.logs_root = LogsRootFor(opened.db_path);
  auto storage = OpenStorage(opened.db_path, /*read_only=*/false,
                             /*synchronous_full=*/durability == Durability::kEachCommit);
  if (!storage) return NamingPath(storage.error(), opened.db_path);
  opened.storage = std::move(*storage);
  StudyOpenOptions open_options;
  open_options.allow_changes = allow_changes;
  open_options.logs_root = opened.logs_root;
  auto study = Study::Open(*opened.storage, spec, open_options);
  if (!study) {
    Error e = study.error();
    if (e.kind == Error::Kind::kConflict) {
      // The message starts with the key path of the difference: say where the file has it.
      e.message = LocateInStudyFile(spec.source_path, e.message.substr(0, e.message.find(": "))) +
                  ": " + e.message;
    }
    return e;
  }
  opened.study = std::move(*study);
  return opened;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Result<StudyInfo> PickStudy(Storage& storage, const std::string& name) {
  if (!name.empty()) {
    auto info = storage.GetStudy(name);
    if (info || info.error().kind != Error::Kind::kNotFound) return info;
    auto all = storage.ListStudies();
    if (!all) return info;
    std::vector<std::string> names;
    for (const auto& s : *all) names.push_back(s.info.name);
    return StudyNotFound(info.error().message, name, names);
  }
  auto all = storage.ListStudies();
  if (!all) return all.error();
  if (all->size() == 1) return all->front().info;
  if (all->empty()) return Error::NotFound("the database holds no study");
  std::string names;
  for (const auto& s : *all) names += (names.empty() ? "" : ", ") + s.info.name;
  return Error::Invalid("the database holds several studies (" + names +
                        "): name one with --study");
}

Error NotTracked(const std::string& study) {
  return Error::NotFound("study '" + study +
                         "' is not tracked (no tracking section was used when it ran)");
}

Status CheckTag(Storage& storage, const StudyInfo& study, const std::string& tag) {
  auto all = storage.ListStudies();
  if (!all) return all.error();
  for (const auto& s : *all) {
    if (s.info.study_id != study.study_id) continue;
    if (std::find(s.tags.begin(), s.tags.end(), tag) != s.tags.end()) return {};
    return TagNotFound(study.name, tag, s.tags);
  }
  return {};
}

Error StudyNotFound(const std::string& message, const std::string& name,
                    const std::vector<std::string>& studies) {
  if (studies.empty()) return Error::NotFound(message + "; the database holds no study");
  return Error::NotFound(message + "; its studies: " + JoinNames(studies) +
                         DidYouMean(name, studies));
}

Error TagNotFound(const std::string& study, const std::string& tag,
                  const std::vector<std::string>& tags) {
  const std::string message = "study '" + study + "' has no trial with sweep tag '" + tag + "'";
  if (tags.empty()) return Error::NotFound(message + "; none of its trials has a tag");
  return Error::NotFound(message + "; its tags: " + JoinNames(tags) + DidYouMean(tag, tags));
}

void ReportDelivery(const DeliveryReport& report, const TrackingTarget& target) {
  if (report.pending == 0 && report.dead == 0) {
    spdlog::info("tracking: every report delivered to {}", RedactUrl(target.uri));
    return;
  }
  if (report.pending > 0) {
    std::string why = report.stopped_by             ? report.stopped_by->message
                      : report.lease_held_elsewhere ? "another gdsweep process is delivering them"
                                                    : "not done in time";
    spdlog::warn(
        "tracking: {} report(s) not delivered yet ({}); they are kept in the database "
        "and `gdsweep sync` (or the next run) sends them",
        report.pending, why);
  }
  if (report.dead > 0) {
    spdlog::warn("tracking: {} report(s) refused by the server; `gdsweep sync` lists them",
                 report.dead);
  }
}

}  // namespace gdsweep::cli
