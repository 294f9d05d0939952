// StudyReader: a read-only view of whole studies for `gdsweep report` and
// `gdsweep dashboard`: a study, its parameters' distributions (also for studies
// Optuna made), its trials and their MLflow runs, read in one SQLite read
// transaction (WAL: never blocks a writer). One object per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace gdsweep::sql {
class Database;
}

namespace gdsweep {

// One study as last read. Finished trials never change, so a refresh reads
// only new trials and the ones that were unfinished.
struct StudySnapshot {
  StudyInfo info;
  std::vector<std::string> tags;  // sweep tags with trials, sorted
  // The stored search space, then every other parameter found in the trials'
  // trial_params (a study Optuna made stores its distributions there only);
  // for a name with several distributions, the one of its latest trial.
  SearchSpace params;
  TrialHistory history;                                    // number order
  std::map<int64_t, TrackingRun> runs;                     // trial_id -> its MLflow run
  std::map<std::string, std::string> tracking_uri_by_tag;  // the target's server address
};

class StudyReader {
 public:
  // Opens an existing database read-only: kNotFound for a missing file or one
  // that is neither Optuna's nor gdsweep's, kConflict for a newer schema, kIo
  // when it cannot be read (locked past busy_timeout_ms, corrupt).
  static Result<std::unique_ptr<StudyReader>> Open(const std::string& path,
                                                   int busy_timeout_ms = 5000);
  ~StudyReader();
  StudyReader(const StudyReader&) = delete;
  StudyReader& operator=(const StudyReader&) = delete;

  Result<std::vector<StudySummary>> ListStudies();

  // Reads study `name` into `snapshot`, or brings it up to date when it holds
  // that study already (only new and unfinished trials are read again).
  // kNotFound when there is no such study.
  Status Refresh(const std::string& name, StudySnapshot& snapshot);

 private:
  explicit StudyReader(std::unique_ptr<sql::Database> db);
  std::unique_ptr<sql::Database> db_;
};

}  // namespace gdsweep
