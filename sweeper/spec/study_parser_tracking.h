// The tracking section of a study file (docs/study-file.md, "Tracking"): the
// MLflow tracking server (http(s) only, no credentials in the URI), the
// experiment, the tag key the sweep tag is written under, and where the
// objective comes from; every error at its FILE:LINE:COLUMN. Part of the
// study-file parser. Reads MLFLOW_TRACKING_URI; otherwise pure; thread-safe
// as long as nothing changes the environment meanwhile.
#pragma once

#include "sweeper/model/result.h"
#include "sweeper/model/study_spec.h"
#include "sweeper/spec/yaml_reader.h"

namespace gdsweep {

// Parses the top-level tracking key into spec.tracking when it is present and
// not null; the experiment defaults to spec.name and the URI to
// $MLFLOW_TRACKING_URI (read now), with trailing '/' dropped. Also checks that
// the objectives' metric names are keys MLflow accepts.
Status ParseTrackingSection(const YamlNode& root, StudySpec& spec);

}  // namespace gdsweep
