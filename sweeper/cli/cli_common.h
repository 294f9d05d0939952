// What every gdsweep command shares: exit codes, turning an Error into a
// message and an exit code, logging setup, and finding the database. The CLI
// is the only place where errors become exit codes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/convert/conversion.h"
#include "sweeper/model/result.h"
#include "sweeper/spec/study_parser.h"
#include "sweeper/study.h"
#include "tracking/tracker.h"

namespace gdsweep::cli {

// Exit codes, documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,        // database, file system, a trial that could not start
  kExitUsage = 2,          // bad flags or an invalid study file; nothing was written
  kExitConflict = 3,       // the stored study differs from the file (see --allow-changes)
  kExitNotFound = 4,       // no such database, study or trial
  kExitNoComplete = 5,     // the run ended with none of its trials COMPLETE
  kExitRemote = 6,         // a remote service (Kubernetes API, MLflow) refused or failed
  kExitPrune = 7,          // should-prune: the pruner says the trial should stop
  kExitInterrupted = 130,  // stopped by SIGINT/SIGTERM; interrupted trials requeued
};

// A remote service's error that ends a command (an MLflow server that fails,
// refuses the credentials or the request): kRemote, so it exits 6 and not 1
// or 2. Not found and interrupted keep their kinds.
Error AsRemoteFailure(const Error& error);

// Reads a study from a file in any format gdsweep reads (a study file, or a
// Hydra, W&B or Katib config, detected by content), logging which format it
// was and, for another tool's config, every setting carried over differently.
Result<StudySpec> LoadStudyFile(const std::string& path, const std::vector<SetOverride>& sets,
                                const ConvertOptions& options = {});

// The --command flag's value: a YAML list ("[python3, f.py, --x]") or words
// separated by spaces ("python3 f.py --x"), never run through a shell.
Result<std::vector<std::string>> ParseCommandFlag(const std::string& text);

// Prints "gdsweep: <message>" and returns the exit code for the error's kind.
int Fail(const Error& error);

// Sets up the one logger: stderr, level from "trace".."off" (default info),
// control characters escaped, no colour under NO_COLOR.
void SetUpLogging(const std::string& level);

// The database path: --db, else the study file's `storage`, else $GDSWEEP_DB,
// else ./gdsweep.db. An Optuna URL sqlite:///path is accepted too (the path
// returned); a postgresql:// URL is returned as it is.
std::string ResolveDbPath(const std::string& flag, const std::string& from_spec = "");

// Where trial folders go for a database: "runs/gdsweep.db" -> "<cwd>/runs/gdsweep-logs",
// always absolute.
std::string LogsRootFor(const std::string& db_path);

// `error` prefixed with "PATH: " unless its message names the path already.
Error NamingPath(const Error& error, const std::string& path);

// kNotFound, saying so (and naming a missing folder), when there is no file
// at `db_path`: listing commands never create one.
Status CheckDatabaseExists(const std::string& db_path);

// Opens an existing database, read-only unless `writable` (kNotFound if the
// file is missing: listing commands never create one).
Result<std::unique_ptr<Storage>> OpenExisting(const std::string& db_path, bool writable = false);

// A study file's study, opened (created or resumed) in its database.
struct OpenedStudy {
  std::string db_path;
  std::string logs_root;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<Study> study;
};

// How a command's commits reach the disk.
enum class Durability {
  kEachCommit,  // every commit is synced before it returns
  kOnSync,      // the caller calls Storage::Sync() (the scheduler's group commit)
};

// Opens the database (--db flag, else the spec's storage, ...) and the spec's
// study in it; a conflict's message says how to resume anyway.
Result<OpenedStudy> OpenSpecStudy(const StudySpec& spec, const std::string& db_flag,
                                  bool allow_changes, Durability durability);

// Logs what a delivery left behind: nothing, pending reports (and why), or
// reports the server refused.
void ReportDelivery(const DeliveryReport& report, const TrackingTarget& target);

// "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);

// The study named `name`, or the only study in the database. kNotFound for an
// unknown name lists the studies there are.
Result<StudyInfo> PickStudy(Storage& storage, const std::string& name);

// kNotFound: "study 'NAME' is not tracked (no tracking section was used when
// it ran)", for the commands that need a tracked study (sync, best
// --from-tracking).
Error NotTracked(const std::string& study);
// kNotFound, listing the study's sweep tags, unless some trial of it has `tag`.
Status CheckTag(Storage& storage, const StudyInfo& study, const std::string& tag);

// The kNotFound errors for a name the user gave: `message` followed by the
// names there are and a did-you-mean.
Error StudyNotFound(const std::string& message, const std::string& name,
                    const std::vector<std::string>& studies);
Error TagNotFound(const std::string& study, const std::string& tag,
                  const std::vector<std::string>& tags);

}  // namespace gdsweep::cli
