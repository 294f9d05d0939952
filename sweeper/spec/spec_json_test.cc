// The spec stored with a study: the tracking and pruner sections are kept
// when present and left out when not.
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

TEST_CASE("the pruner section is stored with every setting, wrapped pruner included") {
  StudySpec spec;
  spec.name = "digits";
  CHECK_FALSE(nlohmann::json::parse(SpecToJson(spec)).contains("pruner"));

  PrunerSpec hyperband;
  hyperband.type = PrunerType::kHyperband;
  hyperband.hyperband.max_resource = 81;
  spec.pruner.type = PrunerType::kPatient;
  spec.pruner.patient.patience = 3;
  spec.pruner.patient.min_delta = 0.5;
  spec.pruner.patient.wrapped_pruner = std::make_shared<const PrunerSpec>(hyperband);
  CHECK(nlohmann::json::parse(SpecToJson(spec))["pruner"] == nlohmann::json::parse(R"({
      "type": "patient", "patience": 3, "min_delta": 0.5,
      "wrapped_pruner": {"type": "hyperband", "min_resource": 1, "max_resource": 81,
                         "reduction_factor": 3, "bootstrap_count": 0}})"));

  spec.pruner = PrunerSpec{};
  spec.pruner.type = PrunerType::kSuccessiveHalving;
  CHECK(nlohmann::json::parse(SpecToJson(spec))["pruner"]["min_resource"] == "auto");
}

}  // namespace gdsweep
