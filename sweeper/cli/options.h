// Parsing a command's flags with Boost.Program_options, the same way for
// every command: --help prints usage and the options, a bad flag exits 2.
// The one header of ours that shows a third-party type: it is private to the
// CLI, which is the only user of Program_options.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>

#include "sweeper/cli/commands.h"
#include "sweeper/spec/study_parser.h"

namespace gdsweep::cli {

namespace po = boost::program_options;

// Parses `args` into `vm`. Returns an exit code when the command should stop
// here (0 after --help, 2 after a bad flag), nullopt to go on. Adds --help,
// --log-level and --quiet (errors only) to `options` and sets up logging.
// Flags must be spelt in full (no abbreviations); an unknown one gets a
// did-you-mean suggestion.
std::optional<int> ParseOptions(const Args& args, const std::string& usage,
                                po::options_description& options,
                                const po::positional_options_description* positional,
                                po::variables_map& vm);

// The help text of --db: the default ($GDSWEEP_DB, else ./gdsweep.db, after
// the study file's `storage` when `from_study_file`) and which one applies now.
std::string DbHelp(bool from_study_file = false);

// The study-file overrides of a command's --set and --tag flags, in that
// order; an error in one names the flag it came from.
std::vector<SetOverride> StudyOverrides(const po::variables_map& vm);

}  // namespace gdsweep::cli
