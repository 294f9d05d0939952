#include "storage/study_reader.h"

#include <algorithm>
#include <set>

#include "storage/pg_db.h"
#include "storage/schema.h"
#include "storage/sqlite_db.h"
#include "storage/study_registry.h"
#include "storage/trial_reader.h"

namespace gdsweep {
namespace {

using sql::Database;
using Tx = sql::Transaction;

Status ReadRuns(Database& db, StudySnapshot& s) {
  auto q = db.Prepare(
      "SELECT trial_id, experiment_id, run_id FROM gdsweep_tracking_runs "
      "WHERE study_id = ?1 AND trial_id > 0");
  if (!q) return q.error();
  q->Bind(1, s.info.study_id);
  s.runs.clear();
  while (true) {
    auto row = q->Step();
    if (!row) return row.error();
    if (!*row) break;
    s.runs[q->Int(0)] = TrackingRun{q->Text(1), q->Text(2)};
  }
  auto t = db.Prepare("SELECT tag, uri FROM gdsweep_tracking_targets WHERE study_id = ?1");
  if (!t) return t.error();
  t->Bind(1, s.info.study_id);
  s.tracking_uri_by_tag.clear();
  while (true) {
    auto row = t->Step();
    if (!row) return row.error();
    if (!*row) return {};
    s.tracking_uri_by_tag[t->Text(0)] = t->Text(1);
  }
}

}  // namespace

StudyReader::StudyReader(std::unique_ptr<Database> db) : db_(std::move(db)) {}
StudyReader::~StudyReader() = default;

Result<std::unique_ptr<StudyReader>> StudyReader::Open(const std::string& path,
                                                       int busy_timeout_ms) {
  std::unique_ptr<Database> db;
  if (pg::IsPostgresUrl(path)) {
    pg::ConnectionOptions options;
    options.url = path;
    options.read_only = true;
    auto opened = pg::Database::Open(options);
    if (!opened) return opened.error();
    db = std::move(*opened);
  } else {
    sqlite::DatabaseOptions options;
    options.path = path;
    options.read_only = true;
    options.busy_timeout_ms = busy_timeout_ms;
    auto opened = sqlite::Database::Open(options);
    if (!opened) return opened.error();
    db = std::move(*opened);
  }
  if (auto s = storage::CheckSchemaReadOnly(*db); !s) return s.error();
  return std::unique_ptr<StudyReader>(new StudyReader(std::move(db)));
}

Result<std::vector<StudySummary>> StudyReader::ListStudies() {
  return sql::InTransaction(*db_, Tx::Kind::kRead,
                            [&] { return storage::LoadStudySummaries(*db_); });
}

Status StudyReader::Refresh(const std::string& name, StudySnapshot& snapshot) {
  // A read cut off by a lost connection is read again from the start.
  auto forget = [&snapshot] { snapshot = StudySnapshot{}; };
  return sql::InTransaction(
      *db_, Tx::Kind::kRead,
      [&]() -> Status {
        auto info = storage::LoadStudyByName(*db_, name);
        if (!info) return info.error();
        if (snapshot.info.study_id != info->study_id || snapshot.info.name != name) {
          snapshot = StudySnapshot{};
        }
        snapshot.info = std::move(*info);
        snapshot.params = snapshot.info.space;
        if (auto s = storage::AddTrialParams(*db_, snapshot.info.study_id, snapshot.params); !s) {
          return s;
        }
        if (auto s = storage::RefreshTrialHistory(*db_, snapshot.info.study_id, snapshot.history);
            !s) {
          return s;
        }
        if (auto s = ReadRuns(*db_, snapshot); !s) return s;
        std::set<std::string> tags;
        for (const auto& t : snapshot.history.trials) {
          if (!t.tag.empty()) tags.insert(t.tag);
        }
        snapshot.tags.assign(tags.begin(), tags.end());
        return {};
      },
      forget);
}

}  // namespace gdsweep
