// Printing trials as an aligned table, CSV or JSON, with one column per
// objective and per parameter, and a trial's runs. Used by `gdsweep trials`
// and `gdsweep best`.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/model/result.h"

namespace gdsweep::cli {

enum class Format { kTable, kCsv, kJson };
Result<Format> ParseFormat(const std::string& s);

// With `runs` (the runs of the one trial listed), JSON rows carry them as
// "run_history".
void PrintTrials(std::FILE* out, const StudyInfo& study, const std::vector<TrialRecord>& trials,
                 Format format, const std::vector<TrialRun>* runs = nullptr);

// Every run (launch) of one trial: worker, host, process, start, end,
// outcome and reason; a table with a title, CSV rows, or a JSON array.
void PrintTrialRuns(std::FILE* out, const TrialRecord& trial, const std::vector<TrialRun>& runs,
                    Format format);

}  // namespace gdsweep::cli
