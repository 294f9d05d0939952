#include "sweeper/cli/options.h"

#include <cstdlib>
#include <iostream>

#include "sweeper/cli/cli_common.h"
#include "sweeper/spec/suggest.h"

namespace gdsweep::cli {
namespace {

// The long names of `options`, without dashes.
std::vector<std::string> LongNames(const po::options_description& options) {
  std::vector<std::string> names;
  for (const auto& o : options.options()) {
    if (!o->long_name().empty()) names.push_back(o->long_name());
  }
  return names;
}

// "; did you mean --n-trials?" for an unknown flag: the flags it abbreviates
// (abbreviations are refused, so that a later flag cannot change their
// meaning), else the closest name by edit distance.
std::string FlagSuggestion(const std::string& flag, const po::options_description& options) {
  std::string word = flag;
  while (!word.empty() && word.front() == '-') word.erase(0, 1);
  word = word.substr(0, word.find('='));
  if (word.empty()) return "";
  const auto names = LongNames(options);
  std::vector<std::string> extending;
  for (const auto& n : names) {
    if (n.size() > word.size() && n.compare(0, word.size(), word) == 0) extending.push_back(n);
  }
  if (!extending.empty()) {
    std::string list;
    for (size_t i = 0; i < extending.size(); ++i) {
      list += (i ? (i + 1 == extending.size() ? " or --" : ", --") : "--") + extending[i];
    }
    return "; did you mean " + list + "? (flags are spelt out in full)";
  }
  auto match = ClosestMatch(word, names);
  return match ? "; did you mean --" + *match + "?" : "";
}

// The message for a flag error. A missing positional argument is named as
// the usage line names it.
std::string Describe(const po::error& e, const po::options_description& options) {
  if (const auto* missing = dynamic_cast<const po::required_option*>(&e)) {
    std::string name = missing->get_option_name();
    while (!name.empty() && name.front() == '-') name.erase(0, 1);
    return name == "study-file" ? "missing STUDY.yaml" : "missing --" + name;
  }
  if (const auto* unknown = dynamic_cast<const po::unknown_option*>(&e)) {
    return std::string(e.what()) + FlagSuggestion(unknown->get_option_name(), options);
  }
  return e.what();
}

}  // namespace

std::optional<int> ParseOptions(const Args& args, const std::string& usage,
                                po::options_description& options,
                                const po::positional_options_description* positional,
                                po::variables_map& vm) {
  options.add_options()("help,h", "show this help and exit")(
      "log-level", po::value<std::string>()->default_value("info"),
      "trace, debug, info, warn, error or off")(
      "quiet,q", po::bool_switch(), "print nothing but errors (no progress, no summary)");
  // No guessing: `--par 1` is refused rather than taken for --parallelism.
  const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  try {
    auto parser = po::command_line_parser(args).options(options).style(style);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << options << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "gdsweep: " << Describe(e, options) << "\n" << usage << "\n(see --help)\n";
    return kExitUsage;
  }
  const std::string level = vm["log-level"].as<std::string>();
  SetUpLogging(vm["quiet"].as<bool>() && level != "off" ? "error" : level);
  return std::nullopt;
}

std::string DbHelp(bool from_study_file) {
  const char* env = std::getenv("GDSWEEP_DB");
  const std::string used = env && *env ? "$GDSWEEP_DB, " + std::string(env) : "./gdsweep.db";
  return std::string("database path (default: ") +
         (from_study_file ? "the study file's storage, else " : "") +
         "$GDSWEEP_DB, else ./gdsweep.db; here: " + used + ")";
}

std::vector<SetOverride> StudyOverrides(const po::variables_map& vm) {
  std::vector<SetOverride> sets;
  if (vm.count("set")) {
    for (const auto& text : vm["set"].as<std::vector<std::string>>()) sets.emplace_back(text);
  }
  if (vm.count("tag")) {
    const std::string tag = vm["tag"].as<std::string>();
    sets.emplace_back("tag=" + tag, "--tag " + tag);
  }
  return sets;
}

}  // namespace gdsweep::cli
