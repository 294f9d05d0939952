// TrackingSpec: the `tracking` section of a study file after parsing and
// validation (docs/study-file.md, "tracking"): which MLflow tracking server
// and experiment receive one run per trial, the tag key the sweep tag is
// written under, and whether the objective is read back from the server.
// Plain values with their defaults; only the parser sees YAML.
#pragma once

#include <string>

namespace gdsweep {

// Where a trial's objective values come from when tracking is on.
enum class ObjectiveSource {
  kOutput,    // the trial's own output (trial.result: stdout lines or result file)
  kTracking,  // the latest values of the objective metrics in the trial's run
};

struct TrackingSpec {
  std::string uri;                // http(s) URL; the parser fills MLFLOW_TRACKING_URI when absent
  std::string experiment;         // experiment name; default: the study name
  std::string artifact_location;  // used when gdsweep creates the experiment; empty: server default
  std::string tag_key = "gdsweep.tag";  // the run tag holding the sweep tag ("hptuning_tag")
  ObjectiveSource objective_source = ObjectiveSource::kOutput;
  friend bool operator==(const TrackingSpec&, const TrackingSpec&) = default;
};

}  // namespace gdsweep
