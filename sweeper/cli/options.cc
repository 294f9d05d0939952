#include "sweeper/cli/options.h"

#include <iostream>

#include "sweeper/cli/cli_common.h"

namespace gdsweep::cli {

std::optional<int> ParseOptions(const Args& args, const std::string& usage,
                                po::options_description& options,
                                const po::positional_options_description* positional,
                                po::variables_map& vm) {
  options.add_options()("help,h", "show this help and exit")(
      "log-level", po::value<std::string>()->default_value("info"),
      "trace, debug, info, warn, error or off")(
      "quiet,q", po::bool_switch(), "print nothing but errors (no progress, no summary)");
  try {
    auto parser = po::command_line_parser(args).options(options);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << options << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "gdsweep: " << e.what() << "\n" << usage << "\n(see --help)\n";
    return kExitUsage;
  }
  const std::string level = vm["log-level"].as<std::string>();
  SetUpLogging(vm["quiet"].as<bool>() && level != "off" ? "error" : level);
  return std::nullopt;
}

}  // namespace gdsweep::cli
