// Printing trials as an aligned table, CSV or JSON, with one column per
// objective and per parameter. Used by `gdsweep trials` and `gdsweep best`.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/model/result.h"

namespace gdsweep::cli {

enum class Format { kTable, kCsv, kJson };
Result<Format> ParseFormat(const std::string& s);

void PrintTrials(std::FILE* out, const StudyInfo& study, const std::vector<TrialRecord>& trials,
                 Format format);

}  // namespace gdsweep::cli
