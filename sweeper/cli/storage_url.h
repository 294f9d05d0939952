// The databases a management command (copy, delete, rename, export) opens by
// URL: a file path, Optuna's sqlite:///PATH or postgresql://... (the database
// must exist on the server; its tables are created when missing). Also the rule for study names
// given on the command line.
#pragma once

#include <memory>
#include <string>

#include "storage/storage.h"
#include "sweeper/model/result.h"

namespace gdsweep::cli {

enum class OpenMode {
  kRead,    // the database must exist; opened read-only
  kWrite,   // the database must exist
  kCreate,  // created when missing
};

// Error::Invalid naming `flag` for a URL of a database kind gdsweep cannot
// open (mysql://...), kNotFound for a missing file (kRead, kWrite),
// Error::Remote for a PostgreSQL server that refuses or cannot be reached.
Result<std::unique_ptr<Storage>> OpenStorageUrl(const std::string& url, OpenMode mode,
                                                const std::string& flag);

// A study name as the study file takes it: letters, digits, '.', '_' and
// '-', at most 128 characters; Error::Invalid naming `flag` otherwise.
Status CheckStudyName(const std::string& name, const std::string& flag);

}  // namespace gdsweep::cli
