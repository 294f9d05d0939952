// Printing trials as an aligned table, CSV or JSON, with one column per
// objective and per parameter, and a trial's runs. Used by `gdsweep trials`
// and `gdsweep best`. Tables show short numbers; CSV and JSON exact ones, with
// NaN and infinities in JSON as the strings "NaN", "Infinity", "-Infinity".
#pragma once

#include <cstdio>
#include <nlohmann/json_fwd.hpp>  // CLI-private header, like options.h
#include <string>
#include <vector>

#include "storage/storage.h"
#include "sweeper/cli/table.h"
#include "sweeper/model/result.h"

namespace gdsweep::cli {

// The objectives' names as `optuna trials` shows them: the study's metric
// names (gdsweep's, or Optuna's "study:metric_names"), else "value" for one
// objective and "values_0", "values_1", ... for several.
std::vector<std::string> ObjectiveNames(const StudyInfo& study);

// `params`: every parameter's distribution (Storage::ListParams), to show
// categorical choices rather than their stored indices. With `runs` (the runs
// of the one trial listed), JSON rows carry them as "run_history".
void PrintTrials(std::FILE* out, const StudyInfo& study, const SearchSpace& params,
                 const std::vector<TrialRecord>& trials, Format format,
                 const std::vector<TrialRun>* runs = nullptr);

// Every run (launch) of one trial: worker, host, process, start, end,
// outcome and reason; a table with a title, CSV rows, or a JSON array.
void PrintTrialRuns(std::FILE* out, const TrialRecord& trial, const std::vector<TrialRun>& runs,
                    Format format);

// JSON text for a command's output: 2-space indent; bytes that are not UTF-8
// (in a string Optuna or a trial stored) become U+FFFD instead of failing.
std::string JsonText(const nlohmann::json& value);

// A number for JSON output: itself when finite, else "NaN", "Infinity" or
// "-Infinity" (JSON has no such numbers; Optuna's own JSON uses these names).
nlohmann::json NumberJson(double v);

}  // namespace gdsweep::cli
