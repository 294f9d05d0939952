// The spec stored with a study: the tracking section is kept when present
// and left out when not.
#include "sweeper/spec/spec_json.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace gdsweep {

TEST_CASE("the tracking section is stored with the spec") {
  StudySpec spec;
  spec.name = "digits";
  CHECK_FALSE(nlohmann::json::parse(SpecToJson(spec)).contains("tracking"));

  spec.tracking = TrackingSpec{"http://mlflow.example:5000", "digits-svc", "", "hptuning_tag",
                               ObjectiveSource::kOutput};
  CHECK(nlohmann::json::parse(SpecToJson(spec))["tracking"] == nlohmann::json::parse(R"({
      "uri": "http://mlflow.example:5000", "experiment": "digits-svc",
      "tag_key": "hptuning_tag", "objective_source": "output"})"));

  spec.tracking->artifact_location = "s3://bucket/x";
  spec.tracking->objective_source = ObjectiveSource::kTracking;
  const auto tracking = nlohmann::json::parse(SpecToJson(spec))["tracking"];
  CHECK(tracking["artifact_location"] == "s3://bucket/x");
  CHECK(tracking["objective_source"] == "tracking");
}

}  // namespace gdsweep
