#include "sweeper/spec/study_parser_trial.h"

#include <algorithm>
#include <climits>
#include <regex>
#include <sstream>
#include <unordered_set>

#include "sweeper/spec/placeholders.h"
#include "sweeper/spec/suggest.h"
#include "sweeper/spec/yaml_values.h"

namespace gdsweep {
namespace {

// Where character `offset` of a scalar is: exact when the scalar is written
// as-is on one line, else the scalar's own location.
YamlLocation LocationInside(const YamlNode& node, size_t offset) {
  YamlLocation loc = node.location;
  if (loc.line > 0 && node.text_column > 0) {
    loc.column = node.text_column + static_cast<int>(offset);
  }
  return loc;
}

// The names a placeholder may take: the parameters and the built-ins, as a
// list for did-you-mean and a set to look them up.
struct KnownNames {
  std::vector<std::string> list;
  std::unordered_set<std::string> set;
  std::unordered_set<std::string> conditional;  // parameters with a `when`
};

// Checks that every placeholder in `node` (a scalar) is a parameter or a built-in.
Status CheckPlaceholders(const YamlNode& node, const std::string& path, const KnownNames& known) {
  PlaceholderScan scan = ScanPlaceholders(node.scalar);
  if (scan.error_offset) {
    return ErrorAt(LocationInside(node, *scan.error_offset), path, scan.error);
  }
  for (const auto& p : scan.placeholders) {
    if (known.set.count(p.name)) continue;
    std::string hint = DidYouMean(p.name, known.list);
    if (hint.empty()) {
      hint =
          "; a placeholder is a parameter name or one of trial.number, trial.id, "
          "trial.attempt, trial.dir, study.name, tag ('{{' and '}}' are literal braces)";
    }
    return ErrorAt(LocationInside(node, p.offset), path,
                   "unknown placeholder '{" + p.name + "}'" + hint);
  }
  return {};
}

// "python3 train.py --lr {lr}" -> [python3, train.py, --lr, "{lr}"].
std::string AsFlowList(const std::string& line) {
  std::istringstream words(line);
  std::string word, out;
  while (words >> word) {
    const bool plain = word.find_first_of("{}[],:#&*!|>'\"%@`") == std::string::npos;
    out += (out.empty() ? "" : ", ") + (plain ? word : "\"" + word + "\"");
  }
  return "[" + out + "]";
}

Result<std::vector<std::string>> ParseCommand(const YamlNode& trial, const KnownNames& known) {
  const std::string path = "trial.command";
  const YamlEntry* e = trial.Find("command");
  if (!e) return MissingKey(trial, "trial", "command");
  const YamlNode& node = e->value;
  if (node.IsScalar()) {
    return ErrorAt(node.location, path,
                   "expected a list of strings: the command runs without a shell, so write "
                   "each argument separately, e.g. " +
                       AsFlowList(node.scalar));
  }
  if (auto s = ExpectList(node, path); !s) return s.error();
  if (node.items.empty()) return ErrorAt(node.location, path, "the command must not be empty");
  std::vector<std::string> command;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const YamlNode& item = node.items[i];
    const std::string item_path = IndexPath(path, i);
    auto arg = ReadString(item, item_path);
    if (!arg) return arg.error();
    if (i == 0 && arg->empty()) {
      return ErrorAt(item.location, item_path, "the program name must not be empty");
    }
    if (auto s = CheckPlaceholders(item, item_path, known); !s) return s.error();
    if (i == 0) {  // later entries naming an inactive parameter are dropped; the program is not
      for (const auto& p : ScanPlaceholders(item.scalar).placeholders) {
        if (!known.conditional.count(p.name)) continue;
        return ErrorAt(LocationInside(item, p.offset), item_path,
                       "'" + p.name +
                           "' is a conditional parameter (it has a `when`): the program name "
                           "cannot depend on it, since an entry naming an inactive parameter is "
                           "left out");
      }
    }
    command.push_back(std::move(*arg));
  }
  return command;
}

Result<std::map<std::string, std::string>> ParseEnv(const YamlNode& node, const KnownNames& known) {
  static const std::regex kEnvName("[A-Za-z_][A-Za-z0-9_]*");
  const std::string path = "trial.env";
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  std::map<std::string, std::string> env;
  for (const auto& e : node.entries) {
    const std::string entry_path = JoinPath(path, e.key);
    if (!std::regex_match(e.key, kEnvName)) {
      return ErrorAt(e.key_location, entry_path,
                     "not a valid environment variable name (letters, digits and '_', not "
                     "starting with a digit)");
    }
    if (e.key.rfind("GDSWEEP_", 0) == 0) {
      return ErrorAt(e.key_location, entry_path,
                     "the GDSWEEP_ prefix is reserved for the variables gdsweep sets");
    }
    auto value = ReadString(e.value, entry_path);
    if (!value) return value.error();
    if (auto s = CheckPlaceholders(e.value, entry_path, known); !s) return s.error();
    env[e.key] = std::move(*value);
  }
  return env;
}

}  // namespace

Result<TrialSpec> ParseTrial(const YamlNode& node, const SearchSpace& space) {
  const std::string path = "trial";
  if (auto s = ExpectMapping(node, path); !s) return s.error();
  if (auto s = CheckKeys(node, path,
                         {"command", "overrides", "env", "working_dir", "timeout", "prune_grace",
                          "resources", "retries", "result"});
      !s) {
    return s.error();
  }
  KnownNames known;
  for (const auto& p : space) {
    known.list.push_back(p.name);
    if (!p.when.empty()) known.conditional.insert(p.name);
  }
  for (const auto& b : BuiltinPlaceholders()) known.list.push_back(b);
  known.set.insert(known.list.begin(), known.list.end());

  TrialSpec trial;
  auto command = ParseCommand(node, known);
  if (!command) return command.error();
  trial.command = std::move(*command);
  if (const YamlNode* v = FindValue(node, "overrides")) {
    auto overrides = ReadEnum(*v, "trial.overrides", {"none", "hydra"});
    if (!overrides) return overrides.error();
    trial.hydra_overrides = *overrides == "hydra";
  }
  if (const YamlNode* v = FindValue(node, "env")) {
    auto env = ParseEnv(*v, known);
    if (!env) return env.error();
    trial.env = std::move(*env);
  }
  if (const YamlNode* v = FindValue(node, "working_dir")) {
    auto dir = ReadString(*v, "trial.working_dir");
    if (!dir) return dir.error();
    if (!ScanPlaceholders(*dir).placeholders.empty()) {
      return ErrorAt(v->location, "trial.working_dir",
                     "placeholders are not expanded in the working directory");
    }
    trial.working_dir = std::move(*dir);
  }
  if (const YamlNode* v = FindValue(node, "timeout")) {
    auto timeout = ReadDuration(*v, "trial.timeout");
    if (!timeout) return timeout.error();
    trial.timeout_seconds = *timeout;
  }
  if (const YamlNode* v = FindValue(node, "prune_grace")) {
    // 0: SIGTERM as soon as the trial is pruned.
    if (v->IsScalar() && (v->scalar == "0" || v->scalar == "0s")) {
      trial.prune_grace_seconds = 0;
    } else {
      auto grace = ReadDuration(*v, "trial.prune_grace");
      if (!grace) return grace.error();
      trial.prune_grace_seconds = *grace;
    }
  }
  if (const YamlNode* v = FindValue(node, "retries")) {
    auto retries = ReadIntIn(*v, "trial.retries", 0, INT_MAX, "a non-negative whole number");
    if (!retries) return retries.error();
    trial.retries = static_cast<int>(*retries);
  }
  if (const YamlNode* v = FindValue(node, "result")) {
    auto result = ReadEnum(*v, "trial.result", {"stdout", "file"});
    if (!result) return result.error();
    trial.result_source = *result == "file" ? ResultSource::kFile : ResultSource::kStdout;
  }
  return trial;
}

}  // namespace gdsweep
