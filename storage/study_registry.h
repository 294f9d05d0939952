// Studies in the database: creating one (studies, study_directions and a
// gdsweep_studies row), loading one, checking a study file against what is
// stored, adopting a study Optuna created, and listing them all with their
// trial counts and sweep tags; deleting and renaming one. Runs inside the caller's transaction;
// acts on one Database, thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/sql_db.h"
#include "storage/storage.h"

namespace gdsweep::storage {

// Needs a write transaction. See Storage::OpenStudy.
Result<StudyInfo> OpenOrCreateStudy(sql::Database& db, const StudyRegistration& reg);

// kNotFound naming the study when there is none.
Result<StudyInfo> LoadStudyByName(sql::Database& db, const std::string& name);
Result<std::vector<StudySummary>> LoadStudySummaries(sql::Database& db);
// The id of the study named `name`; kNotFound naming it when there is none.
Result<int64_t> StudyIdByName(sql::Database& db, const std::string& name);

// The study's directions, in objective order.
Result<std::vector<Direction>> LoadDirections(sql::Database& db, int64_t study_id);

// Needs a write transaction: Storage::DeleteStudy and RenameStudy.
Status DeleteStudyRows(sql::Database& db, const std::string& name);
Status RenameStudyRow(sql::Database& db, const std::string& from, const std::string& to);

// Deletes every gdsweep row a deleted study may have left under `study_id`,
// before a new study takes the id (Optuna deletes without foreign-key
// cascades; migration 5's triggers delete them with the study, this covers a
// file whose triggers a tool dropped).
Status ForgetLeftovers(sql::Database& db, int64_t study_id);

// The search space gdsweep stored for a study, and when that row was last
// written (to tell whether a cached copy is current). kNotFound when gdsweep
// never opened the study.
Result<double> LoadSpaceUpdatedAt(sql::Database& db, int64_t study_id);
Result<SearchSpace> LoadStoredSpace(sql::Database& db, int64_t study_id);

// Appends every parameter of the study's trials not in `params`, in the order
// first seen, with the distribution of its latest trial_params row.
Status AddTrialParams(sql::Database& db, int64_t study_id, SearchSpace& params);

}  // namespace gdsweep::storage
