#include "sweeper/cli/storage_url.h"

#include <regex>

#include "sweeper/cli/cli_common.h"

namespace gdsweep::cli {

Result<std::unique_ptr<Storage>> OpenStorageUrl(const std::string& url, OpenMode mode,
                                                const std::string& flag) {
  const auto scheme = url.find("://");
  if (scheme != std::string::npos && url.rfind("sqlite:///", 0) != 0 && !IsPostgresUrl(url)) {
    return Error::Invalid(flag + " " + RedactDatabaseUrl(url) +
                          ": gdsweep opens a SQLite file (a path or sqlite:///PATH) or a " +
                          "PostgreSQL database (postgresql://USER@HOST:PORT/DBNAME), not " +
                          url.substr(0, scheme));
  }
  const std::string path = ResolveDbPath(url);
  if (mode != OpenMode::kCreate) return OpenExisting(path, mode == OpenMode::kWrite);
  auto storage = OpenStorage(path);
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
