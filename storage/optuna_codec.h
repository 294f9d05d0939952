// How gdsweep's values are written in Optuna's columns and in gdsweep's own
// JSON columns: datetimes as Optuna's local 'YYYY-MM-DD HH:MM:SS.ffffff',
// infinities and NaN as a NULL value with a type tag, directions, the search
// space and objectives as JSON, external parameter values as enqueue_trial
// writes them. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"

namespace gdsweep::storage {

// Seconds since the epoch as Optuna (SQLAlchemy) stores a naive local
// datetime: "2024-05-01 13:02:03.123456".
std::string FormatDatetime(double seconds);
std::optional<double> ParseDatetime(const std::string& text);

// trial_values: {value or NULL, "FINITE" | "INF_POS" | "INF_NEG"}. NaN is not
// storable there (Optuna refuses it too).
std::pair<std::optional<double>, const char*> EncodeValue(double v);
// trial_intermediate_values: as EncodeValue, plus {NULL, "NAN"}.
std::pair<std::optional<double>, const char*> EncodeIntermediate(double v);
// Reads either back; nullopt for an unknown type tag.
std::optional<double> DecodeValue(const std::optional<double>& value, const std::string& type);

std::optional<Direction> DirectionFromString(const std::string& s);

// gdsweep_studies.space_json: [{"name": .., "distribution": <Optuna JSON>,
// "when": [{"parent": .., "values": [internal, ..]}, ..] (conditional only),
// "fixed": true (fixed only)}, ..].
std::string SpaceToJson(const SearchSpace& space);
Result<SearchSpace> SpaceFromJson(const std::string& json);

// gdsweep_studies.objectives_json: [{"metric": "loss", "direction": "MINIMIZE"}, ..].
std::string ObjectivesToJson(const std::vector<Objective>& objectives);
Result<std::vector<Objective>> ObjectivesFromJson(const std::string& json);

// A float as Python's json.dumps writes it ("0.25", "1e-05", "Infinity",
// "-Infinity", "NaN"): successive halving's "completed_rung_N" attributes.
std::string PythonFloatJson(double v);
// Reads one back (any JSON number too); nullopt when it is not a number.
std::optional<double> ParsePythonFloatJson(const std::string& text);

// Optuna 3.1's "constraints" trial attribute: a JSON list of floats as
// json.dumps writes them ([0.5, -1.0, Infinity]). FromJson: nullopt when it
// is not a list of numbers.
std::string ConstraintsToJson(const std::vector<double>& values);
std::optional<std::vector<double>> ConstraintsFromJson(const std::string& text);

// A JSON list of strings (Optuna's "study:metric_names" study attribute).
std::string StringListJson(const std::vector<std::string>& items);
// Reads one back: non-strings (null) as "", nullopt when it is not a list.
std::optional<std::vector<std::string>> StringListFromJson(const std::string& text);
// A JSON string ("fail_reason" trial attribute).
std::string StringJson(const std::string& s);

// The parameters with their external values, as Optuna's enqueue_trial writes
// the "fixed_params" trial attribute: {"lr": 0.01, "layers": 3, "opt": "adam"}.
// Each entry is {name, distribution JSON, internal value}.
struct StoredParam {
  std::string name;
  std::string distribution_json;
  double internal = 0;
};
std::string FixedParamsJson(const std::vector<StoredParam>& params);

// The "retry_history" list of the failed trial's attribute, with `number` added.
std::string AppendToIntList(const std::optional<std::string>& list_json, int64_t number);

// "FloatDistribution(low=0.001, high=1.0, log=true, step=None)".
std::string DescribeDistribution(const Distribution& d);

}  // namespace gdsweep::storage
