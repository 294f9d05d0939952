// A whole study read out of, and written into, an SQLite database as a
// StudyDump (study_dump.h): Storage::ExportStudy and ImportStudy, the two
// halves of `gdsweep copy`. Runs inside the caller's transaction; acts on one
// Database, thread-compatible.
#pragma once

#include <string>

#include "storage/sql_db.h"
#include "storage/storage.h"
#include "storage/study_dump.h"

namespace gdsweep::storage {

// kNotFound naming the study when there is none.
Result<StudyDump> ReadStudyDump(sql::Database& db, const std::string& name);

// Needs a write transaction. Inserts `dump` as a new study named `name`, with
// new study and trial ids (numbers, retry chains and runs kept); kConflict when
// a study has that name.
Result<StudyInfo> WriteStudyDump(sql::Database& db, const StudyDump& dump, const std::string& name);

}  // namespace gdsweep::storage
