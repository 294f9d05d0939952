#include "sweeper/cli/storage_url.h"

#include <regex>

#include "sweeper/cli/cli_common.h"

namespace gdsweep::cli {

Result<std::unique_ptr<Storage>> OpenStorageUrl(const std::string& url, OpenMode mode,
                                                const std::string& flag) {
  const auto scheme = url.find("://");
  if (scheme != std::string::npos && url.rfind("sqlite:///", 0) != 0) {
    return Error::Invalid(flag + " " + url + ": only SQLite databases are supported (a file " +
                          "path or sqlite:///PATH), not " + url.substr(0, scheme));
  }
  const std::string path = ResolveDbPath(url);
  if (mode != OpenMode::kCreate) return OpenExisting(path, mode == OpenMode::kWrite);
  SqliteOptions options;
  options.path = path;
  auto storage = OpenSqliteStorage(options);
  if (!storage) return NamingPath(storage.error(), path);
  return storage;
}

Status CheckStudyName(const std::string& name, const std::string& flag) {
  static const std::regex kName("[A-Za-z0-9._-]{1,128}");
  if (std::regex_match(name, kName)) return {};
  return Error::Invalid(flag + " '" + name +
                        "': a study name is letters, digits, '.', '_' and '-' (at most 128)");
}

}  // namespace gdsweep::cli
